"""``HttpAPI``: an HTTP API (API Gateway V2) in front of a service's functions.

Declared beside the service and attached with ``service.add(HttpAPI("shop"))``; routes
are added with :meth:`HttpAPI.route`, JWT authorizers with :meth:`HttpAPI.jwt_authorizer`.
What can be checked from the declaration alone (the route key, duplicates, the
authorizer, CORS) is checked when it is declared; which function a route reaches is
settled when the service is validated, because routes may be declared before their
functions. The template it becomes is written by :mod:`sparta_httpapi.template`.
Model code: no I/O, and only ``sparta_core``'s public names.
"""

from __future__ import annotations

import difflib
import inspect
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sparta_core as sparta
from sparta_core.errors import ServiceDefinitionError
from sparta_httpapi.routes import DEFAULT_ROUTE, RouteKey, parse_route_key

#: What ``route(function=...)`` takes: the decorated function, its key, or the
#: ``LambdaFunction`` that ``service.add_function`` returned.
FunctionTarget = Callable[..., Any] | str | Any

API_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,127}")
STAGE_NAME = re.compile(r"[A-Za-z0-9_-]{1,128}")
AUTHORIZER_NAME = re.compile(r"[A-Za-z0-9_-]{1,128}")
#: ``cors={...}`` keys and the ``CorsConfiguration`` property each becomes.
CORS_KEYS = {
    "allow_origins": "AllowOrigins",
    "allow_methods": "AllowMethods",
    "allow_headers": "AllowHeaders",
    "expose_headers": "ExposeHeaders",
    "max_age": "MaxAge",
    "allow_credentials": "AllowCredentials",
}
#: Headers ``cors=True`` allows: what a JSON client and a JWT route need (a browser
#: never counts ``Authorization`` under a ``*`` wildcard).
DEFAULT_CORS_HEADERS = ("authorization", "content-type")


@dataclass(frozen=True)
class JwtAuthorizer:
    """A JWT authorizer of one :class:`HttpAPI`; pass it to :meth:`HttpAPI.route`.

    API Gateway checks the token in ``identity_source`` against ``issuer`` (its
    ``/.well-known/openid-configuration``) and ``audience`` before the function runs, and
    answers 401 itself when it is missing or invalid."""

    api: str
    name: str
    issuer: Any
    audience: tuple[Any, ...]
    identity_source: str = "$request.header.Authorization"


@dataclass(frozen=True)
class HttpRoute:
    """One route: its key, the function it reaches, its authorizer and scopes."""

    key: RouteKey
    function: FunctionTarget
    authorizer: JwtAuthorizer | None = None
    scopes: tuple[str, ...] = ()

    def describe(self) -> str:
        return str(self.key)


