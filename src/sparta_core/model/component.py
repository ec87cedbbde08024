"""The base class of service-level components.

A *component* is anything a service holds besides its functions: a REST API, a static
site, a state machine, a dashboard. ``service.add(component)`` attaches one (``api=`` and
``site=`` of ``Service`` are shorthand for it). Core lists no kinds: ``RestAPI`` and
``S3Site`` are ordinary subclasses of :class:`Component`, and a plugin adds a kind by
subclassing it in its own package, the way it adds an event source kind by subclassing
:class:`~sparta_core.model.events.EventSource`.

Each stage asks every component, in declaration order, for its part:

- validate: :meth:`Component.validate` (the declaration against the service), then
  each of :meth:`Component.assets` is found in the project and
  :meth:`Component.check_asset` sees its file names;
- package: each asset is zipped deterministically on its own (and leaves the code
  archive); :meth:`Component.runtime_files` are added to the code archive;
- upload: each asset's zip is uploaded content-addressed, like the code archive;
- marshall: :meth:`Component.contribute` adds its resources through a
  :class:`ComponentWiring`, after the functions and before any decorator runs;
- ``sparta describe``: :meth:`Component.edges` draws it, :meth:`Component.functions`
  fills the functions' "events" column.

Model code: no I/O here. The wiring is data plus callables the marshall stage fills in,
so this module never imports a stage.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sparta_core.errors import ServiceDefinitionError, TemplateError
from sparta_core.model.naming import logical_id as make_logical_id

if TYPE_CHECKING:
    from sparta_core.engine.context import ProvisionContext
    from sparta_core.engine.template import Template
    from sparta_core.model.function import LambdaFunction
    from sparta_core.model.local_route import LocalRoute
    from sparta_core.model.service import Service


@dataclass(frozen=True)
class Asset:
    """A folder of the project a component needs in S3, zipped on its own.

    ``name`` names the artifact (``.sparta/<service>-<name>.zip``, and the key of
    :meth:`ComponentWiring.location`); it is unique in the service. ``directory`` is a
    posix path relative to the project. ``exclude`` holds glob patterns left out (a
    pattern ending in ``/`` names a folder); VCS metadata, caches and OS litter are always
    left out. The folder leaves the code archive unless ``in_code_archive``.
    ``max_size`` (bytes, zipped) fails the package stage with ``limit_reason`` when passed.
    """

    name: str
    directory: str
    exclude: tuple[str, ...] = ()
    in_code_archive: bool = False
    max_size: int | None = None
    limit_reason: str = ""


class Component:
    """Base of every service-level component kind.

    A subclass sets ``name`` (an attribute or a property; unique in the service) and
    ``kind`` (a short word: logical IDs, ``describe``), and implements at least
    :meth:`contribute`. Every other method has a harmless default.
    """

    #: Short name of the kind, used in logical IDs and in ``sparta describe``.
    kind: str = "Component"
    name: str

    @property
    def what(self) -> str:
        """How messages name this component: ``RestAPI 'photos'``. It is also the owner
        of every resource it adds, so a logical-ID collision names it."""
        return f"{type(self).__name__} '{self.name}'"

    @property
    def logical_id(self) -> str:
        """The prefix of this component's logical IDs (``name`` + ``kind``, CamelCase);
        two components of a service may not share it."""
        return make_logical_id(self.name, self.kind)

    def validate(self, service: Service) -> None:
        """Check this component against ``service`` before anything is built (every
        function it names is one of the service's...); raise
        :class:`~sparta_core.errors.ServiceDefinitionError` naming the bad field."""

    def functions(self, service: Service) -> list[LambdaFunction]:
        """The functions of ``service`` this component invokes, in a stable order
        (``describe``, discovery and IAM scoping use it)."""
        return []

    def edges(self, service: Service) -> list[tuple[str, LambdaFunction]]:
        """``(label, function)`` for each way this component reaches a function, drawn by
        ``sparta describe`` as a source box; one per function, labelled with the
        component's kind, by default."""
        return [(self.kind, function) for function in self.functions(service)]

    def contribute(self, wiring: ComponentWiring) -> None:
        """Add this component's resources and outputs to the template (through
        ``wiring``, so that each is owned by this component)."""
        raise NotImplementedError(f"{type(self).__name__} does not implement contribute()")

    def assets(self) -> list[Asset]:
        """The project folders this component needs zipped and uploaded."""
        return []

    def check_asset(self, asset: Asset, names: Collection[str]) -> None:
        """Check the files found for ``asset`` (posix paths relative to its folder), in
        the validate stage; raise naming what is missing."""

    def runtime_files(self) -> Mapping[str, Path]:
        """Archive path -> file or folder this component ships in the code archive
        (Lambda-side modules its resources run, such as a custom resource's handler); a
        relative source is relative to the project. A name the archive already holds is
        an error naming both contributors."""
        return {}

    def existing_resources(self) -> list[tuple[str, str]]:
        """``(kind, name)`` of what must exist outside the stack before anything changes
        (``("s3-bucket", "logs")``); kinds the checker does not know are skipped."""
        return []

    def local_routes(self, service: Service) -> list[LocalRoute]:
        """The HTTP routes ``sparta local api`` serves for this component (an API's
        routes, each with its function and payload shape); none by default."""
        return []

    def describe(self) -> str:
        """One line naming this component, for listings."""
        return f"{type(self).__name__} {self.name}"


def _unavailable(what: str) -> Callable[..., Any]:
    def fail(*args: Any, **kwargs: Any) -> Any:
        raise TemplateError(f"{what} is not available outside the marshall stage")

    return fail


@dataclass
class ComponentWiring:
    """What a component sees, and may change, while it is marshalled.

    ``template`` is the template being built (the functions are already in it). Add
    resources and outputs with :meth:`add_resource` / :meth:`add_output`, which make the
    component their owner. The callables are filled in by the marshall stage; model code
    only calls them.
    """

    ctx: ProvisionContext | None
    service: Service
    component: Component
    template: Template
    #: The logical ID of a function of the service (from the marshall stage).
    function_ids: Callable[[LambdaFunction], str] = field(
        default_factory=lambda: _unavailable("function_id")
    )
    #: ``(bucket, key)`` of an asset of this component, by asset name.
    locations: Callable[[str], tuple[Any, str]] = field(
        default_factory=lambda: _unavailable("location")
    )
    #: The marshall stage's custom resource framework (``add_custom_resource``).
    custom_resources: Callable[..., dict[str, Any]] = field(
        default_factory=lambda: _unavailable("add_custom_resource")
    )
    #: What callers invoke for a function (``sparta_invoke_target``), put here by the
    #: marshall stage; ``None`` (or a ``None`` answer): the function itself.
    invoke_targets: Callable[[LambdaFunction], Any] | None = None
    #: Function key -> resources exposed to it for discovery (see :meth:`expose`).
    exposed: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)

    @property
    def owner(self) -> str:
        return self.component.what

    def function_id(self, function: LambdaFunction) -> str:
        """The logical ID of ``function``, a function of the service already in the
        template (a :class:`TemplateError` otherwise)."""
        if self.service.functions.get(function.key) is not function:
            raise TemplateError(
                f"{self.owner}: function '{function.key}' is not a function of service "
                f"'{self.service.name}'"
            )
        function_id = self.function_ids(function)
        if function_id not in self.template.resources:
            raise TemplateError(
                f"{self.owner}: function '{function.key}' has no resource '{function_id}' "
                "in the template (did a plugin replace the marshaller?)"
            )
        return function_id

    def function_arn(self, function: LambdaFunction) -> Any:
        """The ARN a component invokes ``function`` through, as a template value: the
        function's own, unless a plugin redirects its callers (``sparta_invoke_target``,
        e.g. to an alias)."""
        function_id = self.function_id(function)
        target = self.invoke_targets(function) if self.invoke_targets else None
        return {"Fn::GetAtt": [function_id, "Arn"]} if target is None else target

    def child_id(self, *suffix: str) -> str:
        """A stable logical ID for a resource of this component: its prefix + ``suffix``."""
        return make_logical_id(self.component.logical_id, *suffix)

    def add_resource(
        self,
        logical_id: str,
        type: str,
        properties: Mapping[str, Any] | None = None,
        **attributes: Any,
    ) -> dict[str, Any]:
        """Add a resource owned by this component; a taken logical ID is an error naming
        both contributors."""
        return self.template.add_resource(
            logical_id, type, properties, owner=self.owner, **attributes
        )

    def add_output(
        self, name: str, value: Any, description: str = "", export: Any | None = None
    ) -> None:
        self.template.add_output(name, value, description=description, export=export)

    def location(self, asset_name: str) -> tuple[Any, str]:
        """``(bucket, key)`` template values of one of this component's assets: where the
        upload stage put it, or will put it (``sparta build`` uploads nothing)."""
        names = [asset.name for asset in self.component.assets()]
        if asset_name not in names:
            raise TemplateError(
                f"{self.owner} declares no asset '{asset_name}' (its assets: "
                f"{', '.join(names) or 'none'})"
            )
        return self.locations(asset_name)

    def add_custom_resource(
        self, type_name: str, logical_id: str, properties: Mapping[str, Any], **attributes: Any
    ) -> dict[str, Any]:
        """Add a ``Custom::<type_name>`` resource owned by this component (the type is
        registered through ``sparta_custom_resource_types``; its provider function is
        added on first use)."""
        return self.custom_resources(
            type_name, logical_id, properties, owner=self.owner, **attributes
        )

    def set_environment(self, function: LambdaFunction, name: str, value: Any) -> None:
        """Set the environment variable ``name`` of ``function``'s resource."""
        resource = self.template.resources[self.function_id(function)]
        properties = resource.setdefault("Properties", {})
        properties.setdefault("Environment", {}).setdefault("Variables", {})[name] = value

    def expose(
        self, function: LambdaFunction, resource_id: str, values: dict[str, str] | None = None
    ) -> None:
        """Record that ``function`` depends on the template's resource ``resource_id``,
        so that ``sparta_runtime.discover()`` finds it there (``values`` as in
        :meth:`FunctionWiring.expose <sparta_core.model.events.FunctionWiring.expose>`)."""
        self.function_id(function)
        entry = self.exposed.setdefault(function.key, {}).setdefault(resource_id, {})
        if values:
            entry.update(values)


def check_component(component: object, what: str) -> Component:
    """``component`` if it is a :class:`Component` with a usable name, else raise."""
    if not isinstance(component, Component):
        raise ServiceDefinitionError(
            f"{what}: service.add() takes a sparta.Component (RestAPI, S3Site or a "
            f"plugin's kind), got {type(component).__name__}"
        )
    name = getattr(component, "name", None)
    if not isinstance(name, str) or not name:
        raise ServiceDefinitionError(
            f"{what}: {type(component).__name__} has no name (set its 'name' attribute)"
        )
    return component
