"""``http_request``: one HTTP request to an API under test (``sparta local api``, or an API
deployed on the local endpoint), answered as a tuple whatever the status."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Mapping


def http_request(url: str, method: str = "GET", body: bytes | None = None,
                 headers: Mapping[str, str] | None = None,
                 timeout: float = 60) -> tuple[int, dict[str, str], bytes]:
    """``(status, headers, body)`` of one request; header names are lower-case, and an
    error status (4xx, 5xx) is an answer, not an exception. Only loopback URLs: tests
    talk to nothing else."""
    if not url.startswith(("http://127.0.0.1:", "http://localhost:", "http://[::1]:")):
        raise ValueError(f"http_request only calls loopback addresses, not {url!r}")
    request = urllib.request.Request(url, data=body, method=method, headers=dict(headers or {}))
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            return response.status, _lower(response.headers.items()), response.read()
    except urllib.error.HTTPError as error:
        return error.code, _lower(error.headers.items()), error.read()


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is the answer (it could lead off loopback)."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


#: No proxy (``HTTP_PROXY`` would take loopback requests elsewhere), no redirects.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirects())


def _lower(items: object) -> dict[str, str]:
    """Header names lower-cased; a header sent several times is joined by ", "."""
    headers: dict[str, str] = {}
    for name, value in items:  # type: ignore[attr-defined]
        key = str(name).lower()
        headers[key] = f"{headers[key]}, {value}" if key in headers else str(value)
    return headers
