"""A REST API (API Gateway v1) in front of the service's functions: a component.

``RestAPI`` is declared beside the service and attached to it (``service.add(api)``, or
``Service(..., api=api)`` for short); routes are added with :meth:`RestAPI.route`.
Everything that can be checked from the declaration alone (path syntax, methods,
duplicate routes, sibling path variables, logical-ID collisions) is checked when the
route is declared, in constant time per route; which function a route reaches is
settled by :meth:`RestAPI.resolve` when the service is validated (one dictionary
look-up per route), because routes may be declared before or after their functions.
The template it becomes is built by :mod:`sparta_core.model.api_template`. No I/O here.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sparta_core.errors import ServiceDefinitionError
from sparta_core.model.api_checks import (
    API_NAME,
    AUTHORIZATION_TYPES,
    ENDPOINT_TYPES,
    MEDIA_TYPE,
    METHODS,
    STAGE_NAME,
    VARIABLE,
    CorsConfig,
    check_methods,
    check_path,
    cors_config,
    part_id,
    split_path,
)
from sparta_core.model.component import Component
from sparta_core.model.function import LambdaFunction
from sparta_core.model.naming import logical_id

if TYPE_CHECKING:
    from sparta_core.model.component import ComponentWiring
    from sparta_core.model.local_route import LocalRoute
    from sparta_core.model.service import Service

__all__ = ["METHODS", "CorsConfig", "ResolvedRoute", "RestAPI", "Route", "part_id", "split_path"]

#: What ``route(function=...)`` takes: the decorated Python function, its key, or the
#: ``LambdaFunction`` that ``service.add_function`` returned.
FunctionTarget = Callable[..., Any] | str | LambdaFunction


@dataclass(frozen=True)
class Route:
    """One path and its methods, all reaching one function."""

    path: str
    methods: tuple[str, ...]
    function: FunctionTarget
    authorization_type: str = "NONE"

    def describe(self) -> str:
        return f"{' '.join(self.methods)} {self.path}"


@dataclass(frozen=True)
class ResolvedRoute:
    """A route with the key of the service's function it reaches."""

    route: Route
    function_key: str


