"""Real HTTP servers on 127.0.0.1 for the faults MiniStack cannot show by itself
(imported by name: this directory is on sys.path).

* :func:`hung_server`: accepts every connection and never answers (a wedged endpoint).
* :class:`Proxy`: forwards every request to the MiniStack endpoint, except those its
  ``intercept`` callable answers (or holds, or drops) itself. CloudFormation speaks the
  AWS query protocol (``POST /`` with ``Action=...`` in a form body), so a request is
  recognised by its action; everything else (S3, IAM, Lambda) passes through unchanged.
"""

from __future__ import annotations

import contextlib
import http.client
import http.server
import socket
import threading
import urllib.parse
from collections.abc import Callable, Iterator
from typing import Any


@contextlib.contextmanager
def tcp_server(keep: bool) -> Iterator[tuple[str, list[socket.socket]]]:
    """A TCP server on 127.0.0.1 that accepts every connection and never sends a byte;
    yields its URL and the accepted connections. ``keep``: hold each one open until the
    end (a wedged endpoint); otherwise close it at once (an endpoint that hangs up)."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            accepted.append(connection)
            if not keep:
                connection.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}", accepted
    finally:
        stop.set()
        thread.join(2)
        for connection in accepted:
            connection.close()
        listener.close()


def hung_server() -> contextlib.AbstractContextManager[tuple[str, list[socket.socket]]]:
    """Accepts every connection and never answers: a wedged endpoint."""
    return tcp_server(keep=True)


class Request:
    """One request the proxy received: method, path, headers, body, and its query-protocol
    action (``''`` for a request that is not CloudFormation's)."""

    def __init__(self, handler: http.server.BaseHTTPRequestHandler, body: bytes) -> None:
        self.handler = handler
        self.method = handler.command
        self.path = handler.path
        self.headers = dict(handler.headers.items())
        self.body = body
        form = {}
        if self.method == "POST" and b"Action=" in body[:200]:
            form = {k: v[0] for k, v in urllib.parse.parse_qs(body.decode()).items()}
        self.form: dict[str, str] = form
        self.action = form.get("Action", "")

    def reply(self, status: int, body: str | bytes, content_type: str = "text/xml") -> None:
        data = body.encode() if isinstance(body, str) else body
        self.handler.send_response(status)
        self.handler.send_header("Content-Type", content_type)
        self.handler.send_header("Content-Length", str(len(data)))
        self.handler.end_headers()
        self.handler.wfile.write(data)

    def drop(self) -> None:
        """Close the connection without an answer (a cut connection)."""
        self.handler.close_connection = True
        with contextlib.suppress(OSError):
            self.handler.connection.shutdown(socket.SHUT_RDWR)


#: ``intercept(request, forward)``: answer, hold or drop ``request`` and return True; or
#: return False to let it through. ``forward(request)`` sends it upstream and returns
#: ``(status, headers, body)`` so an interceptor can rewrite an answer.
Interceptor = Callable[[Request, Callable[[Request], tuple[int, list[tuple[str, str]], bytes]]],
                       bool]


def forward_to(upstream: str) -> Callable[[Request], tuple[int, list[tuple[str, str]], bytes]]:
    host, port = upstream.split("//")[-1].rsplit(":", 1)

    def forward(request: Request) -> tuple[int, list[tuple[str, str]], bytes]:
        connection = http.client.HTTPConnection(host, int(port), timeout=60)
        headers = {name: value for name, value in request.headers.items()
                   if name.lower() not in ("connection", "transfer-encoding", "expect")}
        connection.request(request.method, request.path, body=request.body or None,
                           headers=headers)
        response = connection.getresponse()
        payload = response.read()
        connection.close()
        return response.status, response.getheaders(), payload

    return forward


def send(request: Request, status: int, headers: list[tuple[str, str]], payload: bytes) -> None:
    request.handler.send_response(status)
    for name, value in headers:
        if name.lower() not in ("content-length", "transfer-encoding", "connection"):
            request.handler.send_header(name, value)
    request.handler.send_header("Content-Length", str(len(payload)))
    request.handler.end_headers()
    if request.method != "HEAD":
        request.handler.wfile.write(payload)


class Proxy:
    """A forwarding proxy to ``upstream`` on a free port of 127.0.0.1; ``intercept``
    decides per request. ``requests`` lists the actions (or ``METHOD path``) seen."""

    def __init__(self, upstream: str, intercept: Interceptor | None = None) -> None:
        self.upstream = upstream
        self.intercept = intercept
        self.requests: list[str] = []
        forward = forward_to(upstream)
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def handle_one(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                request = Request(self, body)
                proxy.requests.append(request.action or f"{request.method} {request.path}")
                if proxy.intercept is not None and proxy.intercept(request, forward):
                    return
                send(request, *forward(request))

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = handle_one

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Proxy:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
