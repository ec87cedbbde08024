"""Responses for functions behind a ``sparta.RestAPI`` (Lambda proxy integration).

With a proxy integration, what the function returns is the HTTP response:
``{"statusCode": ..., "headers": {...}, "body": "<string>"}``. API Gateway adds nothing
to it, so when the API has CORS on, the function's responses must carry the
``Access-Control-Allow-Origin`` header themselves (the preflight ``OPTIONS`` is
answered by API Gateway). sparta puts the headers the API's CORS settings call for in
the ``SPARTA_CORS`` environment variable of every function the API routes to;
:func:`response` adds them.

Standard library only; must not import ``sparta_core``.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Mapping
from typing import Any

CORS_VARIABLE = "SPARTA_CORS"


def cors_headers() -> dict[str, str]:
    """The CORS headers of this function's API (empty when CORS is off, or outside
    a sparta deployment)."""
    value = os.environ.get(CORS_VARIABLE, "")
    return dict(json.loads(value)) if value else {}


def response(
    body: Any = None,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """A proxy-integration response: ``body`` as JSON (dicts, lists, numbers...), as
    text (``str``) or base64 (``bytes``, for an API with binary media types), with the
    API's CORS headers and then ``headers`` (which win)."""
    merged = cors_headers()
    encoded = False
    if body is None:
        text = ""
    elif isinstance(body, bytes):
        text = base64.b64encode(body).decode("ascii")
        encoded = True
        merged.setdefault("Content-Type", "application/octet-stream")
    elif isinstance(body, str):
        text = body
        merged.setdefault("Content-Type", "text/plain; charset=utf-8")
    else:
        text = json.dumps(body)
        merged.setdefault("Content-Type", "application/json")
    merged.update(headers or {})
    return {
        "statusCode": int(status_code),
        "headers": merged,
        "body": text,
        "isBase64Encoded": encoded,
    }


def json_body(event: Mapping[str, Any]) -> Any:
    """The request's body parsed as JSON (``None`` when empty); ``ValueError`` when it
    is not JSON."""
    raw = event.get("body")
    if not raw:
        return None
    if event.get("isBase64Encoded"):
        raw = base64.b64decode(raw).decode("utf-8")
    return json.loads(raw)
