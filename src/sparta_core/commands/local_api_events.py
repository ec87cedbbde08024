"""``sparta local api``'s routing and API Gateway's proxy shapes, without any I/O.

:class:`Router` picks the route of a request the way API Gateway does (literal parts
before ``{name}`` before ``{name+}``, an exact method before ``ANY``, ``$default`` last);
:func:`make_event` builds the event of a route's payload shape (a REST API's 1.0, an
HTTP API's 2.0); :func:`make_response` turns the function's result back into status,
headers and body, or ``None`` when the result is not a response the API would accept.
"""

from __future__ import annotations

import base64
import fnmatch
import json
import re
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote

from sparta_core.model.local_route import LocalRoute

_VARIABLE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(\+?)\}")
LOCAL_ACCOUNT = "000000000000"
#: Content types an HTTP API passes as text (the rest arrives base64-encoded).
_TEXT = ("text/*", "application/json", "application/*+json", "application/xml",
         "application/*+xml", "application/javascript", "application/x-www-form-urlencoded")


@dataclass(frozen=True)
class Request:
    """One HTTP request as the server read it."""

    method: str
    path: str
    query: str
    headers: list[tuple[str, str]]
    body: bytes
    source_ip: str = "127.0.0.1"
    host: str = "127.0.0.1"

    def header(self, name: str) -> str | None:
        found = [v for k, v in self.headers if k.lower() == name.lower()]
        return found[-1] if found else None


@dataclass(frozen=True)
class Response:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


class Router:
    """The routes, each compiled once; :meth:`match` is a scan in priority order."""

    def __init__(self, routes: Iterable[LocalRoute]) -> None:
        compiled = []
        for route in routes:
            if route.path == "$default":
                compiled.append(((9,), route, None, ()))
                continue
            parts = [p for p in route.path.split("/") if p]
            pattern, names, rank = "", [], []
            for part in parts:
                variable = _VARIABLE.fullmatch(part)
                if variable is None:
                    pattern += "/" + re.escape(part)
                    rank.append(0)
                elif variable.group(2):
                    pattern += "/(.+)"
                    names.append(variable.group(1))
                    rank.append(2)
                else:
                    pattern += "/([^/]+)"
                    names.append(variable.group(1))
                    rank.append(1)
            regex = re.compile(pattern + "/?" if pattern else "/")
            compiled.append((tuple(rank), route, regex, tuple(names)))
        # Most specific first: a literal part beats a variable, which beats a greedy one.
        compiled.sort(key=lambda c: (c[0], c[1].method == "ANY"))
        self._compiled = compiled
        self.routes = [c[1] for c in compiled]

    def candidates(self, path: str) -> list[tuple[LocalRoute, dict[str, str]]]:
        """Every route whose path matches, in priority order, with its path parameters."""
        found = []
        for _, route, regex, names in self._compiled:
            if regex is None:
                found.append((route, {}))
                continue
            match = regex.fullmatch(path)
            if match is not None:
                found.append((route, {n: unquote(v) for n, v in zip(names, match.groups(),
                                                                     strict=True)}))
        return found

    def match(self, method: str, path: str) -> tuple[LocalRoute, dict[str, str]] | None:
        """The route that answers ``method`` on ``path``, and its path parameters."""
        for route, params in self.candidates(path):
            if route.method in (method, "ANY"):
                return route, params
        return None


def _body(request: Request, binary: bool) -> tuple[str | None, bool]:
    """The body as the event carries it: text, or base64 for a binary media type (and,
    locally, for any body that is not UTF-8, which the function could not read as text)."""
    if not request.body:
        return None, False
    try:
        text = request.body.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if binary or text is None:
        return base64.b64encode(request.body).decode("ascii"), True
    return text, False


def _matches(content_type: str, patterns: Iterable[str]) -> bool:
    return any(fnmatch.fnmatch(content_type, p.lower()) for p in patterns)