@dataclass
class HttpAPI(sparta.Component):
    """An HTTP API of API Gateway (V2): a payload-2.0 Lambda proxy per route, an
    auto-deployed stage, permissions scoped to each route, its URL as the output
    ``<Name>HttpApiUrl``.

    ``name`` names the API and starts its logical IDs (``shop`` gives ``ShopHttpApi``).
    ``cors`` is ``False``, ``True`` (any origin, the routes' methods, the headers
    ``authorization`` and ``content-type``) or a mapping of ``allow_origins``,
    ``allow_methods``, ``allow_headers``, ``expose_headers``, ``max_age``,
    ``allow_credentials``. ``stage`` is ``"$default"`` (the URL has no stage part) or a
    stage name.
    """

    name: str
    cors: bool | Mapping[str, Any] = False
    stage: str = DEFAULT_ROUTE
    description: str = ""
    routes: list[HttpRoute] = field(default_factory=list, init=False)
    authorizers: dict[str, JwtAuthorizer] = field(default_factory=dict, init=False)
    _shapes: dict[str, HttpRoute] = field(default_factory=dict, init=False, repr=False)
    _ids: dict[str, str] = field(default_factory=dict, init=False, repr=False)

    kind = "HttpApi"

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not API_NAME.fullmatch(self.name):
            raise ServiceDefinitionError(
                f"HttpAPI name {self.name!r} must start with a letter and hold only letters, "
                "digits, hyphens and underscores (at most 128)"
            )
        if self.stage != DEFAULT_ROUTE and not (
            isinstance(self.stage, str) and STAGE_NAME.fullmatch(self.stage)
        ):
            raise ServiceDefinitionError(
                f"{self.what}: stage {self.stage!r} must be '$default' or 1-128 letters, "
                "digits, hyphens or underscores"
            )
        if not isinstance(self.description, str):
            raise ServiceDefinitionError(f"{self.what}: description must be a string")
        check_cors(self.cors, self.what)

    # -- declaring ---------------------------------------------------------------------

    def route(
        self,
        key: str,
        function: FunctionTarget | None = None,
        *,
        authorizer: JwtAuthorizer | None = None,
        scopes: Sequence[str] = (),
    ) -> HttpRoute:
        """Send the requests of route ``key`` (``"GET /items/{id}"``, ``"ANY /x/{proxy+}"``,
        ``"$default"``) to ``function`` (the decorated function, its key or a
        ``LambdaFunction``). With ``authorizer`` (from :meth:`jwt_authorizer`), API
        Gateway lets through only requests with a valid token (holding ``scopes``).
        Returns the route; raises naming it when the key is malformed or taken."""
        route_key = parse_route_key(key, f"{self.what}: route {key!r}")
        what = f"{self.what}: route '{route_key}'"
        if function is None:
            raise ServiceDefinitionError(f"{what}: function=... is required")
        if not isinstance(function, (str, sparta.LambdaFunction)) and not callable(function):
            raise ServiceDefinitionError(
                f"{what}: function must be a function of the service, its name or a "
                f"LambdaFunction, got {type(function).__name__}"
            )
        if authorizer is not None and (
            not isinstance(authorizer, JwtAuthorizer) or authorizer.api != self.name
        ):
            raise ServiceDefinitionError(
                f"{what}: authorizer must be one that this API's jwt_authorizer() returned"
            )
        if isinstance(scopes, str) or not all(isinstance(s, str) and s for s in scopes):
            raise ServiceDefinitionError(f"{what}: scopes must be a list of strings")
        if scopes and authorizer is None:
            raise ServiceDefinitionError(f"{what}: scopes need an authorizer")
        taken = self._shapes.get(route_key.shape())
        if taken is not None:
            same = "already routed" if str(taken.key) == str(route_key) else (
                f"the same route as '{taken.key}' to API Gateway")
            raise ServiceDefinitionError(f"{what} is {same} (to {_target_name(taken.function)})")
        suffix = _camel(*route_key.id_parts())
        if suffix in self._ids:
            raise ServiceDefinitionError(
                f"{what} and route '{self._ids[suffix]}' would share the logical ID "
                f"suffix '{suffix}'; rename one of their paths"
            )
        route = HttpRoute(route_key, function, authorizer, tuple(scopes))
        self.routes.append(route)
        self._shapes[route_key.shape()] = route
        self._ids[suffix] = str(route_key)
        return route

    def jwt_authorizer(
        self,
        name: str,
        *,
        issuer: Any,
        audience: Sequence[Any],
        identity_source: str = "$request.header.Authorization",
    ) -> JwtAuthorizer:
        """A JWT authorizer named ``name`` that accepts tokens from ``issuer`` (an
        ``https://`` URL, or a template value) meant for one of ``audience``."""
        what = f"{self.what}: jwt_authorizer {name!r}"
        if not isinstance(name, str) or not AUTHORIZER_NAME.fullmatch(name):
            raise ServiceDefinitionError(
                f"{what}: the name must be 1-128 letters, digits, hyphens or underscores"
            )
        if name in self.authorizers:
            raise ServiceDefinitionError(f"{what} is declared twice")
        if isinstance(issuer, str) and not issuer.startswith("https://"):
            raise ServiceDefinitionError(
                f"{what}: issuer {issuer!r} must be an https:// URL (the token's 'iss')"
            )
        if not issuer:
            raise ServiceDefinitionError(f"{what}: issuer=... is required")
        if isinstance(audience, str) or not audience:
            raise ServiceDefinitionError(
                f"{what}: audience must be a non-empty list (of client IDs), got {audience!r}"
            )
        if not identity_source.startswith("$"):
            raise ServiceDefinitionError(
                f"{what}: identity_source must be a selection expression such as "
                "'$request.header.Authorization'"
            )
        authorizer = JwtAuthorizer(self.name, name, issuer, tuple(audience), identity_source)
        self.authorizers[name] = authorizer
        return authorizer

    # -- against the service -------------------------------------------------------------

    def resolve(self, service: Any) -> list[tuple[HttpRoute, Any]]:
        """Each route with the service's ``LambdaFunction`` it reaches; raises naming the
        route when its function is not one of the service's."""
        if not self.routes:
            raise ServiceDefinitionError(f"{self.what} of service '{service.name}' has no routes")
        resolved = []
        for route in self.routes:
            function = find_function(service, route.function)
            if function is None:
                raise ServiceDefinitionError(
                    f"{self.what}: route '{route.key}' goes to {_target_name(route.function)}, "
                    f"which is not a function of service '{service.name}' (declare it with "
                    "@service.function or service.add_function)"
                )
            resolved.append((route, function))
        return resolved

    def validate(self, service: Any) -> None:
        """Every route reaches one of the service's functions."""
        self.resolve(service)

    def functions(self, service: Any) -> list[Any]:
        """The functions the routes reach, each once, in route order."""
        found = {function.key: function for _, function in self.resolve(service)}
        return list(found.values())

    def edges(self, service: Any) -> list[tuple[str, Any]]:
        """One per route, labelled with its key (and its authorizer)."""
        return [
            (str(route.key) + (f" [{route.authorizer.name}]" if route.authorizer else ""), fn)
            for route, fn in self.resolve(service)
        ]

    def contribute(self, wiring: sparta.ComponentWiring) -> None:
        """The API and its parts (see :mod:`sparta_httpapi.template`)."""
        from sparta_httpapi.template import add_http_api

        add_http_api(wiring, self)

    def describe(self) -> str:
        return f"HttpAPI {self.name} ({len(self.routes)} routes, stage {self.stage})"

    def local_routes(self, service: Any) -> list[sparta.LocalRoute]:
        """Each route as ``sparta local api`` serves it: payload format 2.0, the
        ``$default`` route as the catch-all, and with CORS on, the preflight answer and
        the headers API Gateway adds to every response. A JWT authorizer is not checked
        locally (there is no issuer to ask); the route's listing says so, and the
        function sees no ``authorizer`` claims."""
        preflight, added = self.local_cors_headers()
        routes = []
        for route, function in self.resolve(service):
            source = f"HttpAPI '{self.name}'"
            if route.authorizer is not None:
                source += f" (JWT '{route.authorizer.name}' not checked locally)"
            routes.append(sparta.LocalRoute(
                route.key.method or "ANY", route.key.path or DEFAULT_ROUTE, function.key,
                "http-v2", api=self.name, stage=self.stage, preflight=preflight,
                response_headers=added, source=source,
            ))
        return routes

    def local_cors_headers(self) -> tuple[dict[str, str] | None, dict[str, str]]:
        """``(preflight, added)``: the headers of API Gateway's answer to a CORS
        preflight, and those it adds to a route's responses; ``(None, {})`` without
        CORS. With several allowed origins the first is given (API Gateway echoes the
        request's origin when it is one of them; the local server answers statically)."""
        cors = self.cors_configuration()
        if cors is None:
            return None, {}
        origins = cors.get("AllowOrigins") or ["*"]
        added = {"Access-Control-Allow-Origin": origins[0]}
        if cors.get("AllowCredentials"):
            added["Access-Control-Allow-Credentials"] = "true"
        if cors.get("ExposeHeaders"):
            added["Access-Control-Expose-Headers"] = ",".join(cors["ExposeHeaders"])
        preflight = dict(added)
        if cors.get("AllowMethods"):
            preflight["Access-Control-Allow-Methods"] = ",".join(cors["AllowMethods"])
        if cors.get("AllowHeaders"):
            preflight["Access-Control-Allow-Headers"] = ",".join(cors["AllowHeaders"])
        if cors.get("MaxAge") is not None:
            preflight["Access-Control-Max-Age"] = str(cors["MaxAge"])
        return preflight, added

    def cors_configuration(self) -> dict[str, Any] | None:
        """The ``CorsConfiguration`` property, or ``None`` without CORS."""
        if self.cors is False:
            return None
        if self.cors is True:
            methods = sorted({r.key.method for r in self.routes if r.key.method})
            if "ANY" in methods or any(r.key.is_default for r in self.routes) or not methods:
                methods = ["*"]
            return {
                "AllowOrigins": ["*"],
                "AllowMethods": methods,
                "AllowHeaders": list(DEFAULT_CORS_HEADERS),
            }
        assert isinstance(self.cors, Mapping)
        return {CORS_KEYS[k]: _cors_value(k, v) for k, v in self.cors.items()}


