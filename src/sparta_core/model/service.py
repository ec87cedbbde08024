"""The service: the root of what a user declares in ``service.py``."""

from __future__ import annotations

import ast
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from sparta_core.errors import ServiceDefinitionError
from sparta_core.model.function import ARCHITECTURES, LambdaFunction, check_options
from sparta_core.model.naming import (
    LOGICAL_ID,
    check_function_name,
    check_stack_name,
    logical_id,
)
from sparta_core.model.refs import Value

RUNTIMES = ("python3.10", "python3.11", "python3.12", "python3.13")

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class ResourceDeclaration:
    """A resource the user adds with ``service.resource(...)``."""

    logical_id: str
    type: str
    properties: Mapping[str, Value]
    attributes: Mapping[str, Any]


@dataclass(frozen=True)
class OutputDeclaration:
    """A stack output the user adds with ``service.output(...)``."""

    name: str
    value: Value
    description: str = ""
    export: Value | None = None


@dataclass
class Service:
    """A service: the stack ``name``, its functions and the resources around them.

    ``name`` becomes the CloudFormation stack name. ``runtime`` and ``architecture`` are
    the defaults of every function.
    """

    name: str
    description: str = ""
    runtime: str = "python3.12"
    architecture: str = "x86_64"
    api: Any = None
    site: Any = None
    functions: dict[str, LambdaFunction] = field(default_factory=dict, init=False)
    resources: dict[str, ResourceDeclaration] = field(default_factory=dict, init=False)
    outputs: dict[str, OutputDeclaration] = field(default_factory=dict, init=False)
    _function_ids: dict[str, str] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        check_stack_name(self.name)
        if self.runtime not in RUNTIMES:
            raise ServiceDefinitionError(
                f"service '{self.name}': runtime must be one of {', '.join(RUNTIMES)}, "
                f"got {self.runtime!r}"
            )
        if self.architecture not in ARCHITECTURES:
            raise ServiceDefinitionError(
                f"service '{self.name}': architecture must be one of "
                f"{', '.join(ARCHITECTURES)}, got {self.architecture!r}"
            )

    # -- declaring functions -------------------------------------------------------

    def function(self, **options: Any) -> Callable[[F], F]:
        """Decorator: register the decorated function and return it unchanged."""
        check_options(options, what=f"service '{self.name}'")

        def register(func: F) -> F:
            if not callable(func) or not hasattr(func, "__qualname__"):
                raise ServiceDefinitionError(f"@{self.name}.function() needs a function")
            key = options.get("name") or func.__name__
            if func.__qualname__ != func.__name__:
                raise ServiceDefinitionError(
                    f"function '{key}': handlers must be defined at the top level of a "
                    f"module, not inside {func.__qualname__.rsplit('.', 1)[0]}"
                )
            self._add(
                LambdaFunction(
                    key=key,
                    handler=f"{func.__module__}.{func.__name__}",
                    source=_source_file(func),
                    **options,
                )
            )
            return func

        return register

    def add_function(self, handler: str, **options: Any) -> LambdaFunction:
        """Register the function ``handler`` (``"pkg.module.function"``) without importing it."""
        if not isinstance(handler, str) or "." not in handler:
            raise ServiceDefinitionError(
                f"service '{self.name}': handler {handler!r} must be 'module.function'"
            )
        check_options(options, what=f"handler '{handler}'")
        key = options.get("name") or handler.rsplit(".", 1)[1]
        return self._add(LambdaFunction(key=key, handler=handler, **options))

    def _add(self, function: LambdaFunction) -> LambdaFunction:
        what = f"function '{function.key}'"
        if function.key in self.functions:
            raise ServiceDefinitionError(
                f"{what} is declared twice in service '{self.name}' (names must be unique)"
            )
        check_function_name(self.physical_name(function), what=what)
        function_id = logical_id(function.key)
        if function_id in self._function_ids:
            raise ServiceDefinitionError(
                f"{what} and function '{self._function_ids[function_id]}' would share the "
                f"logical ID '{function_id}'; rename one of them"
            )
        self._function_ids[function_id] = function.key
        self.functions[function.key] = function
        return function

    def physical_name(self, function: LambdaFunction) -> str:
        """The Lambda function name: the explicit ``name``, else ``<service>-<function>``."""
        return function.name or f"{self.name}-{function.key}"

    def architecture_of(self, function: LambdaFunction) -> str:
        return function.architecture or self.architecture

    # -- extra resources and outputs -----------------------------------------------

    def resource(
        self,
        logical_id: str,
        type: str,
        properties: Mapping[str, Value] | None = None,
        **attributes: Any,
    ) -> ResourceDeclaration:
        """Add a CloudFormation resource (``DependsOn``, ``DeletionPolicy``... as keywords)."""
        if not isinstance(logical_id, str) or not LOGICAL_ID.fullmatch(logical_id):
            raise ServiceDefinitionError(
                f"resource logical ID {logical_id!r} must be alphanumeric"
            )
        if logical_id in self.resources:
            raise ServiceDefinitionError(f"resource '{logical_id}' is declared twice")
        if not isinstance(type, str) or type.count("::") < 2:
            raise ServiceDefinitionError(
                f"resource '{logical_id}': type {type!r} is not of the form "
                "'AWS::Service::Resource'"
            )
        declaration = ResourceDeclaration(logical_id, type, dict(properties or {}), attributes)
        self.resources[logical_id] = declaration
        return declaration

    def output(
        self, name: str, value: Value, description: str = "", export: Value | None = None
    ) -> OutputDeclaration:
        """Add a stack output."""
        if not isinstance(name, str) or not LOGICAL_ID.fullmatch(name):
            raise ServiceDefinitionError(f"output name {name!r} must be alphanumeric")
        if name in self.outputs:
            raise ServiceDefinitionError(f"output '{name}' is declared twice")
        declaration = OutputDeclaration(name, value, description, export)
        self.outputs[name] = declaration
        return declaration

    # -- checks that need the project on disk ---------------------------------------

    def validate(self, project_dir: Path) -> None:
        """Check what declaration alone cannot: every handler resolves to a module of
        the project at ``project_dir`` that defines it. Reads files; imports nothing."""
        if not self.functions:
            raise ServiceDefinitionError(f"service '{self.name}' declares no functions")
        root = project_dir.resolve()
        # One parse per module for this run: with N handlers in one module, parsing it
        # per handler made validation O(N²). Local, not a global cache: files change.
        names: dict[str, tuple[Path, set[str]] | None] = {}
        for function in self.functions.values():
            _resolve_handler(function, root, names)


def _source_file(func: Callable[..., Any]) -> str | None:
    try:
        return inspect.getsourcefile(func)
    except TypeError:
        return None


def _resolve_handler(function: LambdaFunction, root: Path,
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


