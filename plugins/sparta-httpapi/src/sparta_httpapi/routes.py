"""Route keys as API Gateway V2 writes them, checked when a route is declared.

A route key is ``$default`` (every request no other route matches) or ``METHOD /path``:
``METHOD`` is one of :data:`METHODS` (``ANY`` is every method), the path starts with
``/``, and a segment may be a whole-segment parameter ``{id}`` or, as the last segment,
a greedy ``{proxy+}`` that takes the rest of the path. A misspelt keyword
(``GTE /items``, ``$defualt``, ``get /items``) is an error that says what was meant.
No I/O here; nothing imports a stage.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from sparta_core.errors import ServiceDefinitionError

#: The methods a route key may name (HTTP API has no CONNECT or TRACE route).
METHODS = ("ANY", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")
DEFAULT_ROUTE = "$default"
PARAMETER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(\+?)\}")
#: A literal path segment: what API Gateway accepts in a resource path.
LITERAL = re.compile(r"[A-Za-z0-9._~:@!$&'()*,;=-]+")


@dataclass(frozen=True)
class RouteKey:
    """A parsed route key: ``method`` and ``path``, or the ``$default`` route (both
    ``None``). ``str(key)`` is the key as the template writes it."""

    method: str | None
    path: str | None

    @property
    def is_default(self) -> bool:
        return self.method is None

    def __str__(self) -> str:
        return DEFAULT_ROUTE if self.method is None else f"{self.method} {self.path}"

    @property
    def segments(self) -> list[str]:
        return [] if self.path in (None, "/") else self.path.strip("/").split("/")

    def shape(self) -> str:
        """The key with parameter names erased: two routes of one shape would be the
        same route to API Gateway (``GET /a/{id}`` and ``GET /a/{name}``)."""
        if self.method is None:
            return DEFAULT_ROUTE
        parts = [PARAMETER.sub(lambda m: "{+}" if m.group(2) else "{}", s) for s in self.segments]
        return f"{self.method} /" + "/".join(parts)

    def id_parts(self) -> list[str]:
        """Words for this route's logical IDs: ``GET /items/{id}`` is
        ``["Get", "Items", "ParamId"]``; ``$default`` is ``["Default"]``."""
        if self.method is None:
            return ["Default"]
        words = [self.method.capitalize()]
        for segment in self.segments:
            match = PARAMETER.fullmatch(segment)
            if match is None:
                words.append(segment)
            else:
                words.append(("Greedy" if match.group(2) else "Param") + "_" + match.group(1))
        return words or ["Root"]

    def arn_path(self) -> str:
        """``<METHOD>/<path>`` of the execute-api ARN that invokes this route, any
        parameter as ``*`` (``ANY`` is every method). The ``$default`` route's is
        ``$default``, as API Gateway names it when it invokes the function."""
        if self.method is None:
            return DEFAULT_ROUTE
        verb = "*" if self.method == "ANY" else self.method
        parts = ["*" if PARAMETER.fullmatch(s) else s for s in self.segments]
        return f"{verb}/" + "/".join(parts)


def parse_route_key(key: object, what: str) -> RouteKey:
    """``key`` parsed, or a :class:`ServiceDefinitionError` starting with ``what`` that
    names the problem (and what was probably meant)."""
    if not isinstance(key, str):
        raise ServiceDefinitionError(
            f"{what}: a route key is a string such as 'GET /items/{{id}}' or '$default', "
            f"got {type(key).__name__}"
        )
    text = key.strip()
    if text == DEFAULT_ROUTE:
        return RouteKey(None, None)
    if " " not in text:
        if text.startswith("$"):
            hint = _did_you_mean(text, [DEFAULT_ROUTE])
            raise ServiceDefinitionError(f"{what}: unknown route key {key!r}{hint}")
        if text.startswith("/"):
            raise ServiceDefinitionError(
                f"{what}: route key {key!r} has no method (did you mean 'ANY {text}' or "
                f"'GET {text}'?)"
            )
        raise ServiceDefinitionError(
            f"{what}: route key {key!r} must be 'METHOD /path' (such as 'GET /items/{{id}}') "
            f"or '$default'{_did_you_mean(text, [DEFAULT_ROUTE, *METHODS])}"
        )
    method, _, path = text.partition(" ")
    path = path.strip()
    if method not in METHODS:
        candidates = [m for m in METHODS if m == method.upper()] or difflib.get_close_matches(
            method.upper(), METHODS, n=1, cutoff=0.5
        )
        hint = f" (did you mean '{candidates[0]} {path}'?)" if candidates else ""
        raise ServiceDefinitionError(
            f"{what}: {method!r} is not an HTTP API method; use one of "
            f"{', '.join(METHODS)}{hint}"
        )
    check_path(path, what)
    return RouteKey(method, path)


def check_path(path: str, what: str) -> None:
    """Raise unless ``path`` is a route path API Gateway V2 accepts."""
    if not path.startswith("/"):
        raise ServiceDefinitionError(
            f"{what}: the path must start with '/' (did you mean '/{path}'?)"
        )
    if path == "/":
        return
    if path.endswith("/"):
        raise ServiceDefinitionError(
            f"{what}: the path must not end with '/' (did you mean {path.rstrip('/')!r}?)"
        )
    segments = path[1:].split("/")
    names: set[str] = set()
    for position, segment in enumerate(segments):
        if not segment:
            raise ServiceDefinitionError(f"{what}: the path has an empty segment ('//')")
        if "{" in segment or "}" in segment:
            match = PARAMETER.fullmatch(segment)
            if match is None:
                raise ServiceDefinitionError(
                    f"{what}: {segment!r} must be a whole-segment parameter such as "
                    "'{id}' (letters, digits, '_') or, last, a greedy '{proxy+}'"
                )
            name, greedy = match.groups()
            if greedy and position != len(segments) - 1:
                raise ServiceDefinitionError(
                    f"{what}: the greedy parameter {segment!r} must be the last segment"
                )
            if name in names:
                raise ServiceDefinitionError(f"{what}: the parameter {{{name}}} appears twice")
            names.add(name)
        elif not LITERAL.fullmatch(segment):
            raise ServiceDefinitionError(
                f"{what}: segment {segment!r} holds a character a path may not hold"
            )


def _did_you_mean(word: str, choices: list[str]) -> str:
    found = difflib.get_close_matches(word, choices, n=1, cutoff=0.6) or [
        c for c in choices if c.lower() == word.lower()
    ]
    return f" (did you mean {found[0]!r}?)" if found else ""
