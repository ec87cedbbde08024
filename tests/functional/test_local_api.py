"""`sparta local api`: the service's REST API on 127.0.0.1, answered by the functions of
the built archive with API Gateway's proxy events, through real HTTP requests to a real
`sparta` process; an edit is served without a restart; Ctrl-C ends it cleanly."""

from __future__ import annotations

import base64
import json
import queue
import re
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from sparta_core.commands.local_api_events import Request, Router, make_event, make_response
from sparta_core.model.local_route import LocalRoute
from sparta_core.testing import http_request

SPARTA = Path(sys.executable).parent / "sparta"

SERVICE = '''
import sparta_core as sparta

service = sparta.Service("shop")
api = service.add(sparta.RestAPI("shop", stage="v1", cors=True,
                                 binary_media_types=["application/octet-stream"]))


@service.function()
def get_item(event, context):
    from shop.items import describe
    from sparta_runtime.api import response

    return response({"id": event["pathParameters"]["id"], "name": describe()})


@service.function()
def echo(event, context):
    from sparta_runtime.api import response

    return response({key: event[key] for key in (
        "resource", "path", "httpMethod", "queryStringParameters",
        "multiValueQueryStringParameters", "pathParameters", "body", "isBase64Encoded")}
        | {"header": event["headers"].get("X-Test"), "stage": event["requestContext"]["stage"]})


@service.function()
def reverse(event, context):
    import base64

    data = base64.b64decode(event["body"]) if event["isBase64Encoded"] else b"?"
    return {"statusCode": 200, "headers": {"Content-Type": "application/octet-stream"},
            "body": base64.b64encode(data[::-1]).decode(), "isBase64Encoded": True}


api.route("/items/{id}", methods=["GET"], function=get_item)
api.route("/items", methods=["POST"], function=echo)
api.route("/search", methods=["GET"], function=echo)
api.route("/files/{path+}", methods=["ANY"], function=echo)
api.route("/blob", methods=["POST"], function=reverse)
'''


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip())


