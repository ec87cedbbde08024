"""What a REST API's declaration is checked against: names, paths, methods, CORS.

Pure functions of the declaration (no I/O), used by :mod:`sparta_core.model.api`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from sparta_core.errors import ServiceDefinitionError
from sparta_core.model.naming import logical_id

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


def cors_config(value: object, what: str) -> CorsConfig | None:
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


def check_path(path: object, what: str) -> list[str]:
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


def check_methods(methods: object, what: str) -> tuple[str, ...]:
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
