"""``sparta_project`` and ``sparta_run``: write a project, run the CLI on it in-process.

:class:`SpartaRunner` runs ``sparta`` through click's ``CliRunner`` and watches each
plugin manager the run builds (the engine's watcher point), so it learns which archive
``sparta_package`` made and which template the workflow wrote, without guessing from
file times. Every template the run wrote is linted with cfn-lint when it is importable;
an error fails the test (DESIGN §7). Lint results are remembered for the session by
content, with content hashes masked, since most tests build the same few services.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.util
import inspect
import json
import os
import re
import textwrap
import time
import zipfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FileContent = str | bytes | Callable[..., Any]

#: Written when a project is given neither ``pyproject.toml`` nor ``sparta.toml``.
DEFAULT_PYPROJECT = '[tool.sparta]\nservice = "service:service"\n'


def file_text(content: FileContent) -> str | bytes:
    """What a file of a test project holds: a string, dedented; bytes as they are; a
    function's body (its source without the ``def`` line, dedented)."""
    if isinstance(content, bytes):
        return content
    if isinstance(content, str):
        return textwrap.dedent(content).lstrip("\n")
    if callable(content):
        return function_body(content)
    raise TypeError(f"a project file is a str, bytes or a function, not {type(content).__name__}")


def function_body(function: Callable[..., Any]) -> str:
    """The source of ``function``'s body, dedented: the function is a way to write a file
    with an editor's and a linter's help, never called."""
    source = textwrap.dedent(inspect.getsource(function))
    tree = ast.parse(source)
    definition = tree.body[0]
    if not isinstance(definition, (ast.FunctionDef, ast.AsyncFunctionDef)):
        raise TypeError(f"{function!r} is not a function defined with def")
    first = definition.body[0]
    if first.lineno == definition.lineno:  # def f(): pass
        return "\n".join(ast.get_source_segment(source, s) or "" for s in definition.body) + "\n"
    lines = source.splitlines(keepends=True)
    start = min([first.lineno, *(d.lineno for d in getattr(first, "decorator_list", []))])
    # Comments between the signature and the first statement are left out with it.
    return textwrap.dedent("".join(lines[start - 1 :]))


def write_project(root: Path, files: Mapping[str, FileContent]) -> Path:
    """Write ``files`` (relative path -> content) under ``root`` and return it."""
    root.mkdir(parents=True, exist_ok=True)
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        text = file_text(content)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text)
    if not (root / "pyproject.toml").exists() and not (root / "sparta.toml").exists():
        (root / "pyproject.toml").write_text(DEFAULT_PYPROJECT)
    return root


@dataclass
class RunResult:
    """What one ``sparta`` run did. Other attributes are click's ``Result``'s."""

    exit_code: int
    #: stdout and stderr, interleaved as a terminal shows them.
    output: str
    stdout: str
    stderr: str
    #: The project the run worked on (``-C`` or ``cwd``, up to its configuration).
    project: Path
    #: The template the run wrote to ``.sparta/``, parsed, or ``None``.
    template: dict[str, Any] | None = None
    #: Every template the run wrote (nested stacks' too), by file name, parsed.
    templates: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: The names in the archive the run made, sorted, or ``None``.
    archive: list[str] | None = None
    #: The path of that archive.
    archive_path: Path | None = None
    click_result: Any = None

    def __getattr__(self, name: str) -> Any:
        click_result = self.__dict__.get("click_result")
        if click_result is None:
            raise AttributeError(name)
        return getattr(click_result, name)

    def error_line(self) -> str | None:
        """The last ``error: ...`` line of the output, if any."""
        lines = [line for line in self.output.splitlines() if line.startswith("error:")]
        return lines[-1] if lines else None


