"""The service: the root of what a user declares in ``service.py``."""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Callable, Mapping
from dataclasses import InitVar, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sparta_core.errors import ServiceDefinitionError
from sparta_core.model.cfn_types import check_resource_type
from sparta_core.model.component import Component, check_component
from sparta_core.model.function import ARCHITECTURES, LambdaFunction, check_options
from sparta_core.model.handlers import resolve_handler
from sparta_core.model.naming import (
    LOGICAL_ID,
    LOGICAL_ID_MAX,
    check_function_name,
    check_stack_name,
    logical_id,
)
from sparta_core.model.refs import Value, check_value

if TYPE_CHECKING:
    from sparta_core.model.api import RestAPI
    from sparta_core.model.site import S3Site

RUNTIMES = ("python3.10", "python3.11", "python3.12", "python3.13", "python3.14")
#: Runtimes AWS has deprecated: runtime -> (the date, the runtime to move to). They still
#: deploy, with a warning (the ``validate`` plugin's); remove one from RUNTIMES once
#: Lambda no longer creates functions on it, so that it becomes an error.
DEPRECATED_RUNTIMES = {"python3.10": ("2026-10-31", "python3.11")}
#: CloudFormation's limits on a template's and an output's description (bytes).
MAX_DESCRIPTION_BYTES = 1024
#: The attributes a resource of ``service.resource(...)`` may carry besides its properties.
RESOURCE_ATTRIBUTES = (
    "Condition",
    "CreationPolicy",
    "DeletionPolicy",
    "DependsOn",
    "Metadata",
    "UpdatePolicy",
    "UpdateReplacePolicy",
)

