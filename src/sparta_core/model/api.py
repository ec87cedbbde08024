"""A REST API (API Gateway v1) in front of the service's functions.

``RestAPI`` is declared beside the service and handed to it (``Service(..., api=api)``);
routes are added with :meth:`RestAPI.route`. Everything that can be checked from the
declaration alone (path syntax, methods, duplicate routes, sibling path variables,
logical-ID collisions) is checked when the route is declared; which function a route
reaches is settled by :meth:`RestAPI.resolve`, when the service is validated, because
routes may be declared before or after their functions. No I/O here.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sparta_core.errors import ServiceDefinitionError
from sparta_core.model.function import LambdaFunction
from sparta_core.model.naming import logical_id

if TYPE_CHECKING:
    from sparta_core.model.service import Service

#: The methods API Gateway accepts on a resource; ``ANY`` matches every method.
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY")
ENDPOINT_TYPES = ("REGIONAL", "EDGE")
AUTHORIZATION_TYPES = ("NONE", "AWS_IAM")
API_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,127}")
STAGE_NAME = re.compile(r"[A-Za-z0-9_-]{1,128}")
#: A literal path part: the characters API Gateway takes in a resource's PathPart.
LITERAL = re.compile(r"[A-Za-z0-9._:-]+")
VARIABLE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(\+?)\}")
MEDIA_TYPE = re.compile(r"[\w.+*-]+/[\w.+*-]+")
#: The request headers a browser may send, when ``cors=True``.
DEFAULT_ALLOW_HEADERS = (
    "Content-Type", "X-Amz-Date", "Authorization", "X-Api-Key", "X-Amz-Security-Token",
)


@dataclass(frozen=True)
class CorsConfig:
    """What the API tells browsers (the ``Access-Control-*`` headers).

    ``allow_methods`` empty means the methods of each path (plus ``OPTIONS``).
    ``RestAPI(cors=True)`` is ``CorsConfig()``; a mapping with these keys is accepted too.
    """

    allow_origin: str = "*"
    allow_headers: Sequence[str] = DEFAULT_ALLOW_HEADERS
    allow_methods: Sequence[str] = ()
    expose_headers: Sequence[str] = ()
    max_age: int | None = None
    allow_credentials: bool = False

    def headers(self, methods: Iterable[str]) -> dict[str, str]:
        """The response headers for a path that takes ``methods``."""
        methods = set(methods)
        if "ANY" in methods:
            methods = set(METHODS) - {"ANY"}
        allowed = [m.upper() for m in self.allow_methods] or sorted(methods | {"OPTIONS"})
        headers = {
            "Access-Control-Allow-Origin": self.allow_origin,
            "Access-Control-Allow-Headers": ",".join(self.allow_headers),
            "Access-Control-Allow-Methods": ",".join(allowed),
        }
        if self.expose_headers:
            headers["Access-Control-Expose-Headers"] = ",".join(self.expose_headers)
        if self.max_age is not None:
            headers["Access-Control-Max-Age"] = str(self.max_age)
        if self.allow_credentials:
            headers["Access-Control-Allow-Credentials"] = "true"
        return headers


def _cors_config(value: object, what: str) -> CorsConfig | None:
    if value is False or value is None:
        return None
    if value is True:
        return CorsConfig()
    if isinstance(value, CorsConfig):
        config = value
    elif isinstance(value, Mapping):
        unknown = sorted(set(value) - set(CorsConfig.__dataclass_fields__))
        if unknown:
            raise ServiceDefinitionError(
                f"{what}: cors has unknown key(s) {', '.join(unknown)} (expected "
                f"{', '.join(CorsConfig.__dataclass_fields__)})"
            )
        config = CorsConfig(**value)
    else:
        raise ServiceDefinitionError(
            f"{what}: cors must be True, False, a CorsConfig or a mapping, "
            f"got {type(value).__name__}"
        )
    if not isinstance(config.allow_origin, str) or not config.allow_origin:
        raise ServiceDefinitionError(f"{what}: cors allow_origin must be a non-empty string")
    if config.allow_credentials and config.allow_origin == "*":
        raise ServiceDefinitionError(
            f"{what}: cors allow_credentials needs an explicit allow_origin (browsers "
            "refuse credentials with '*')"
        )
    for key in ("allow_headers", "allow_methods", "expose_headers"):
        items = getattr(config, key)
        if isinstance(items, str) or not all(isinstance(i, str) and i for i in items):
            raise ServiceDefinitionError(f"{what}: cors {key} must be a list of strings")
    bad = [m for m in config.allow_methods if m.upper() not in METHODS or m.upper() == "ANY"]
    if bad:
        raise ServiceDefinitionError(f"{what}: cors allow_methods has unknown {bad[0]!r}")
    if config.max_age is not None and (
        isinstance(config.max_age, bool) or not isinstance(config.max_age, int)
        or config.max_age < 0
    ):
        raise ServiceDefinitionError(f"{what}: cors max_age must be a whole number of seconds")
    return config


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


def split_path(path: str) -> list[str]:
    """The path's parts: ``"/thumbs/{id}"`` is ``["thumbs", "{id}"]``; ``"/"`` is ``[]``."""
    return [part for part in path.split("/")[1:] if part] if path != "/" else []


