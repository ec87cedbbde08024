"""Lambda-side helpers for payload format 2.0: standard library only.

Used inside the function (``from sparta_httpapi import response, json_body``); the
archive ships this package whenever the service uses :class:`~sparta_httpapi.HttpAPI`.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any


def response(
    body: Any = None,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
    *,
    cookies: list[str] | None = None,
) -> dict[str, Any]:
    """A payload-2.0 response: ``status`` with ``body``. A ``str`` body is sent as it is
    (``text/plain`` unless ``headers`` say otherwise), ``bytes`` base64-encoded
    (``application/octet-stream``), anything else as JSON (``application/json``);
    ``None`` sends no body. ``cookies`` become ``Set-Cookie`` headers."""
    if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
        raise ValueError(f"status must be an HTTP status code, got {status!r}")
    answer: dict[str, Any] = {"statusCode": status, "isBase64Encoded": False}
    if body is None:
        content_type, text = None, ""
    elif isinstance(body, bytes):
        content_type, text = "application/octet-stream", base64.b64encode(body).decode()
        answer["isBase64Encoded"] = True
    elif isinstance(body, str):
        content_type, text = "text/plain; charset=utf-8", body
    else:
        content_type, text = "application/json", json.dumps(body, default=str)
    given = {k.lower(): v for k, v in (headers or {}).items()}
    out = dict(headers or {})
    if content_type and "content-type" not in given:
        out["Content-Type"] = content_type
    answer["headers"] = out
    answer["body"] = text
    if cookies:
        answer["cookies"] = list(cookies)
    return answer


def json_body(event: Mapping[str, Any], default: Any = None) -> Any:
    """The request's body parsed as JSON (decoded first when API Gateway sent it
    base64-encoded); ``default`` when there is no body. Invalid JSON raises
    ``ValueError``: answer it with ``response({...}, status=400)``."""
    body = event.get("body")
    if body is None or body == "":
        return default
    if event.get("isBase64Encoded"):
        body = base64.b64decode(body).decode("utf-8")
    return json.loads(body)
