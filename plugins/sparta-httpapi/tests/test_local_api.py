"""``sparta local api`` serves examples/httpapi's HTTP API on 127.0.0.1: payload 2.0
events, the ``$default`` catch-all, CORS answered by the API, and a JWT route said not
to be checked locally. Nothing in AWS is touched: the routes come from the plugin's
``HttpAPI.local_routes`` through core's ``sparta_local_routes``."""

from __future__ import annotations

import json
import queue
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from sparta_core.testing import http_request

SPARTA = str(Path(sys.executable).parent / "sparta")


class Served:
    """``sparta local api --port 0`` running in ``project``, with its console lines."""

    def __init__(self, project: Path) -> None:
        self.process = subprocess.Popen(
            [SPARTA, "local", "api", "--port", "0"], cwd=project, text=True,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        first = self.next_line(120)
        match = re.search(r"on (http://127\.0\.0\.1:\d+) ", first)
        assert match, first
        self.url = match.group(1)
        self.listing: list[str] = []
        while len(self.listing) < 4:
            self.listing.append(self.next_line(10))

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)
        self.lines.put("")  # the server ended

    def next_line(self, timeout: float) -> str:
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            line = ""
        if not line:
            self.process.kill()
            raise AssertionError(f"the server said nothing more: {self.process.stderr.read()}")
        return line

    def call(self, method: str, path: str, body: bytes | None = None,
             headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        return http_request(self.url + path, method, body, headers)

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                return self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
        return self.process.wait()


@pytest.fixture
def served(sparta_project, example_files) -> Iterator[Served]:
    server = Served(sparta_project(example_files()))
    try:
        yield server
    finally:
        server.stop()


def test_the_routes_are_listed_with_their_payload_and_the_unchecked_jwt(served: Served) -> None:
    listing = "".join(served.listing)
    assert "GET /items/{id}" in listing and "-> get_item  (http-v2, HttpAPI 'shop')" in listing
    assert "POST /items" in listing and "-> create_item" in listing
    assert "$default" in listing and "-> not_found" in listing
    assert "JWT 'users' not checked locally" in listing


def test_routes_answer_with_payload_2_events_and_cors_headers(served: Served) -> None:
    status, headers, body = served.call("GET", "/items/42", headers={"Origin": "https://a.example"})
    assert status == 200, body
    assert json.loads(body) == {"id": "42", "name": "teapot"}
    assert headers["access-control-allow-origin"] == "*"

    status, _, body = served.call("POST", "/items", json.dumps({"name": "kettle"}).encode(),
                                  {"Content-Type": "application/json"})
    assert (status, json.loads(body)) == (201, {"created": "kettle"})

    status, _, body = served.call("POST", "/items", b"not json",
                                  {"Content-Type": "application/json"})
    assert status == 400, body

    # No route matches: the $default route answers, with the path it was asked for
    # (``rawPath`` is in payload 2.0 only).
    status, _, body = served.call("DELETE", "/nothing/here")
    assert (status, json.loads(body)) == (404, {"error": "nothing at /nothing/here"})


def test_the_api_answers_the_preflight_itself(served: Served) -> None:
    status, headers, body = served.call("OPTIONS", "/items", headers={
        "Origin": "https://a.example", "Access-Control-Request-Method": "POST"})
    assert status == 200 and body == b""
    assert headers["access-control-allow-origin"] == "*"
    # ``cors=True`` with a ``$default`` route allows every method, as the template says.
    assert headers["access-control-allow-methods"] == "*"
    assert headers["access-control-allow-headers"] == "authorization,content-type"


def test_ctrl_c_ends_the_server_cleanly(served: Served) -> None:
    assert served.call("GET", "/items/42")[0] == 200  # serving, its signal handlers set
    assert served.stop() == 0