F = TypeVar("F", bound=Callable[..., Any])
C = TypeVar("C", bound=Component)


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
    the defaults of every function. ``api=`` and ``site=`` are shorthand for
    ``service.add(api)`` and ``service.add(site)``.
    """

    name: str
    description: str = ""
    runtime: str = "python3.12"
    architecture: str = "x86_64"
    api: InitVar[Any] = None
    site: InitVar[Any] = None
    functions: dict[str, LambdaFunction] = field(default_factory=dict, init=False)
    #: The service's components, in declaration order (see :meth:`add`).
    components: list[Component] = field(default_factory=list, init=False)
    resources: dict[str, ResourceDeclaration] = field(default_factory=dict, init=False)
    outputs: dict[str, OutputDeclaration] = field(default_factory=dict, init=False)
    _function_ids: dict[str, str] = field(default_factory=dict, init=False, repr=False)
    _physical_names: dict[str, str] = field(default_factory=dict, init=False, repr=False)
    #: The stage a run deploys (set by the session from ``--stage``), else ``None``.
    stage: str | None = field(default=None, init=False)

    def __post_init__(self, api: Any, site: Any) -> None:
        check_stack_name(self.name)
        check_description(self.description, f"service '{self.name}'")
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
        if api is not None:
            _set_api(self, api)
        if site is not None:
            _set_site(self, site)

    # -- components ------------------------------------------------------------------

    def add(self, component: C) -> C:
        """Attach ``component`` (a :class:`~sparta_core.model.component.Component`) and
        return it. Its name and its logical-ID prefix must be unique in the service."""
        check_component(component, f"service '{self.name}'")
        for existing in self.components:
            if existing is component:
                raise ServiceDefinitionError(
                    f"service '{self.name}': {component.what} is added twice"
                )
            if existing.name == component.name and type(existing) is type(component):
                raise ServiceDefinitionError(
                    f"service '{self.name}': {component.what} and {existing.what} share a "
                    "name; rename one of them"
                )
            if existing.logical_id == component.logical_id:
                raise ServiceDefinitionError(
                    f"service '{self.name}': {component.what} and {existing.what} would "
                    f"share the logical-ID prefix '{component.logical_id}'; rename one of them"
                )
        self.components.append(component)
        return component

    def components_of(self, kind: type[C]) -> list[C]:
        """The components that are instances of ``kind``, in declaration order."""
        return [c for c in self.components if isinstance(c, kind)]

    def function_of(self, target: Any, *, what: str = "function") -> LambdaFunction:
        """The service's function that ``target`` names: its key, its
        :class:`LambdaFunction`, or the Python function decorated with
        ``@service.function`` (found as routes find it). Anything else raises
        :class:`ServiceDefinitionError` starting with ``what``; plugins resolve the
        functions their users name (a hook, a task) with it."""
        from sparta_core.model.api import _FunctionIndex, _target_name

        key = _FunctionIndex(self).key_of(target)
        if key is None:
            raise ServiceDefinitionError(
                f"{what}: {_target_name(target)} is not a function of service '{self.name}' "
                "(declare it with @service.function or service.add_function)"
            )
        return self.functions[key]

    # -- declaring functions -------------------------------------------------------

    def function(self, **options: Any) -> Callable[[F], F]:
        """Decorator: register the decorated function and return it unchanged.

        Its options (the list below is generated from
        :mod:`sparta_core.model.function_options`)::

        {options}
        """
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
        """Register the function ``handler`` (``"pkg.module.function"``) without importing
        it; returns its ``LambdaFunction``.

        It takes the options of :meth:`function`::

        {options}
        """
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
        physical = check_function_name(self.physical_name(function), what=what)
        function_id = logical_id(function.key)
        if function_id in self._function_ids:
            raise ServiceDefinitionError(
                f"{what} and function '{self._function_ids[function_id]}' would share the "
                f"logical ID '{function_id}'; rename one of them"
            )
        if physical in self._physical_names:
            raise ServiceDefinitionError(
                f"{what} and function '{self._physical_names[physical]}' would both be the "
                f"Lambda function '{physical}'; give one of them another name="
            )
        self._function_ids[function_id] = function.key
        self._physical_names[physical] = function.key
        self.functions[function.key] = function
        return function

    @property
    def stack_name(self) -> str:
        """The stack the service deploys to: its name, or ``<name>-<stage>`` when the run
        deploys a stage (``sparta --stage dev``); every derived physical name starts so."""
        return f"{self.name}-{self.stage}" if self.stage else self.name

    def physical_name(self, function: LambdaFunction) -> str:
        """The Lambda function name: the explicit ``name``, else
        ``<stack>-<function>`` (``<service>-<function>`` without a stage)."""
        return function.name or f"{self.stack_name}-{function.key}"

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
        check_logical_id(logical_id, "resource")
        if logical_id in self.resources:
            raise ServiceDefinitionError(f"resource '{logical_id}' is declared twice")
        what = f"resource '{logical_id}'"
        check_resource_type(type, what)
        if properties is not None and not isinstance(properties, Mapping):
            raise ServiceDefinitionError(
                f"{what}: properties must be a mapping, got {properties!r}"
            )
        check_value(dict(properties or {}), f"{what}: properties")
        for attribute, value in attributes.items():
            if attribute not in RESOURCE_ATTRIBUTES:
                hint = difflib.get_close_matches(attribute, RESOURCE_ATTRIBUTES, n=1)
                suggestion = f" (did you mean '{hint[0]}'?)" if hint else ""
                raise ServiceDefinitionError(
                    f"{what}: {attribute!r} is not a resource attribute{suggestion}"
                )
            check_value(value, f"{what}: {attribute}")
        declaration = ResourceDeclaration(logical_id, type, dict(properties or {}), attributes)
        self.resources[logical_id] = declaration
        return declaration

    def output(
        self, name: str, value: Value, description: str = "", export: Value | None = None
    ) -> OutputDeclaration:
        """Add a stack output."""
        check_logical_id(name, "output name")
        if name in self.outputs:
            raise ServiceDefinitionError(f"output '{name}' is declared twice")
        check_value(value, f"output '{name}': value")
        check_description(description, f"output '{name}'")
        if export is not None:
            check_value(export, f"output '{name}': export")
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
            resolve_handler(function, root, names)


def _document_options() -> None:
    """Put the function options in the docstrings of ``Service.function`` and
    ``Service.add_function`` (so ``help(service.function)`` lists them), from the same
    table docs/reference.md is generated from."""
    from sparta_core.model.function_options import options_docstring

    listing = options_docstring(" " * 12)[8:]  # the placeholder is indented 8 already
    for method in (Service.function, Service.add_function):
        method.__doc__ = (method.__doc__ or "").replace("{options}", listing)


_document_options()


def check_logical_id(name: object, what: str) -> str:
    """``name`` if CloudFormation takes it as a logical ID (alphanumeric, at most 255)."""
    if not isinstance(name, str) or not LOGICAL_ID.fullmatch(name):
        raise ServiceDefinitionError(f"{what} {name!r} must be alphanumeric")
    if len(name) > LOGICAL_ID_MAX:
        raise ServiceDefinitionError(
            f"{what} {name[:40]}... is {len(name)} characters; CloudFormation allows "
            f"{LOGICAL_ID_MAX}"
        )
    return name


def check_description(description: object, what: str) -> None:
    """A template's or an output's description: a string of at most 1024 bytes."""
    if not isinstance(description, str):
        raise ServiceDefinitionError(
            f"{what}: description must be a string, got {description!r}"
        )
    size = len(description.encode())
    if size > MAX_DESCRIPTION_BYTES:
        raise ServiceDefinitionError(
            f"{what}: description is {size} bytes; CloudFormation allows "
            f"{MAX_DESCRIPTION_BYTES}"
        )


def _set_api(service: Service, api: Any) -> None:
    from sparta_core.model.api import RestAPI

    if not isinstance(api, RestAPI):
        raise ServiceDefinitionError(
            f"service '{service.name}': api must be a sparta.RestAPI, got {type(api).__name__}"
        )
    if not any(c is api for c in service.components):
        service.add(api)


def _set_site(service: Service, site: Any) -> None:
    from sparta_core.model.site import S3Site

    if not isinstance(site, S3Site):
        raise ServiceDefinitionError(
            f"service '{service.name}': site must be a sparta.S3Site, got {type(site).__name__}"
        )
    if not any(c is site for c in service.components):
        service.add(site)


def _first_api(service: Service) -> RestAPI | None:
    from sparta_core.model.api import RestAPI

    return next(iter(service.components_of(RestAPI)), None)


def _first_site(service: Service) -> S3Site | None:
    from sparta_core.model.site import S3Site

    return next(iter(service.components_of(S3Site)), None)


# ``api`` and ``site`` are init-only arguments of the dataclass; once the class exists,
# the same names become properties: reading gives the first component of that kind,
# assigning is ``service.add(...)`` with the kind checked.
Service.api = property(_first_api, _set_api, doc="The first RestAPI of the service.")  # type: ignore[assignment]
Service.site = property(_first_site, _set_site, doc="The first S3Site of the service.")  # type: ignore[assignment]


def _source_file(func: Callable[..., Any]) -> str | None:
    try:
        return inspect.getsourcefile(func)
    except TypeError:
        return None
