"""Meta-tests: the contract stays documented and tested as it grows."""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

import click
import pytest

from sparta_core import hookspecs
from sparta_core.commands.main import main

TESTS = Path(__file__).resolve().parent
HOOKS = sorted(name for name in dir(hookspecs) if name.startswith("sparta_"))


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command path, through the group's lazy loading (``group.commands`` holds
    only those already loaded)."""
    found = [prefix]
    context = click.Context(group)
    for name in group.list_commands(context):
        command = group.get_command(context, name)
        assert command is not None, name
        if isinstance(command, click.Group):
            found += _commands(command, (*prefix, name))
        else:
            found.append((*prefix, name))
    return found


def _modules_of(path: Path) -> list[ast.Module]:
    """The test file's own code, and the plugin sources it writes (string constants that
    are Python defining a ``sparta_`` function)."""
    tree = ast.parse(path.read_text())
    modules = [tree]
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and "def sparta_" in node.value:
            try:
                modules.append(ast.parse(textwrap.dedent(node.value)))
            except SyntaxError:
                continue
    return modules


def _does_something(function: ast.FunctionDef) -> bool:
    """Whether an implementation does more than note that it was called (a docstring,
    ``pass`` or a bare ``record(...)`` call do not count)."""
    for statement in function.body:
        if isinstance(statement, ast.Pass):
            continue
        if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant):
            continue
        if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call) \
                and getattr(statement.value.func, "id", None) == "record":
            continue
        return True
    return False


IMPLEMENTED = {
    node.name
    for path in TESTS.rglob("*.py") if path.name != Path(__file__).name
    for module in _modules_of(path)
    for node in ast.walk(module)
    if isinstance(node, ast.FunctionDef) and node.name.startswith("sparta_")
    and _does_something(node)
}


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_is_implemented_by_a_test(hook: str) -> None:
    """A hook no test implements (beyond recording the call) is a hook whose effect
    nothing proves."""
    assert hook in IMPLEMENTED, f"no test implements {hook} beyond recording that it fired"


@pytest.mark.parametrize("command", _commands(main), ids=lambda c: " ".join(c) or "sparta")
def test_every_command_has_help(command: tuple[str, ...]) -> None:
    from click.testing import CliRunner

    result = CliRunner().invoke(main, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output


def test_help_imports_neither_boto3_nor_the_builtin_plugins() -> None:
    code = (
        "import sys\n"
        "from sparta_core.commands.main import main\n"
        "try:\n"
        "    main(['--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = [m for m in sys.modules if m.startswith(('boto3', 'botocore', 'pluggy',"
        " 'sparta_core.stages'))]\n"
        "print('HEAVY', heavy)\n"
    )
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True).stdout
    assert "HEAVY []" in output


def test_hook_reference_is_generated_from_the_hookspecs() -> None:
    script = TESTS.parent / "docs" / "gen_hooks.py"
    result = subprocess.run([sys.executable, str(script), "--check"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_every_public_name_is_exported_and_loads() -> None:
    import sparta_core

    assert set(sparta_core.__all__) - {"__version__"} == set(sparta_core._EXPORTS)
    for name in sparta_core.__all__:
        assert getattr(sparta_core, name) is not None


def test_usage_errors_end_in_one_error_line() -> None:
    sparta = Path(sys.executable).parent / "sparta"
    for argv, message in [
        (["nosuch"], "error: No such command 'nosuch'."),
        (["build", "--format", "xml"], "error: Invalid value for '--format': 'xml' is not one of 'json', 'yaml'."),
        (["plugins", "-v"], "error: No such option '-v'. (it is a global option: sparta -v COMMAND ...)"),
    ]:
        result = subprocess.run([sparta, *argv], capture_output=True, text=True)
        assert result.returncode == 2
        assert result.stderr.strip().splitlines()[-1] == message
