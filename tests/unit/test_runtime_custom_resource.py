"""The custom resource protocol handler (``sparta_runtime.custom_resource``), answering a
real HTTP server on 127.0.0.1 the way it answers CloudFormation's pre-signed URL."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from sparta_core.runtime.custom_resource import (
    FAILED_CREATE_PREFIX,
    Outcome,
    Request,
    handle,
)


class ResponseServer:
    """Records every PUT; answers with the queued status codes, then 200."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.statuses: list[int] = []
        self.arrived = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_PUT(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length))
                status = server.statuses.pop(0) if server.statuses else 200
                if status == 200:
                    server.received.append(body)
                    server.headers.append({k.lower(): v for k, v in self.headers.items()})
                    server.arrived.set()
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/response?signature=x"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server() -> Iterator[ResponseServer]:
    running = ResponseServer()
    yield running
    running.close()


class Context:
    """What Lambda passes as ``context``, as far as the handler reads it."""

    def __init__(self, remaining_ms: int = 60_000) -> None:
        self.remaining_ms = remaining_ms
        self.log_stream_name = "2024/01/01/[$LATEST]abc"

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


def event(server: ResponseServer, request_type: str, **extra: Any) -> dict[str, Any]:
    return {
        "RequestType": request_type,
        "ResponseURL": server.url,
        "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/svc/guid",
        "RequestId": "req-1",
        "ResourceType": "Custom::Thing",
        "LogicalResourceId": "Thing",
        "ResourceProperties": {"ServiceToken": "arn:aws:lambda:...", "Size": "3"},
        **extra,
    }


def test_create_answers_success_with_physical_id_and_data(server):
    seen: list[Request] = []

    def create(request: Request) -> Outcome:
        seen.append(request)
        return Outcome(physical_id="thing-1", data={"Answer": "42"})

    sent = handle(event(server, "Create"), Context(), create=create)
    assert server.received == [sent]
    assert sent == {
        "Status": "SUCCESS", "Reason": "", "PhysicalResourceId": "thing-1",
        "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/svc/guid",
        "RequestId": "req-1", "LogicalResourceId": "Thing", "NoEcho": False,
        "Data": {"Answer": "42"},
    }
    # The URL is signed without a content type: the PUT must not send one.
    assert server.headers[0].get("content-type", "") == ""
    assert seen[0].properties == {"Size": "3"}
    assert seen[0].physical_id is None


def test_create_without_physical_id_gets_a_default(server):
    sent = handle(event(server, "Create"), Context(), create=lambda request: None)
    assert sent is not None
    assert sent["Status"] == "SUCCESS"
    assert sent["PhysicalResourceId"] == "Thing-req-1"


def test_failed_create_reports_the_reason_and_a_marker_id(server):
    def create(request: Request) -> Outcome:
        raise ValueError("bucket is gone")

    sent = handle(event(server, "Create"), Context(), create=create)
    assert sent is not None
    assert sent["Status"] == "FAILED"
    assert sent["Reason"].startswith("ValueError: bucket is gone")
    assert "2024/01/01/[$LATEST]abc" in sent["Reason"]
    assert sent["PhysicalResourceId"].startswith(FAILED_CREATE_PREFIX)
    assert server.received == [sent]


def test_delete_after_a_failed_create_succeeds_without_the_operation(server):
    calls: list[str] = []
    marker = FAILED_CREATE_PREFIX + "req-0"
    sent = handle(
        event(server, "Delete", PhysicalResourceId=marker), Context(),
        create=lambda request: calls.append("create"),
        delete=lambda request: calls.append("delete"),
    )
    assert sent is not None
    assert sent["Status"] == "SUCCESS"
    assert sent["PhysicalResourceId"] == marker
    assert calls == []


def test_update_keeps_the_physical_id_and_sees_old_properties(server):
    seen: list[Request] = []

    def update(request: Request) -> None:
        seen.append(request)

    sent = handle(
        event(server, "Update", PhysicalResourceId="thing-1",
              OldResourceProperties={"ServiceToken": "x", "Size": "2"}),
        Context(), create=lambda request: Outcome("wrong"), update=update,
    )
    assert sent is not None
    assert sent["PhysicalResourceId"] == "thing-1"
    assert seen[0].old_properties == {"Size": "2"}
    assert seen[0].physical_id == "thing-1"


def test_update_returning_a_new_id_replaces(server):
    sent = handle(event(server, "Update", PhysicalResourceId="thing-1"), Context(),
                  create=lambda request: Outcome("thing-2"))
    assert sent is not None
    assert sent["PhysicalResourceId"] == "thing-2"


def test_delete_keeps_the_physical_id_whatever_the_operation_returns(server):
    sent = handle(event(server, "Delete", PhysicalResourceId="thing-1"), Context(),
                  create=lambda request: None, delete=lambda request: Outcome("other"))
    assert sent is not None
    assert sent["Status"] == "SUCCESS"
    assert sent["PhysicalResourceId"] == "thing-1"


def test_failed_delete_reports_failed_with_the_same_id(server):
    def delete(request: Request) -> None:
        raise PermissionError("AccessDenied")

    sent = handle(event(server, "Delete", PhysicalResourceId="thing-1"), Context(),
                  create=lambda request: None, delete=delete)
    assert sent is not None
    assert sent["Status"] == "FAILED"
    assert sent["PhysicalResourceId"] == "thing-1"
    assert sent["Reason"].startswith("PermissionError: AccessDenied")


def test_an_operation_still_running_near_the_deadline_is_reported_failed(server):
    """The handler answers before Lambda would kill it, and answers only once."""
    finished = threading.Event()

    def create(request: Request) -> Outcome:
        # Still running when the deadline response goes out; returns after it arrived.
        server.arrived.wait(10)
        finished.set()
        return Outcome("late")

    result = handle(event(server, "Create"), Context(remaining_ms=1000), create=create,
                    margin=0.9)
    assert finished.is_set()
    assert result is None  # the deadline response went first
    assert len(server.received) == 1
    sent = server.received[0]
    assert sent["Status"] == "FAILED"
    assert "timed out" in sent["Reason"]
    assert sent["PhysicalResourceId"].startswith(FAILED_CREATE_PREFIX)


def test_a_server_error_on_the_response_is_retried(server):
    server.statuses = [500]
    sent = handle(event(server, "Create"), Context(), create=lambda request: Outcome("a"))
    assert server.received == [sent]


def test_unknown_request_type_and_bad_return_value_fail(server):
    sent = handle(event(server, "Rename"), Context(), create=lambda request: None)
    assert sent is not None
    assert sent["Status"] == "FAILED" and "Rename" in sent["Reason"]
    sent = handle(event(server, "Create", RequestId="req-2"), Context(),
                  create=lambda request: {"not": "an outcome"})
    assert sent is not None
    assert sent["Status"] == "FAILED" and "not Outcome" in sent["Reason"]


def test_long_reasons_are_cut_to_fit_the_response_limit(server):
    def create(request: Request) -> None:
        raise RuntimeError("x" * 10_000)

    handle(event(server, "Create"), Context(), create=create)
    body = json.dumps(server.received[0])
    assert len(body.encode()) < 4096