@dataclass
class RestAPI(Component):
    """A REST API of API Gateway, with a stage, proxying each route to a function.

    ``name`` names the API (and its logical IDs); ``stage`` is the stage the invoke URL
    ends with; ``cors`` is ``False``, ``True`` (any origin) or a :class:`CorsConfig` (or a
    mapping of its fields); ``endpoint_type`` is ``"REGIONAL"`` or ``"EDGE"``.
    """

    name: str
    stage: str = "v1"
    cors: bool | CorsConfig | Mapping[str, Any] = False
    description: str = ""
    binary_media_types: Sequence[str] = ()
    endpoint_type: str = "REGIONAL"
    routes: list[Route] = field(default_factory=list, init=False)
    cors_config: CorsConfig | None = field(default=None, init=False)
    _resource_ids: dict[str, str] = field(default_factory=dict, init=False, repr=False)
    #: (path, method) -> the route that takes it, so that ``route()`` is O(1) per call.
    _methods: dict[tuple[str, str], Route] = field(default_factory=dict, init=False, repr=False)
    #: Parent path parts -> (the variable part under it, a route that declared it).
    _variables: dict[tuple[str, ...], tuple[str, str]] = field(
        default_factory=dict, init=False, repr=False
    )

    kind = "Api"

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not API_NAME.fullmatch(self.name):
            raise ServiceDefinitionError(
                f"RestAPI name {self.name!r} must start with a letter and hold only letters, "
                "digits, hyphens and underscores (at most 128)"
            )
        what = self.what
        if not isinstance(self.stage, str) or not STAGE_NAME.fullmatch(self.stage):
            raise ServiceDefinitionError(
                f"{what}: stage {self.stage!r} must be 1-128 letters, digits, hyphens or "
                "underscores"
            )
        self.cors_config = cors_config(self.cors, what)
        if self.endpoint_type not in ENDPOINT_TYPES:
            raise ServiceDefinitionError(
                f"{what}: endpoint_type must be one of {', '.join(ENDPOINT_TYPES)}, got "
                f"{self.endpoint_type!r} (a PRIVATE API needs a VPC endpoint and a resource "
                "policy, which sparta does not generate)"
            )
        if isinstance(self.binary_media_types, str) or not all(
            isinstance(t, str) and MEDIA_TYPE.fullmatch(t) for t in self.binary_media_types
        ):
            raise ServiceDefinitionError(
                f"{what}: binary_media_types must be a list of media types such as "
                f"'image/png' or '*/*', got {self.binary_media_types!r}"
            )
        self.binary_media_types = tuple(self.binary_media_types)
        if not isinstance(self.description, str):
            raise ServiceDefinitionError(f"{what}: description must be a string")

    @property
    def what(self) -> str:
        return f"RestAPI '{self.name}'"

    @property
    def logical_id(self) -> str:
        """The ``AWS::ApiGateway::RestApi`` logical ID; every other ID starts with it."""
        return logical_id(self.name, "Api")

    def resource_id(self, path: str) -> str:
        """The logical ID of the ``AWS::ApiGateway::Resource`` for ``path`` (``"/"`` is
        the API's root resource, which is not a template resource)."""
        return logical_id(self.logical_id, *(part_id(p) for p in split_path(path)), "Resource")

    def method_id(self, path: str, method: str) -> str:
        parts = [part_id(p) for p in split_path(path)] or ["Root"]
        return logical_id(self.logical_id, *parts, method.capitalize(), "Method")

    # -- declaring routes ------------------------------------------------------------

    def route(
        self,
        path: str,
        methods: Sequence[str] = ("GET",),
        function: FunctionTarget | None = None,
        *,
        authorization_type: str = "NONE",
    ) -> Route:
        """Send ``methods`` on ``path`` to ``function`` (a Lambda proxy integration).

        ``path`` starts with ``/``; a part may be ``{name}`` (a path parameter) and the
        last part may be ``{name+}`` (the rest of the path). ``function`` is the function
        ``@service.function`` decorated, its key, or a ``LambdaFunction``.
        ``authorization_type`` is ``"NONE"`` or ``"AWS_IAM"``. Raises naming the route."""
        what = f"{self.what}: route {path!r}"
        parts = check_path(path, what)
        methods = check_methods(methods, what)
        if function is None:
            raise ServiceDefinitionError(f"{what}: function=... is required")
        if not (isinstance(function, (str, LambdaFunction)) or callable(function)):
            raise ServiceDefinitionError(
                f"{what}: function must be a function of the service, its name or a "
                f"LambdaFunction, got {type(function).__name__}"
            )
        if authorization_type not in AUTHORIZATION_TYPES:
            raise ServiceDefinitionError(
                f"{what}: authorization_type must be one of {', '.join(AUTHORIZATION_TYPES)}, "
                f"got {authorization_type!r}"
            )
        taken = [m for m in methods if (path, m) in self._methods]
        if taken:
            existing = self._methods[(path, taken[0])]
            raise ServiceDefinitionError(
                f"{what}: {', '.join(sorted(taken))} {path} is already routed "
                f"(to {_target_name(existing.function)})"
            )
        self._check_siblings(path, parts, what)
        self._claim_ids(path, parts, what)
        route = Route(path, methods, function, authorization_type)
        self.routes.append(route)
        for method in methods:
            self._methods[(path, method)] = route
        for depth, part in enumerate(parts):
            if VARIABLE.fullmatch(part):
                self._variables.setdefault(tuple(parts[:depth]), (part, path))
        return route

    def _check_siblings(self, path: str, parts: list[str], what: str) -> None:
        """API Gateway allows one variable part among a resource's children: ``/a/{id}``
        and ``/a/{name}`` cannot both exist."""
        for depth, part in enumerate(parts):
            if not VARIABLE.fullmatch(part):
                continue
            claimed = self._variables.get(tuple(parts[:depth]))
            if claimed is not None and claimed[0] != part:
                prefix = "/" + "/".join(parts[:depth])
                raise ServiceDefinitionError(
                    f"{what}: {part} and {claimed[0]} (route {claimed[1]!r}) would both be "
                    f"path variables under {prefix!r}; API Gateway allows one per level "
                    "(use the same name)"
                )

    def _claim_ids(self, path: str, parts: list[str], what: str) -> None:
        for depth in range(1, len(parts) + 1):
            sub_path = "/" + "/".join(parts[:depth])
            resource_id = self.resource_id(sub_path)
            owner = self._resource_ids.get(resource_id)
            if owner is not None and owner != sub_path:
                raise ServiceDefinitionError(
                    f"{what}: path {sub_path!r} and path {owner!r} would share the logical "
                    f"ID '{resource_id}'; rename one of them"
                )
        for depth in range(1, len(parts) + 1):
            sub_path = "/" + "/".join(parts[:depth])
            self._resource_ids[self.resource_id(sub_path)] = sub_path

    # -- resolving against the service -----------------------------------------------

    def resolve(self, service: Service) -> list[ResolvedRoute]:
        """Each route with the key of the function it reaches in ``service``; raises
        naming the route and the function when the function is not one of the service's."""
        if not self.routes:
            raise ServiceDefinitionError(f"{self.what} of service '{service.name}' has no routes")
        index = _FunctionIndex(service)
        resolved = []
        for route in self.routes:
            key = index.key_of(route.function)
            if key is None:
                raise ServiceDefinitionError(
                    f"{self.what}: route '{route.describe()}' goes to "
                    f"{_target_name(route.function)}, which is not a function of service "
                    f"'{service.name}' (declare it with @service.function or "
                    "service.add_function)"
                )
            resolved.append(ResolvedRoute(route, key))
        return resolved

    def paths(self) -> list[str]:
        """Every path a template resource is needed for, parents before children."""
        found: set[str] = set()
        for route in self.routes:
            parts = split_path(route.path)
            found.update("/" + "/".join(parts[:depth]) for depth in range(1, len(parts) + 1))
        return sorted(found, key=lambda p: (p.count("/"), p))

    def methods_by_path(self) -> dict[str, list[str]]:
        by_path: dict[str, list[str]] = {}
        for route in self.routes:
            by_path.setdefault(route.path, []).extend(route.methods)
        return by_path

    # -- the component -----------------------------------------------------------------

    def validate(self, service: Service) -> None:
        """Every route reaches one of the service's functions."""
        self.resolve(service)

    def functions(self, service: Service) -> list[LambdaFunction]:
        """The functions the routes reach, each once, in route order."""
        keys = dict.fromkeys(resolved.function_key for resolved in self.resolve(service))
        return [service.functions[key] for key in keys]

    def edges(self, service: Service) -> list[tuple[str, LambdaFunction]]:
        """One per route, labelled with its methods and path."""
        return [
            (resolved.route.describe(), service.functions[resolved.function_key])
            for resolved in self.resolve(service)
        ]

    def contribute(self, wiring: ComponentWiring) -> None:
        """The API, its paths, methods, permissions, deployment, stage and outputs (see
        :mod:`sparta_core.model.api_template`)."""
        from sparta_core.model.api_template import add_api

        add_api(wiring, self)

    def local_routes(self, service: Service) -> list[LocalRoute]:
        """Each route method as ``sparta local api`` serves it: payload 1.0, and with
        CORS on, the preflight API Gateway's ``OPTIONS`` mock answers on the path."""
        from sparta_core.model.local_route import LocalRoute

        by_path = self.methods_by_path()
        routes = []
        for resolved in self.resolve(service):
            route = resolved.route
            preflight = None
            if self.cors_config is not None and "OPTIONS" not in by_path[route.path]:
                preflight = self.cors_config.headers(by_path[route.path])
            routes += [
                LocalRoute(method, route.path, resolved.function_key, "rest-v1",
                           api=self.name, stage=self.stage, preflight=preflight,
                           binary_media_types=tuple(self.binary_media_types),
                           source=self.what)
                for method in route.methods
            ]
        return routes

    def describe(self) -> str:
        return f"RestAPI {self.name} /{self.stage}"


