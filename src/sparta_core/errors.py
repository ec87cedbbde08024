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


class SourceError(ServiceDefinitionError):
    """A source's parameter is invalid; the function that owns it adds its own name."""


class DeployError(SpartaError):
    """A stack operation failed; the message names the failing resource and its reason."""


class ConsentError(SpartaError):
    """sparta needs consent it cannot get (no ``--yes``, no terminal) or was refused."""


class InterruptedWaitError(SpartaError):
    """Ctrl-C while CloudFormation works: the operation goes on without sparta."""

    exit_code = 130


class StoppedError(SpartaError):
    """Background work gave up on a piece it had not begun, because the run is ending
    without it (another stage failed, or Ctrl-C); the message says what was left."""


class StackBlockedError(SpartaError):
    """The stack is in a state sparta must not deploy to without a human."""


class InvokeError(SpartaError):
    """The function failed, or could not be invoked."""


class PreconditionError(SpartaError):
    """Something AWS must hold before sparta can deploy is missing."""


class AwsError(SpartaError):
    """An AWS call failed in a way the user must act on (credentials, network, access)."""


class LocalEndpointError(SpartaError):
    """The local endpoint cannot be started, found or stopped."""


class DependencyError(SpartaError):
    """The service's dependencies cannot be installed for its Lambda platform.

    ``details`` (possibly empty) is the installer's own explanation, several lines long,
    for the reporter to show above the one-line message."""

    def __init__(self, message: str, details: str = "") -> None:
        super().__init__(message)
        self.details = details


class ZipLimitError(ValueError):
    """The archive would need zip64, which Lambda's limits never require."""


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