class SpartaRunner:
    """Runs ``sparta`` in-process; what the ``sparta_run`` fixture is."""

    def __init__(self, lint: Callable[[Path], list[str]] | None = None) -> None:
        from click.testing import CliRunner

        self.runner = CliRunner()
        self.lint = lint if lint is not None else lint_errors

    def __call__(
        self,
        *args: str | os.PathLike[str],
        cwd: str | os.PathLike[str] | None = None,
        input: str | bytes | None = None,
        env: Mapping[str, str | None] | None = None,
        lint: bool = True,
    ) -> RunResult:
        """Run ``sparta ARGS`` in ``cwd`` (default: the current directory). ``lint=False``
        skips cfn-lint, for a test that makes a template CloudFormation must refuse."""
        from sparta_core.commands.main import main
        from sparta_core.engine.manager import watching_plugin_managers
        from sparta_core.engine.settings import find_project_dir

        argv = [os.fspath(arg) for arg in args]
        seen = _Watcher()
        started = time.time()
        with _working_directory(cwd), watching_plugin_managers(seen.watch):
            start = Path(_project_flag(argv) or ".").resolve()
            project = find_project_dir(start)
            outcome = self.runner.invoke(main, argv, input=input, env=env,
                                         catch_exceptions=False)
        result = RunResult(
            exit_code=outcome.exit_code,
            output=outcome.output,
            stdout=outcome.stdout,
            stderr=outcome.stderr,
            project=project,
            click_result=outcome,
        )
        if seen.archive is not None and seen.archive.exists():
            result.archive_path = seen.archive
            with zipfile.ZipFile(seen.archive) as archive:
                result.archive = sorted(archive.namelist())
        written = seen.written_templates(started)
        for path in written:
            result.templates[path.name] = read_template(path)
        if seen.template is not None and seen.template.name in result.templates:
            result.template = result.templates[seen.template.name]
        for path in written if lint else []:
            errors = self.lint(path)
            if errors:
                _fail(f"cfn-lint found errors in {path.name}:\n  " + "\n  ".join(errors))
        return result


class _Watcher:
    """What the kit learns from inside a run: the archive ``sparta_package`` returned
    and the template the workflow wrote (``ctx.stash["sparta.template_path"]``)."""

    def __init__(self) -> None:
        self.archive: Path | None = None
        self.contexts: list[Any] = []

    def watch(self, pm: Any) -> None:
        def before(hook_name: str, hook_impls: Any, kwargs: Mapping[str, Any]) -> None:
            ctx = kwargs.get("ctx")
            if ctx is not None and all(ctx is not other for other in self.contexts):
                self.contexts.append(ctx)

        def after(outcome: Any, hook_name: str, hook_impls: Any, kwargs: Any) -> None:
            if hook_name == "sparta_package" and outcome.exception is None:
                archive = outcome.get_result()
                self.archive = getattr(archive, "path", None)

        pm.add_hookcall_monitoring(before, after)

    @property
    def template(self) -> Path | None:
        for ctx in reversed(self.contexts):
            path = ctx.stash.get("sparta.template_path")
            if path is not None:
                return Path(path)
        return None

    def written_templates(self, since: float) -> list[Path]:
        """The root template the run wrote, and the nested stacks' templates written
        beside it during the run."""
        root = self.template
        if root is None or not root.exists():
            return []
        service = root.name[: -len("-template" + root.suffix)]
        found = [root]
        for path in sorted(root.parent.glob(f"{service}-*-template.*")):
            if path != root and not path.name.endswith(".partial") \
                    and path.stat().st_mtime >= since - 1:
                found.append(path)
        return found


def read_template(path: Path) -> dict[str, Any]:
    text = path.read_text()
    if path.suffix == ".json":
        return json.loads(text)
    from cfn_flip import to_json

    return json.loads(to_json(text))


_LINTED: dict[str, list[str]] = {}


def lint_errors(path: Path) -> list[str]:
    """cfn-lint's errors (not warnings) for the template at ``path``; ``[]`` when cfn-lint
    is not installed. Remembered by content, with content hashes (archive keys, build
    ids) masked: templates that differ only in them lint alike."""
    if importlib.util.find_spec("cfnlint") is None:
        return []
    masked = re.sub(rb"[0-9a-f]{16,64}", b"#", path.read_bytes())
    key = hashlib.sha256(masked).hexdigest() + path.suffix
    if key not in _LINTED:
        _LINTED[key] = lint_template(path)
    return _LINTED[key]


def lint_template(path: Path) -> list[str]:
    """cfn-lint's errors for ``path``, each as ``RULE message (path in template)``."""
    from cfnlint.api import lint_file

    return [
        f"{match.rule.id} {match.message} ({match.path_string})"
        for match in lint_file(path)
        if match.rule.id.startswith("E")
    ]


def _project_flag(argv: list[str]) -> str | None:
    """The value of ``-C``/``--project-dir`` among the global options, if given."""
    for index, arg in enumerate(argv):
        if arg in ("-C", "--project-dir") and index + 1 < len(argv):
            return argv[index + 1]
        if arg.startswith("--project-dir="):
            return arg.split("=", 1)[1]
    return None


@contextmanager
def _working_directory(cwd: str | os.PathLike[str] | None) -> Iterator[None]:
    if cwd is None:
        yield
        return
    previous = os.getcwd()
    os.chdir(cwd)
    try:
        yield
    finally:
        os.chdir(previous)


def _fail(message: str) -> None:
    import pytest

    pytest.fail(message, pytrace=False)
