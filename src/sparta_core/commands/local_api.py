"""``sparta local api``: the service's API routes on 127.0.0.1, from the built archive.

The server builds the archive and the template once (as ``sparta invoke`` does, nothing
in AWS changes), asks the plugins for the routes (``sparta_local_routes``), and answers
each request by running the route's function from the archive in a fresh interpreter,
with the event API Gateway's proxy integration would send. A change to a project file
rebuilds (watchfiles when installed, else a cheap poll of modification times); a
request waits for a rebuild in progress and is then served by the new build. One access
log line per request goes to standard output; the handlers' own logs go to standard
error, as ``sparta invoke`` prints them.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import click

from sparta_core.commands.local_api_events import (
    Request,
    Response,
    Router,
    json_response,
    make_event,
    make_response,
)
from sparta_core.errors import ConfigError, SpartaError

HOST = "127.0.0.1"
#: Folders whose changes never rebuild: sparta's output, environments, caches, VCS.
IGNORED_DIRS = frozenset({".sparta", ".venv", "venv", ".git", "__pycache__", ".mypy_cache",
                          ".pytest_cache", ".ruff_cache", "node_modules", ".tox"})
POLL_SECONDS = 0.5


@dataclass
class Served:
    """One build and what it serves."""

    ctx: Any
    build: Any
    router: Router


def load(open_context: Callable[[], Any]) -> Served:
    """Build the project and collect its routes; raises ``SpartaError`` on any fault."""
    from sparta_core.commands import invoke_local
    from sparta_core.engine.hookcall import call_hook

    ctx = open_context()
    ctx.reporter.stages = False
    build = invoke_local.prepare(ctx)
    routes = []
    taken: dict[tuple[str, str], str] = {}
    for plugin, found in call_hook(ctx.pluginmanager, "local-api", "sparta_local_routes",
                                   ctx=ctx):
        for route in found:
            owner = route.source or f"plugin '{plugin}'"
            if route.function not in ctx.service.functions:
                raise ConfigError(f"{owner}: route '{route.describe()}' goes to function "
                                  f"'{route.function}', which the service does not have")
            key = (route.method, route.path)
            if key in taken:
                raise ConfigError(f"route '{route.describe()}' is declared twice "
                                  f"({taken[key]} and {owner})")
            taken[key] = owner
            routes.append(route)
    if not routes:
        raise ConfigError(
            f"service '{ctx.service.name}' has no HTTP routes to serve (add a "
            "sparta.RestAPI with routes, or an API plugin's component)"
        )
    return Served(ctx, build, Router(routes))


class LocalApi:
    """The current build, rebuilt on change, and the requests it answers."""

    def __init__(self, open_context: Callable[[], Any]) -> None:
        self.open_context = open_context
        self.lock = threading.Lock()
        self.served = load(open_context)

    def rebuild(self) -> None:
        started = time.perf_counter()
        with self.lock:
            try:
                self.served = load(self.open_context)
            except SpartaError as error:
                click.echo(f"change detected: rebuild failed: {error} (still serving the "
                           "previous build)")
                return
        elapsed = (time.perf_counter() - started) * 1000
        click.echo(f"change detected: rebuilt in {elapsed:.0f} ms "
                   f"({len(self.served.router.routes)} routes)")

    def answer(self, request: Request) -> tuple[Response, str]:
        """The response to ``request`` and what answered it (for the access log)."""
        from sparta_core.commands import invoke_local

        with self.lock:
            served = self.served
        candidates = served.router.candidates(request.path)
        if request.method == "OPTIONS" and not any(r.method == "OPTIONS"
                                                   for r, _ in candidates):
            # The API answers the browser's preflight itself, as its CORS settings say.
            preflight = next((r.preflight for r, _ in candidates if r.preflight), None)
            if preflight is not None:
                return Response(200, [("Content-Type", "application/json"),
                                      *preflight.items()], b""), "preflight"
        matched = served.router.match(request.method, request.path)
        if matched is None:
            return json_response(404, {"message": "Not Found"}), "-"
        route, params = matched
        function = served.ctx.service.functions[route.function]
        event = make_event(route, params, request)
        result = invoke_local.run_local(served.ctx, served.build, function, event)
        if result.error:
            click.echo(f"error: {result.error}", err=True)
            return json_response(502, {"message": "Internal server error"}), route.function
        response = make_response(route, result.payload)
        if response is None:
            click.echo(f"error: function '{route.function}' returned no valid "
                       f"{route.payload} proxy response (statusCode, headers, body): "
                       f"{str(result.payload)[:200]}", err=True)
            return json_response(502, {"message": "Internal server error"}), route.function
        return response, route.function


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def _handle(self) -> None:
        started = time.perf_counter()
        path, _, query = self.path.partition("?")
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        request = Request(self.command, path, query, list(self.headers.items()), body,
                          self.client_address[0], self.headers.get("Host") or HOST)
        try:
            response, target = self.server.api.answer(request)
        except Exception as error:  # a request must never take the server down
            click.echo(f"error: {type(error).__name__}: {error}", err=True)
            response, target = json_response(500, {"message": "Internal server error"}), "-"
        self.send_response(response.status)
        for name, value in response.headers:
            if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)
        elapsed = (time.perf_counter() - started) * 1000
        click.echo(f'{request.source_ip} "{self.command} {self.path}" {response.status} '
                   f"{len(response.body)}B {elapsed:.0f} ms {target}")

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle

    def log_message(self, format: str, *args: Any) -> None:
        """One access-log line per request is written by ``_handle``; nothing else."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, api: LocalApi, port: int) -> None:
        self.api = api
        super().__init__((HOST, port), _Handler)