def make_event(route: LocalRoute, params: dict[str, str], request: Request) -> dict[str, Any]:
    """The event API Gateway's proxy integration sends the route's function."""
    content_type = (request.header("Content-Type") or "").split(";")[0].strip().lower()
    now = time.time()
    request_id = str(uuid.uuid4())
    pairs = parse_qsl(request.query, keep_blank_values=True)
    if route.payload == "http-v2":
        binary = bool(content_type) and not _matches(content_type, _TEXT)
        body, encoded = _body(request, binary)
        headers: dict[str, str] = {}
        cookies: list[str] = []
        for name, value in request.headers:
            if name.lower() == "cookie":
                cookies += [c.strip() for c in value.split(";") if c.strip()]
                continue
            key = name.lower()
            headers[key] = f"{headers[key]},{value}" if key in headers else value
        query: dict[str, str] = {}
        for name, value in pairs:
            query[name] = f"{query[name]},{value}" if name in query else value
        route_key = "$default" if route.path == "$default" else f"{route.method} {route.path}"
        event: dict[str, Any] = {
            "version": "2.0",
            "routeKey": route_key,
            "rawPath": request.path,
            "rawQueryString": request.query,
            "headers": headers,
            "requestContext": {
                "accountId": LOCAL_ACCOUNT, "apiId": route.api, "domainName": request.host,
                "domainPrefix": request.host.split(".")[0],
                "http": {"method": request.method, "path": request.path,
                         "protocol": "HTTP/1.1", "sourceIp": request.source_ip,
                         "userAgent": request.header("User-Agent") or ""},
                "requestId": request_id, "routeKey": route_key, "stage": route.stage,
                "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
                "timeEpoch": int(now * 1000),
            },
            "isBase64Encoded": encoded,
        }
        if cookies:
            event["cookies"] = cookies
        if query:
            event["queryStringParameters"] = query
        if params:
            event["pathParameters"] = params
        if body is not None:
            event["body"] = body
        return event

    binary = bool(content_type) and _matches(content_type, route.binary_media_types)
    body, encoded = _body(request, binary)
    multi_headers: dict[str, list[str]] = {}
    for name, value in request.headers:
        multi_headers.setdefault(name, []).append(value)
    multi_query: dict[str, list[str]] = {}
    for name, value in pairs:
        multi_query.setdefault(name, []).append(value)
    stage_path = f"/{route.stage}{request.path}"
    return {
        "resource": route.path,
        "path": request.path,
        "httpMethod": request.method,
        "headers": {name: values[-1] for name, values in multi_headers.items()} or None,
        "multiValueHeaders": multi_headers or None,
        "queryStringParameters": {k: v[-1] for k, v in multi_query.items()} or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": params or None,
        "stageVariables": None,
        "requestContext": {
            "accountId": LOCAL_ACCOUNT, "apiId": route.api, "domainName": request.host,
            "httpMethod": request.method, "path": stage_path, "protocol": "HTTP/1.1",
            "requestId": request_id, "requestTime": time.strftime(
                "%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "requestTimeEpoch": int(now * 1000), "resourcePath": route.path,
            "stage": route.stage,
            "identity": {"sourceIp": request.source_ip,
                         "userAgent": request.header("User-Agent") or ""},
        },
        "body": body,
        "isBase64Encoded": encoded,
    }


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def make_response(route: LocalRoute, result: Any) -> Response | None:
    """The HTTP response the API makes of the function's ``result``; ``None`` for a
    result it would reject (API Gateway answers 502 then)."""
    if route.payload == "http-v2" and not (isinstance(result, Mapping)
                                           and "statusCode" in result):
        # Payload 2.0 infers a response: any JSON is a 200 with that JSON as the body.
        body = result if isinstance(result, str) else json.dumps(result)
        return Response(200, [("Content-Type", "application/json"),
                              *route.response_headers.items()], body.encode())
    if not isinstance(result, Mapping):
        return None
    status = result.get("statusCode")
    if isinstance(status, str) and status.isdigit():
        status = int(status)
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
        return None
    headers: list[tuple[str, str]] = list(route.response_headers.items())
    single = result.get("headers") or {}
    multi = result.get("multiValueHeaders") or {}
    if not isinstance(single, Mapping) or not isinstance(multi, Mapping):
        return None
    for name, values in multi.items():
        headers += [(str(name), _text(v)) for v in (values if isinstance(values, list)
                                                    else [values])]
    taken = {name.lower() for name in multi}
    headers += [(str(k), _text(v)) for k, v in single.items() if k.lower() not in taken]
    for cookie in result.get("cookies") or () if route.payload == "http-v2" else ():
        headers.append(("Set-Cookie", str(cookie)))
    body = result.get("body")
    if body is None:
        data = b""
    elif result.get("isBase64Encoded"):
        try:
            data = base64.b64decode(str(body), validate=True)
        except ValueError:
            return None
    else:
        data = _text(body).encode()
    return Response(status, headers, data)


def json_response(status: int, body: Any, headers: Mapping[str, str] | None = None) -> Response:
    return Response(status, [("Content-Type", "application/json"), *(headers or {}).items()],
                    json.dumps(body).encode())
