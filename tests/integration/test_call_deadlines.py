"""Every AWS call has a deadline (DESIGN §6), proven with real boto3 against real sockets
on 127.0.0.1: a server that accepts connections and never answers (:func:`hung_server`),
a proxy to MiniStack that never answers CloudFormation, and an S3 stand-in that takes a
large upload slowly. MiniStack always answers, so it cannot show a hung endpoint itself.
``SPARTA_AWS_TIMEOUT`` shortens the 30 s deadline so the tests run in seconds."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from aws_helpers import BUCKET, configure
from fake_aws import Proxy, hung_server

from sparta_core.aws.clients import AWS_TIMEOUT, call_timeouts

pytestmark = pytest.mark.integration

DEADLINE = 3.0


def error_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("error:")]


def test_the_default_deadline_is_30_seconds_retries_included():
    timeouts = call_timeouts(AWS_TIMEOUT)
    assert AWS_TIMEOUT == 30
    assert timeouts.attempts == 3
    backoff = 1 + 2  # botocore's standard mode sleeps at most 1 s, then 2 s
    assert timeouts.attempts * (timeouts.connect + timeouts.read) + backoff <= 30
    short = call_timeouts(DEADLINE)
    assert short.attempts == 1 and short.connect + short.read <= DEADLINE


@pytest.mark.parametrize("command", [("provision", "--yes"), ("status",), ("delete", "--yes")])
def test_an_endpoint_that_never_answers_fails_within_the_deadline_with_one_line(
        cli, hello_project, monkeypatch, command):
    monkeypatch.setenv("SPARTA_AWS_TIMEOUT", str(DEADLINE))
    project = configure(hello_project, **{"s3-bucket": BUCKET})
    with hung_server() as (url, accepted):
        monkeypatch.setenv("AWS_ENDPOINT_URL", url)
        started = time.monotonic()
        result = cli(*command, project=project, ok=False)
        elapsed = time.monotonic() - started

    assert result.exit_code != 0
    [line] = error_lines(result.output)
    assert f"{url} (us-east-1) accepted the connection but did not answer" in line
    assert "SPARTA_AWS_TIMEOUT" in line
    assert accepted, "the endpoint was called"
    # Before: 60 s per read, several attempts (183 s). Now the deadline, plus the build.
    assert elapsed < DEADLINE + 2.5, elapsed


@pytest.fixture
def cloudformation_hangs(aws_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Proxy]:
    """S3 and IAM answer (through a proxy to MiniStack); CloudFormation never does."""
    release = threading.Event()

    def intercept(request, forward) -> bool:
        if request.action:
            release.wait(60)
            request.drop()
            return True
        return False

    with Proxy(aws_endpoint, intercept) as proxy:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
        try:
            yield proxy
        finally:
            release.set()


def test_a_hung_cloudformation_fails_provision_within_the_deadline(
        cli, hello, monkeypatch, cloudformation_hangs):
    monkeypatch.setenv("SPARTA_AWS_TIMEOUT", str(DEADLINE))
    started = time.monotonic()
    result = cli("provision", "--yes", project=hello, ok=False)
    elapsed = time.monotonic() - started

    [line] = error_lines(result.output)
    assert "reading stack hello" in line
    assert f"{cloudformation_hangs.url} (us-east-1) accepted the connection but did not" in line
    assert "DescribeStacks" in cloudformation_hangs.requests
    assert elapsed < DEADLINE + 2.5, elapsed


class SlowS3:
    """An S3 stand-in that reads a PUT's body a little at a time (slower than the whole
    deadline, but never stalling for a whole read timeout), then answers 200."""

    def __init__(self, chunk: int, pause: float) -> None:
        import http.server

        self.received = 0
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_PUT(self) -> None:
                remaining = int(self.headers["Content-Length"])
                while remaining:
                    data = self.rfile.read(min(chunk, remaining))
                    remaining -= len(data)
                    outer.received += len(data)
                    time.sleep(pause)
                self.send_response(200)
                self.send_header("ETag", '"0123"')
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def test_a_long_upload_is_not_cut_while_bytes_move(tmp_path: Path, monkeypatch):
    from sparta_core.aws.clients import Aws, upload_wait
    from sparta_core.engine.settings import Settings

    monkeypatch.setenv("SPARTA_AWS_TIMEOUT", "1.5")
    slow = SlowS3(chunk=256 * 1024, pause=0.1)
    try:
        aws = Aws(Settings(project_dir=tmp_path, endpoint_url=slow.url, region="us-east-1"))
        archive = tmp_path / "big.zip"
        archive.write_bytes(b"\0" * (8 * 1024 * 1024))
        started = time.monotonic()
        with archive.open("rb") as body:
            s3 = aws.client("s3", wait=upload_wait(archive.stat().st_size))
            s3.put_object(Bucket="b", Key="k.zip", Body=body)
        elapsed = time.monotonic() - started
    finally:
        slow.server.shutdown()
    assert slow.received >= 8 * 1024 * 1024
    assert elapsed > 1.5  # longer than the deadline, and not cut