def project_snapshot(root: Path) -> dict[str, tuple[int, int]]:
    """Every project file's (mtime, size), skipping :data:`IGNORED_DIRS`."""
    found: dict[str, tuple[int, int]] = {}
    for directory, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in IGNORED_DIRS and not d.endswith(".egg-info")]
        for name in files:
            path = os.path.join(directory, name)
            try:
                stat = os.stat(path)
            except OSError:
                continue
            found[path] = (stat.st_mtime_ns, stat.st_size)
    return found


def changes(root: Path, stop: threading.Event) -> Iterator[None]:
    """Yield once per batch of changes under ``root`` until ``stop`` is set."""
    try:
        import watchfiles
    except ImportError:
        watchfiles = None
    if watchfiles is not None:
        def keep(change: Any, path: str) -> bool:
            try:
                parts = Path(path).relative_to(root).parts
            except ValueError:  # outside the project (a symlink's target)
                parts = Path(path).parts
            return not (set(parts) & IGNORED_DIRS or any(p.endswith(".egg-info")
                                                         for p in parts))

        for _ in watchfiles.watch(root, stop_event=stop, watch_filter=keep):
            yield
        return
    before = project_snapshot(root)
    while not stop.wait(POLL_SECONDS):
        now = project_snapshot(root)
        if now != before:
            before = now
            yield


def _stop_on_signals() -> None:
    """Ctrl-C (even when started in the background, where a shell ignores it) and
    SIGTERM both end the server cleanly."""
    import signal

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, interrupt)
        signal.signal(signal.SIGTERM, interrupt)


def serve(open_context: Callable[[], Any], port: int) -> None:
    """Serve until Ctrl-C: build, print the URL and the routes, rebuild on change."""
    api = LocalApi(open_context)
    try:
        server = _Server(api, port)
    except OSError as error:
        raise ConfigError(f"cannot listen on {HOST}:{port}: {error.strerror or error}") from None
    url = f"http://{HOST}:{server.server_address[1]}"
    served = api.served
    click.echo(f"serving {served.ctx.service.name} on {url} (Ctrl-C to stop)")
    width = max(len(r.describe()) for r in served.router.routes)
    for route in sorted(served.router.routes, key=lambda r: (r.path, r.method)):
        source = f", {route.source}" if route.source else ""
        click.echo(f"  {route.describe():<{width}}  -> {route.function}  ({route.payload}{source})")
    stop = threading.Event()

    def watch() -> None:
        for _ in changes(served.ctx.project_dir, stop):
            api.rebuild()

    watcher = threading.Thread(target=watch, name="sparta-local-api-watch", daemon=True)
    watcher.start()
    _stop_on_signals()
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        server.server_close()
    click.echo("stopped")
