"""Request handlers of the photos API: plain functions of an API Gateway proxy event.

They answer with ``sparta_runtime.api.response``, which adds the CORS headers the API
calls for (with a proxy integration, the function's response is the HTTP response).
"""

from __future__ import annotations

from typing import Any

from sparta_runtime.api import json_body, response

#: Thumbnail sizes this demo "knows"; a real service would read them from a table.
SIZES = {"cat": 120, "dog": 96}


def get_thumb(event: dict[str, Any], context: Any) -> dict[str, Any]:
    thumb_id = (event.get("pathParameters") or {}).get("id", "")
    if thumb_id not in SIZES:
        return response({"error": f"no thumbnail {thumb_id!r}"}, status_code=404)
    query = event.get("queryStringParameters") or {}
    return response({"id": thumb_id, "size": SIZES[thumb_id], "format": query.get("format",
                                                                                    "jpg")})


def create_thumb(event: dict[str, Any], context: Any) -> dict[str, Any]:
    try:
        body = json_body(event) or {}
    except ValueError:
        return response({"error": "the body must be JSON"}, status_code=400)
    if not isinstance(body, dict) or not isinstance(body.get("id"), str):
        return response({"error": "the body must be an object with a string 'id'"},
                        status_code=400)
    return response({"created": body["id"]}, status_code=201,
                    headers={"Location": f"/thumbs/{body['id']}"})