def part_id(part: str) -> str:
    """A path part as a logical-ID fragment; a variable is marked so that ``/{id}`` and
    ``/id`` differ (``Id`` vs ``ParamId``, ``{proxy+}`` is ``ParamProxyPlus``)."""
    match = VARIABLE.fullmatch(part)
    if match:
        return logical_id("Param", match.group(1), "Plus" if match.group(2) else "")
    return logical_id(part)


@dataclass
class RestAPI:
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
        self.cors_config = _cors_config(self.cors, what)
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
        parts = _check_path(path, what)
        methods = _check_methods(methods, what)
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
        for existing in self.routes:
            if existing.path == path:
                taken = sorted(set(existing.methods) & set(methods))
                if taken:
                    raise ServiceDefinitionError(
                        f"{what}: {', '.join(taken)} {path} is already routed "
                        f"(to {_target_name(existing.function)})"
                    )
        self._check_siblings(parts, what)
        self._claim_ids(path, parts, what)
        route = Route(path, methods, function, authorization_type)
        self.routes.append(route)
        return route

    def _check_siblings(self, parts: list[str], what: str) -> None:
        """API Gateway allows one variable part among a resource's children: ``/a/{id}``
        and ``/a/{name}`` cannot both exist."""
        for existing in self.routes:
            other = split_path(existing.path)
            for depth, (mine, theirs) in enumerate(zip(parts, other, strict=False)):
                if mine == theirs:
                    continue
                if VARIABLE.fullmatch(mine) and VARIABLE.fullmatch(theirs):
                    prefix = "/" + "/".join(parts[:depth])
                    raise ServiceDefinitionError(
                        f"{what}: {mine} and {theirs} (route {existing.path!r}) would both be "
                        f"path variables under {prefix!r}; API Gateway allows one per level "
                        "(use the same name)"
                    )
                break

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
        resolved = []
        for route in self.routes:
            key = _function_key(route.function, service)
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


def _check_path(path: object, what: str) -> list[str]:
    if not isinstance(path, str) or not path.startswith("/"):
        raise ServiceDefinitionError(f"{what}: a path must start with '/'")
    if path != "/" and path.endswith("/"):
        raise ServiceDefinitionError(f"{what}: a path must not end with '/'")
    parts = split_path(path)
    if path != "/" and len(parts) != path.count("/"):
        raise ServiceDefinitionError(f"{what}: a path must not contain an empty part ('//')")
    names: set[str] = set()
    for index, part in enumerate(parts):
        match = VARIABLE.fullmatch(part)
        if match:
            name, greedy = match.groups()
            if greedy and index != len(parts) - 1:
                raise ServiceDefinitionError(
                    f"{what}: greedy part {part} must be the last part of the path"
                )
            if name in names:
                raise ServiceDefinitionError(f"{what}: path parameter {{{name}}} appears twice")
            names.add(name)
        elif "{" in part or "}" in part:
            raise ServiceDefinitionError(
                f"{what}: part {part!r} is not a whole {{name}} or {{name+}} parameter"
            )
        elif not LITERAL.fullmatch(part):
            raise ServiceDefinitionError(
                f"{what}: part {part!r} may hold only letters, digits and . _ - :"
            )
    return parts


def _check_methods(methods: object, what: str) -> tuple[str, ...]:
    if isinstance(methods, str):
        methods = [methods]
    if not isinstance(methods, (list, tuple)) or not methods:
        raise ServiceDefinitionError(f"{what}: methods must be a non-empty list such as ['GET']")
    result: list[str] = []
    for method in methods:
        name = method.upper() if isinstance(method, str) else method
        if name not in METHODS:
            raise ServiceDefinitionError(
                f"{what}: method {method!r} is not one of {', '.join(METHODS)}"
            )
        if name in result:
            raise ServiceDefinitionError(f"{what}: method {name} is listed twice")
        result.append(name)
    return tuple(result)


def _target_name(function: FunctionTarget) -> str:
    if isinstance(function, str):
        return f"function '{function}'"
    if isinstance(function, LambdaFunction):
        return f"function '{function.key}'"
    module = getattr(function, "__module__", "?")
    return f"function {module}.{getattr(function, '__qualname__', repr(function))}"


def _function_key(function: FunctionTarget, service: Service) -> str | None:
    if isinstance(function, str):
        return function if function in service.functions else None
    if isinstance(function, LambdaFunction):
        found = service.functions.get(function.key)
        return function.key if found is function else None
    # A decorated function: the service keeps its defining file and its name (the
    # last part of the handler), not the object, and the handler's module part may
    # have been rewritten to the project-relative module by Service.validate.
    try:
        source = inspect.getsourcefile(function)
    except TypeError:
        source = None
    name = getattr(function, "__name__", None)
    matches = [
        candidate.key
        for candidate in service.functions.values()
        if candidate.source is not None and candidate.source == source
        and candidate.handler.rsplit(".", 1)[-1] == name
    ]
    if len(matches) > 1:
        raise ServiceDefinitionError(
            f"{_target_name(function)} is declared as several functions "
            f"({', '.join(matches)}); route to one of them by name"
        )
    return matches[0] if matches else None
