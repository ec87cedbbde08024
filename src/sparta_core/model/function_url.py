"""The ``function_url`` option of a function: an HTTPS endpoint of its own (DESIGN §1).

``function_url=True`` is ``{"auth": "AWS_IAM"}``: only signed requests of principals
allowed ``lambda:InvokeFunctionUrl`` get through. ``{"auth": "NONE"}`` makes the URL
public: sparta adds the resource policy Lambda requires for that (both
``lambda:InvokeFunctionUrl`` with ``FunctionUrlAuthType: NONE`` and, as Lambda asks of
URLs created since October 2025, ``lambda:InvokeFunction`` limited to calls through
the URL). ``cors`` is ``True`` (any origin, any method) or a table of
``allow_origins``, ``allow_methods``, ``allow_headers``, ``expose_headers``,
``max_age``, ``allow_credentials``.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from typing import Any

from sparta_core.errors import ServiceDefinitionError

AUTH_TYPES = ("AWS_IAM", "NONE")
INVOKE_MODES = ("BUFFERED", "RESPONSE_STREAM")
URL_KEYS = ("auth", "cors", "invoke_mode")
#: CORS keys -> the ``Cors`` property of ``AWS::Lambda::Url`` they become.
CORS_KEYS = {
    "allow_origins": "AllowOrigins",
    "allow_methods": "AllowMethods",
    "allow_headers": "AllowHeaders",
    "expose_headers": "ExposeHeaders",
    "max_age": "MaxAge",
    "allow_credentials": "AllowCredentials",
}
HTTP_METHODS = ("GET", "PUT", "HEAD", "POST", "PATCH", "DELETE", "*")
#: Lambda's limit on ``MaxAge`` (seconds).
MAX_CORS_AGE = 86400


def normalize_function_url(value: object, *, what: str) -> dict[str, Any] | None:
    """``value`` as ``{"auth": ..., "cors": {...} | None, "invoke_mode": ...}``, or
    ``None`` for no URL; a bad value is a ``ServiceDefinitionError`` naming the key."""
    if value is None or value is False:
        return None
    if value is True:
        value = {"auth": "AWS_IAM"}
    if not isinstance(value, Mapping):
        raise ServiceDefinitionError(
            f"{what}: function_url must be True or a table like {{'auth': 'NONE'}}, "
            f"got {value!r}"
        )
    _no_unknown(value, URL_KEYS, f"{what}: function_url")
    auth = value.get("auth", "AWS_IAM")
    if auth not in AUTH_TYPES:
        raise ServiceDefinitionError(
            f"{what}: function_url auth must be 'AWS_IAM' or 'NONE', got {auth!r}"
        )
    mode = value.get("invoke_mode", "BUFFERED")
    if mode not in INVOKE_MODES:
        raise ServiceDefinitionError(
            f"{what}: function_url invoke_mode must be {' or '.join(INVOKE_MODES)}, got {mode!r}"
        )
    return {"auth": auth, "cors": _cors(value.get("cors"), what), "invoke_mode": mode}


def _cors(value: object, what: str) -> dict[str, Any] | None:
    if value is None or value is False:
        return None
    if value is True:
        return {"AllowOrigins": ["*"], "AllowMethods": ["*"]}
    if not isinstance(value, Mapping):
        raise ServiceDefinitionError(f"{what}: function_url cors must be True or a table")
    _no_unknown(value, tuple(CORS_KEYS), f"{what}: function_url cors")
    cors: dict[str, Any] = {}
    for key, property_name in CORS_KEYS.items():
        if key not in value:
            continue
        item = value[key]
        if key == "max_age":
            if isinstance(item, bool) or not isinstance(item, int) or not 0 <= item <= MAX_CORS_AGE:
                raise ServiceDefinitionError(
                    f"{what}: function_url cors max_age must be 0-{MAX_CORS_AGE} seconds"
                )
        elif key == "allow_credentials":
            if not isinstance(item, bool):
                raise ServiceDefinitionError(
                    f"{what}: function_url cors allow_credentials must be true or false"
                )
        else:
            item = _strings(item, f"{what}: function_url cors {key}")
            if key == "allow_methods":
                bad = [method for method in item if method.upper() not in HTTP_METHODS]
                if bad:
                    raise ServiceDefinitionError(
                        f"{what}: function_url cors allow_methods: {bad[0]!r} is not one of "
                        f"{', '.join(HTTP_METHODS)}"
                    )
                item = [method.upper() for method in item]
        cors[property_name] = item
    return cors


def _strings(value: object, what: str) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, Sequence) or not value or not all(
        isinstance(item, str) and item for item in value
    ):
        raise ServiceDefinitionError(f"{what} must be a list of strings")
    return list(value)


def _no_unknown(value: Mapping[Any, Any], known: tuple[str, ...], what: str) -> None:
    for key in value:
        if key not in known:
            close = difflib.get_close_matches(str(key), known, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise ServiceDefinitionError(f"{what} has no key {key!r}{hint}")
