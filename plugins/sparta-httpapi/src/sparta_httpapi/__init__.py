"""sparta-httpapi: HTTP APIs (API Gateway V2) for sparta services.

On the build host::

    from sparta_httpapi import HttpAPI

    api = service.add(HttpAPI("shop", cors=True))
    api.route("GET /items/{id}", function=get_item)

Inside Lambda, :func:`response` and :func:`json_body` (standard library only) build the
payload-2.0 answer and read the request. The model names are loaded on first use
(PEP 562), so a function that only needs the helpers imports no more than them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from sparta_httpapi.response import json_body, response

__version__ = "0.1.0"

_EXPORTS = {
    "HttpAPI": "sparta_httpapi.api",
    "HttpRoute": "sparta_httpapi.api",
    "JwtAuthorizer": "sparta_httpapi.api",
    "RouteKey": "sparta_httpapi.routes",
    "parse_route_key": "sparta_httpapi.routes",
}

__all__ = [
    "HttpAPI",
    "HttpRoute",
    "JwtAuthorizer",
    "RouteKey",
    "__version__",
    "json_body",
    "parse_route_key",
    "response",
]

if TYPE_CHECKING:
    from sparta_httpapi.api import HttpAPI, HttpRoute, JwtAuthorizer
    from sparta_httpapi.routes import RouteKey, parse_route_key


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'sparta_httpapi' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
