"""What ``sparta local api`` serves: one route of an API, as plain data.

Every API component (the built-in :class:`~sparta_core.model.api.RestAPI`, or a plugin's,
such as sparta-httpapi's ``HttpAPI``) describes its routes as :class:`LocalRoute` values,
through the hook ``sparta_local_routes`` (or, for a component, its
:meth:`~sparta_core.model.component.Component.local_routes`). The local server matches
requests against them and builds the event the API would send. No I/O here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from sparta_core.errors import ServiceDefinitionError

#: The event and response shapes of API Gateway's Lambda proxy integrations: a REST
#: API's (payload format 1.0) and an HTTP API's (payload format 2.0).
PAYLOADS = ("rest-v1", "http-v2")


@dataclass(frozen=True)
class LocalRoute:
    """One method on one path, proxied to one function of the service.

    - ``method``: an HTTP method, or ``ANY`` for every method.
    - ``path``: the route's path as written, without the stage: ``/items/{id}``; a part
      may be ``{name}`` (one segment) and the last part ``{name+}`` (the rest of the
      path); ``$default`` (an HTTP API's catch-all) matches what no other route does.
    - ``function``: the key of the service's function that answers.
    - ``payload``: ``"rest-v1"`` or ``"http-v2"``, the event and response shape.
    - ``api``: the API's name (its ``requestContext.apiId`` locally); ``stage``: the
      stage the event names in ``requestContext``.
    - ``preflight``: with CORS on, the headers an ``OPTIONS`` preflight on this path is
      answered with by the API itself (without reaching a function); ``None`` when the
      API does not answer preflights.
    - ``response_headers``: headers the API adds to every response of the route (an HTTP
      API's CORS headers; a REST API adds none, its functions do).
    - ``binary_media_types``: content types whose request bodies reach the function
      base64-encoded (a REST API's ``binaryMediaTypes``).
    - ``source``: who declared the route, for listings (``RestAPI 'photos'``).
    """

    method: str
    path: str
    function: str
    payload: str = "rest-v1"
    api: str = "local"
    stage: str = "$default"
    preflight: Mapping[str, str] | None = None
    response_headers: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    binary_media_types: tuple[str, ...] = ()
    source: str = ""

    def __post_init__(self) -> None:
        if self.payload not in PAYLOADS:
            raise ServiceDefinitionError(
                f"LocalRoute {self.method} {self.path}: payload must be one of "
                f"{', '.join(PAYLOADS)}, got {self.payload!r}"
            )
        if self.path != "$default" and not self.path.startswith("/"):
            raise ServiceDefinitionError(
                f"LocalRoute {self.method} {self.path}: the path must start with '/'"
            )
        object.__setattr__(self, "method", self.method.upper())

    def describe(self) -> str:
        return f"{self.method} {self.path}"
