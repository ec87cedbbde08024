"""Where a function's handler lives: the module of the project that defines it, checked
by reading the file (each module parsed once per validation run), never by importing it."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import TYPE_CHECKING

from sparta_core.errors import ServiceDefinitionError

if TYPE_CHECKING:
    from sparta_core.model.function import LambdaFunction


def resolve_handler(function: LambdaFunction, root: Path,
                     names: dict[str, tuple[Path, set[str]] | None]) -> None:
    """Check (and, for decorated functions, correct) ``function.handler`` against ``root``;
    ``names`` holds, by module name, the file and top-level names of the modules already
    found and parsed in this run (``None``: no such file)."""
    what = f"function '{function.key}'"
    if function.source is not None:
        # The module name Python gave the function may be '__main__' or depend on how
        # it was imported; the file's place in the project is what Lambda will see.
        source = Path(function.source).resolve()
        if not source.is_relative_to(root):
            raise ServiceDefinitionError(
                f"{what}: its handler is defined in {source}, outside the project {root}"
            )
        module = _module_name(source.relative_to(root))
        function.handler = f"{module}.{function.handler.rsplit('.', 1)[1]}"
        return
    module, _, attribute = function.handler.rpartition(".")
    if module not in names:
        candidates = [root.joinpath(*module.split(".")).with_suffix(".py"),
                      root.joinpath(*module.split("."), "__init__.py")]
        found = next((candidate for candidate in candidates if candidate.is_file()), None)
        names[module] = (found, _top_level_names(found)) if found is not None else None
    known = names[module]
    if known is None:
        raise ServiceDefinitionError(
            f"{what}: handler '{function.handler}' names module '{module}', which is not a "
            f"file of the project {root}"
        )
    path, defined = known
    if attribute not in defined:
        raise ServiceDefinitionError(
            f"{what}: handler '{function.handler}': {path.relative_to(root)} defines no "
            f"top-level '{attribute}'"
        )


def _module_name(relative: Path) -> str:
    parts = list(relative.with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _top_level_names(path: Path) -> set[str]:
    try:
        tree = ast.parse(path.read_bytes(), filename=str(path))
    except SyntaxError as error:
        raise ServiceDefinitionError(
            f"{path}: line {error.lineno}: syntax error: {error.msg}"
        ) from None
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
    return names