class Server:
    def __init__(self, project: Path) -> None:
        self.process = subprocess.Popen(
            [SPARTA, "local", "api", "--port", "0"], cwd=project, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True)
        self.lines: queue.Queue[str] = queue.Queue()
        self.log: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()
        first = self.next_line(60)
        match = re.search(r"on (http://127\.0\.0\.1:\d+) ", first)
        assert match, first + self.process.stderr.read()
        self.url = match.group(1)

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.log.append(line)
            self.lines.put(line)

    def next_line(self, timeout: float = 10) -> str:
        return self.lines.get(timeout=timeout)

    def wait_for(self, text: str, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.next_line(deadline - time.monotonic())
            if text in line:
                return line
        raise AssertionError(f"no {text!r} in {self.log}")

    def call(self, method: str, path: str, body: bytes | None = None,
             headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        return http_request(self.url + path, method, body, headers, timeout=30)


@pytest.fixture
def server(make_project) -> Iterator[Server]:
    project = make_project({"service.py": SERVICE, "shop/__init__.py": "",
                            "shop/items.py": "def describe():\n    return 'first'\n",
                            "pyproject.toml": '[tool.sparta]\nservice = "service:service"\n'})
    running = Server(project)
    running.project = project  # type: ignore[attr-defined]
    try:
        yield running
    finally:
        if running.process.poll() is None:
            running.process.send_signal(signal.SIGINT)
            try:
                running.process.wait(10)
            except subprocess.TimeoutExpired:
                running.process.kill()
                running.process.wait()


def test_routes_answer_with_api_gateway_events(server: Server) -> None:
    status, headers, body = server.call("GET", "/items/42")
    assert (status, json.loads(body)) == (200, {"id": "42", "name": "first"})
    assert headers["access-control-allow-origin"] == "*"  # SPARTA_CORS reached the function

    status, _, body = server.call("POST", "/items", b'{"name": "towel"}',
                                  {"Content-Type": "application/json", "X-Test": "yes"})
    echoed = json.loads(body)
    assert status == 200
    assert echoed["body"] == '{"name": "towel"}' and echoed["isBase64Encoded"] is False
    assert (echoed["httpMethod"], echoed["resource"], echoed["path"]) == ("POST", "/items", "/items")
    assert (echoed["header"], echoed["stage"]) == ("yes", "v1")

    _, _, body = server.call("GET", "/search?q=a&tag=x&tag=y&empty=")
    echoed = json.loads(body)
    assert echoed["queryStringParameters"] == {"q": "a", "tag": "y", "empty": ""}
    assert echoed["multiValueQueryStringParameters"] == {"q": ["a"], "tag": ["x", "y"],
                                                         "empty": [""]}
    assert echoed["pathParameters"] is None and echoed["body"] is None

    _, _, body = server.call("DELETE", "/files/a/b%20c.txt")
    echoed = json.loads(body)
    assert echoed["pathParameters"] == {"path": "a/b c.txt"}
    assert echoed["resource"] == "/files/{path+}"

    data = bytes(range(256))
    status, headers, body = server.call("POST", "/blob", data,
                                        {"Content-Type": "application/octet-stream"})
    assert (status, body) == (200, data[::-1])
    assert headers["content-type"] == "application/octet-stream"

    status, _, body = server.call("GET", "/nowhere")
    assert (status, json.loads(body)) == (404, {"message": "Not Found"})
    status, _, _ = server.call("PUT", "/items/42")
    assert status == 404

    # The preflight is answered as API Gateway's OPTIONS mock does: the path's methods.
    status, headers, body = server.call("OPTIONS", "/items/42",
                                        headers={"Origin": "https://app.test"})
    assert (status, body) == (200, b"")
    assert headers["access-control-allow-methods"] == "GET,OPTIONS"
    assert headers["access-control-allow-origin"] == "*"

    # The access log line follows the response: one per request.
    assert server.wait_for("preflight").startswith('127.0.0.1 "OPTIONS /items/42" 200 0B ')
    log = "".join(server.log)
    assert '127.0.0.1 "GET /items/42" 200 ' in log and '"GET /nowhere" 404' in log
    assert len([line for line in server.log if line.startswith("127.0.0.1 ")]) == 8


def test_an_edit_is_served_without_a_restart_and_ctrl_c_ends_cleanly(server: Server) -> None:
    assert json.loads(server.call("GET", "/items/1")[2])["name"] == "first"
    project: Path = server.project  # type: ignore[attr-defined]
    (project / "shop" / "items.py").write_text("def describe():\n    return 'second'\n")
    server.wait_for("change detected: rebuilt")
    assert json.loads(server.call("GET", "/items/1")[2])["name"] == "second"

    # A broken edit keeps the previous build serving, and says why.
    (project / "service.py").write_text("this is not python\n")
    assert "rebuild failed" in server.wait_for("change detected")
    assert server.call("GET", "/items/1")[0] == 200

    server.process.send_signal(signal.SIGINT)
    assert server.process.wait(10) == 0
    time.sleep(0.2)
    assert server.log[-1].strip() == "stopped"


def test_no_routes_is_one_error_line(cli, make_project) -> None:
    project = make_project({"service.py": """
        import sparta_core as sparta
        service = sparta.Service("plain")

        @service.function()
        def f(event, context):
            return 1
    """})
    result = cli("local", "api", project=project, ok=False)
    assert result.exit_code != 0
    assert result.output.strip().splitlines()[-1] == (
        "error: service 'plain' has no HTTP routes to serve (add a sparta.RestAPI with "
        "routes, or an API plugin's component)")


def test_routes_are_picked_most_specific_first() -> None:
    routes = [LocalRoute("ANY", "/{proxy+}", "any"), LocalRoute("GET", "/a/{id}", "var"),
              LocalRoute("GET", "/a/b", "literal"), LocalRoute("ANY", "/a/b", "any-literal"),
              LocalRoute("GET", "$default", "default", payload="http-v2")]
    router = Router(routes)
    assert router.match("GET", "/a/b")[0].function == "literal"
    assert router.match("POST", "/a/b")[0].function == "any-literal"
    assert router.match("GET", "/a/c") == (routes[1], {"id": "c"})
    assert router.match("GET", "/x/y/z") == (routes[0], {"proxy": "x/y/z"})
    assert Router(routes[-1:]).match("GET", "/anything")[0].function == "default"


def test_http_v2_events_and_inferred_responses() -> None:
    """The shape sparta-httpapi's routes ask for (payload 2.0)."""
    route = LocalRoute("GET", "/items/{id}", "f", payload="http-v2",
                       response_headers={"Access-Control-Allow-Origin": "*"})
    request = Request("GET", "/items/7", "a=1&a=2", [("Cookie", "x=1; y=2"), ("X-A", "b")],
                      b"\x00\xff", host="127.0.0.1:3000")
    event = make_event(route, {"id": "7"}, request)
    assert event["version"] == "2.0" and event["routeKey"] == "GET /items/7".replace("7", "{id}")
    assert event["queryStringParameters"] == {"a": "1,2"} and event["cookies"] == ["x=1", "y=2"]
    assert event["headers"] == {"x-a": "b"} and event["pathParameters"] == {"id": "7"}
    assert event["isBase64Encoded"] is True and base64.b64decode(event["body"]) == b"\x00\xff"
    assert event["requestContext"]["http"]["method"] == "GET"

    inferred = make_response(route, {"ok": True})
    assert (inferred.status, inferred.body) == (200, b'{"ok": true}')
    assert ("Access-Control-Allow-Origin", "*") in inferred.headers
    explicit = make_response(route, {"statusCode": 201, "body": "hi", "cookies": ["c=1"]})
    assert explicit.status == 201 and ("Set-Cookie", "c=1") in explicit.headers
    assert make_response(LocalRoute("GET", "/", "f"), {"body": "no status"}) is None


def _api(project: Path):
    from sparta_core.commands.local_api import LocalApi
    from sparta_core.engine.session import SessionOptions, start_session

    return LocalApi(lambda: start_session(SessionOptions(project_dir=project)).context(noop=True))


PLAIN_SERVICE = """
import sparta_core as sparta

service = sparta.Service("hooked")


@service.function()
def hello(event, context):
    return {"path": event["rawPath"], "version": event["version"]}
"""


def test_a_plugin_serves_its_routes_through_the_hook(make_project) -> None:
    """What sparta-httpapi does: routes of payload 2.0 from sparta_local_routes."""
    project = make_project({"service.py": PLAIN_SERVICE, "spartaconf.py": """
        import sparta_core as sparta

        def sparta_local_routes(ctx):
            assert ctx.archive is not None and ctx.template is not None
            return [sparta.LocalRoute("GET", "/hello/{name}", "hello", payload="http-v2",
                                      response_headers={"X-Served-By": "spartaconf"},
                                      source="spartaconf's API")]
    """})
    api = _api(project)
    response, target = api.answer(Request("GET", "/hello/ann", "", [], b""))
    assert (response.status, target) == (200, "hello")
    assert json.loads(response.body) == {"path": "/hello/ann", "version": "2.0"}
    assert ("X-Served-By", "spartaconf") in response.headers


def test_routes_to_unknown_functions_or_twice_declared_fail(make_project) -> None:
    from sparta_core.errors import ConfigError

    project = make_project({"service.py": PLAIN_SERVICE, "spartaconf.py": """
        import sparta_core as sparta

        def sparta_local_routes(ctx):
            return [sparta.LocalRoute("GET", "/a", "hello", source="mine"),
                    sparta.LocalRoute("GET", "/a", "hello", source="theirs")]
    """})
    with pytest.raises(ConfigError, match=r"route 'GET /a' is declared twice \(mine and theirs\)"):
        _api(project)
    (project / "spartaconf.py").write_text(textwrap.dedent("""
        import sparta_core as sparta

        def sparta_local_routes(ctx):
            return [sparta.LocalRoute("GET", "/a", "nope")]
    """))
    with pytest.raises(ConfigError, match="plugin 'spartaconf': route 'GET /a' goes to "
                                          "function 'nope', which the service does not have"):
        _api(project)
