"""The errors sparta reports to its user.

Every failure a user can cause or meet is a :class:`SpartaError`. The CLI prints its
message as one line, prefixed with ``error:``, and exits non-zero; anything else that
escapes is a bug in sparta or in a plugin, and the workflow wraps it in a
:class:`StageError` that names the stage and the plugin before it reaches the user.
"""

from __future__ import annotations


class SpartaError(Exception):
    """Base class: a failure with a message fit to show the user as it is."""

    exit_code = 1


class ServiceDefinitionError(SpartaError, ValueError):
    """The service the user declared is invalid (bad name, option, handler...)."""


class ConfigError(SpartaError):
    """``[tool.sparta]``, a ``SPARTA_*`` variable or a flag holds a bad value."""

    exit_code = 2


class PluginError(SpartaError):
    """A plugin cannot be loaded, blocked, or does not match the hook contract."""


class TemplateError(SpartaError):
    """The CloudFormation template cannot be built or breaks a CloudFormation limit."""


class DuplicateLogicalIdError(TemplateError):
    """Two contributors tried to add the same logical ID to the template."""


class StageError(SpartaError):
    """A pipeline stage failed; the message names the stage and, if known, the plugin."""

    def __init__(self, stage: str, message: str, plugin: str | None = None) -> None:
        self.stage = stage
        self.plugin = plugin
        where = f"stage '{stage}'" + (f" (plugin '{plugin}')" if plugin else "")
        super().__init__(f"{where}: {message}")


def location_in(error: BaseException, inside: str) -> str | None:
    """``file:line`` of the deepest frame of ``error``'s traceback whose file is ``inside``
    (a file, or a directory and everything below it), or of the syntax error itself."""
    if isinstance(error, SyntaxError) and error.filename and error.filename.startswith(inside):
        return f"{error.filename}:{error.lineno}"
    found = None
    traceback = error.__traceback__
    while traceback is not None:
        filename = traceback.tb_frame.f_code.co_filename
        if filename == inside or filename.startswith(inside.rstrip("/") + "/"):
            found = f"{filename}:{traceback.tb_lineno}"
        traceback = traceback.tb_next
    return found