def check_cors(cors: object, what: str) -> None:
    """Raise unless ``cors`` is a bool or a mapping of known keys."""
    if isinstance(cors, bool):
        return
    if not isinstance(cors, Mapping):
        raise ServiceDefinitionError(
            f"{what}: cors must be True, False or a dict of {', '.join(CORS_KEYS)}"
        )
    for key, value in cors.items():
        if key not in CORS_KEYS:
            close = difflib.get_close_matches(str(key), list(CORS_KEYS), n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ServiceDefinitionError(
                f"{what}: unknown cors key {key!r}{hint}; known: {', '.join(CORS_KEYS)}"
            )
        if key == "max_age" and (isinstance(value, bool) or not isinstance(value, int)
                                 or not -1 <= value <= 86400):
            raise ServiceDefinitionError(f"{what}: cors max_age must be seconds, -1 to 86400")
        if key == "allow_credentials":
            if not isinstance(value, bool):
                raise ServiceDefinitionError(f"{what}: cors allow_credentials must be a bool")
        elif key != "max_age" and (isinstance(value, str) or not all(
                isinstance(v, str) for v in value)):
            raise ServiceDefinitionError(f"{what}: cors {key} must be a list of strings")
    if cors.get("allow_credentials") and "*" in cors.get("allow_origins", ["*"]):
        raise ServiceDefinitionError(
            f"{what}: cors allow_credentials needs explicit allow_origins (browsers refuse "
            "credentials with any origin, '*')"
        )


def _cors_value(key: str, value: Any) -> Any:
    return value if key in ("max_age", "allow_credentials") else list(value)


def find_function(service: Any, target: FunctionTarget) -> Any | None:
    """The service's ``LambdaFunction`` that ``target`` names: a key, a
    ``LambdaFunction`` of the service, or a function decorated with
    ``@service.function`` (matched by its file and its name); else ``None``."""
    if isinstance(target, str):
        return service.functions.get(target)
    if isinstance(target, sparta.LambdaFunction):
        return target if service.functions.get(target.key) is target else None
    try:
        source = inspect.getsourcefile(target)
    except TypeError:
        return None
    name = getattr(target, "__name__", None)
    if source is None or name is None:
        return None
    path = Path(source).resolve()
    matches = [
        function for function in service.functions.values()
        if function.source is not None and function.handler.rsplit(".", 1)[-1] == name
        and Path(function.source).resolve() == path
    ]
    if len(matches) > 1:
        raise ServiceDefinitionError(
            f"{_target_name(target)} is declared as several functions "
            f"({', '.join(f.key for f in matches)}); route to one of them by name"
        )
    return matches[0] if matches else None


def _target_name(function: FunctionTarget) -> str:
    if isinstance(function, str):
        return f"function '{function}'"
    key = getattr(function, "key", None)
    if isinstance(key, str):
        return f"function '{key}'"
    module = getattr(function, "__module__", "?")
    return f"function {module}.{getattr(function, '__qualname__', repr(function))}"


def _camel(*parts: str) -> str:
    """CamelCase of ``parts`` split on anything not a letter or digit, as sparta's
    logical IDs are made (``child_id`` gives the same words)."""
    words = [w for part in parts for w in re.split(r"[^A-Za-z0-9]+", part) if w]
    return "".join(w[0].upper() + w[1:] for w in words)