def _target_name(function: FunctionTarget) -> str:
    if isinstance(function, str):
        return f"function '{function}'"
    if isinstance(function, LambdaFunction):
        return f"function '{function.key}'"
    module = getattr(function, "__module__", "?")
    return f"function {module}.{getattr(function, '__qualname__', repr(function))}"


class _FunctionIndex:
    """The service's functions by what a route may name them with, built once per
    resolution: a key, a ``LambdaFunction``, or a decorated Python function (found by
    its defining file and its name, which the service keeps instead of the object; the
    handler's module part may have been rewritten by ``Service.validate``)."""

    def __init__(self, service: Service) -> None:
        self.service = service
        self.by_source: dict[tuple[str, str], list[str]] = {}
        for candidate in service.functions.values():
            if candidate.source is not None:
                name = candidate.handler.rsplit(".", 1)[-1]
                self.by_source.setdefault((candidate.source, name), []).append(candidate.key)

    def key_of(self, function: FunctionTarget) -> str | None:
        if isinstance(function, str):
            return function if function in self.service.functions else None
        if isinstance(function, LambdaFunction):
            found = self.service.functions.get(function.key)
            return function.key if found is function else None
        try:
            source = inspect.getsourcefile(function)
        except TypeError:
            source = None
        name = getattr(function, "__name__", None)
        if source is None or name is None:
            return None
        matches = self.by_source.get((source, name), [])
        if len(matches) > 1:
            raise ServiceDefinitionError(
                f"{_target_name(function)} is declared as several functions "
                f"({', '.join(matches)}); route to one of them by name"
            )
        return matches[0] if matches else None
