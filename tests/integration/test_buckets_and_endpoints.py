"""Artifact buckets and endpoints, proven against real parts: the MiniStack endpoint,
real boto3, real HTTP servers on 127.0.0.1 and real processes.

Bucket regions (also with endpoint overrides), buckets created only with ``--local``,
403 on HeadObject, unreachable endpoints failing fast, ``noop`` from the environment or
the file. (A missing bucket and the created/updated summary are in test_provision.py.)"""

from __future__ import annotations

import http.client
import http.server
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from aws_helpers import BUCKET, configure, keys, stack
from fake_aws import tcp_server

pytestmark = pytest.mark.integration


def error_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("error:")]


@pytest.fixture
def local_project(hello_project: Path) -> Iterator[Path]:
    """examples/hello with no bucket configured; its local endpoint is stopped after."""
    yield hello_project
    from sparta_core.aws import local

    local.stop_endpoint(local.local_dir(hello_project / ".sparta"))


def local_client(project: Path, service: str, region: str) -> Any:
    """A boto3 client for the project's own ``--local`` endpoint."""
    port = int((project / ".sparta" / "local" / "port").read_text())
    return boto3.client(service, endpoint_url=f"http://127.0.0.1:{port}", region_name=region,
                        aws_access_key_id="test", aws_secret_access_key="test")


# -- the default local bucket is per region ------------------------------------------


def test_local_provision_in_a_second_region_uses_a_bucket_of_that_region(cli, local_project):
    first = cli("--local", "provision", "--yes", project=local_project)
    assert "created artifact bucket sparta-local-artifacts-us-east-1" in first.output
    assert "hello: CREATE_COMPLETE (created; code uploaded)" in first.stdout

    second = cli("--local", "--region", "eu-west-1", "provision", "--yes", project=local_project)

    assert "created artifact bucket sparta-local-artifacts-eu-west-1" in second.output
    assert "hello: CREATE_COMPLETE (created; code uploaded)" in second.stdout
    s3 = local_client(local_project, "s3", "eu-west-1")
    location = s3.get_bucket_location(Bucket="sparta-local-artifacts-eu-west-1")
    assert location["LocationConstraint"] == "eu-west-1"
    cloudformation = local_client(local_project, "cloudformation", "eu-west-1")
    assert cloudformation.describe_stacks(StackName="hello")["Stacks"][0][
        "StackStatus"] == "CREATE_COMPLETE"


def test_a_bucket_in_another_region_is_refused_on_an_endpoint_override(cli, hello, aws):
    # The bucket fixture made the bucket in us-east-1; the stack goes to eu-west-1.
    result = cli("--region", "eu-west-1", "provision", "--yes", project=hello, ok=False)

    assert result.exit_code != 0
    assert error_lines(result.output) == [
        f"error: artifact bucket '{BUCKET}' is in us-east-1, the stack in eu-west-1; "
        "Lambda reads code only from a bucket in the function's region"
    ]
    assert keys(aws, BUCKET) == []


def test_a_local_bucket_in_another_region_is_refused(cli, local_project):
    configure(local_project, **{"s3-bucket": "team-artifacts"})
    cli("--local", "provision", "--yes", project=local_project)

    result = cli("--local", "--region", "eu-west-1", "provision", "--yes",
                 project=local_project, ok=False)

    assert error_lines(result.output) == [
        "error: artifact bucket 'team-artifacts' is in us-east-1, the stack in eu-west-1; "
        "Lambda reads code only from a bucket in the function's region"
    ]


# -- buckets are created with --local only, and loudly ------------------------------


def test_local_creates_a_configured_bucket_on_the_local_endpoint_and_says_so(cli, local_project):
    result = cli("--local", "provision", "--yes", "--s3-bucket", "my-real-bucket",
                 project=local_project)

    assert ("warning: artifact bucket 'my-real-bucket' did not exist on the local endpoint; "
            "created it there, in us-east-1 (--local only: sparta never creates a bucket on "
            "AWS)") in result.output
    s3 = local_client(local_project, "s3", "us-east-1")
    stored = s3.list_objects_v2(Bucket="my-real-bucket")["Contents"]
    assert any(item["Key"].endswith(".zip") for item in stored)



# -- a 403 on HeadObject is "not known to be there" ----------------------------------


class ForbiddenHeadProxy(http.server.BaseHTTPRequestHandler):
    """Forwards every request to the endpoint, except HEAD on an object, which gets the
    403 S3 gives a caller without s3:ListBucket for a key that does not exist."""

    upstream = ""
    forbidden: list[str]

    def log_message(self, *args: Any) -> None:
        pass

    def _forward(self) -> None:
        segments = [part for part in self.path.split("?")[0].split("/") if part]
        if self.command == "HEAD" and len(segments) >= 2:
            self.forbidden.append(self.path)
            self.send_response(403)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        host, port = self.upstream.rsplit(":", 1)
        connection = http.client.HTTPConnection(host.split("//")[-1], int(port), timeout=60)
        headers = {name: value for name, value in self.headers.items()
                   if name.lower() not in ("connection", "transfer-encoding")}
        connection.request(self.command, self.path, body=body, headers=headers)
        response = connection.getresponse()
        payload = response.read()
        self.send_response(response.status)
        for name, value in response.getheaders():
            if name.lower() not in ("content-length", "transfer-encoding", "connection"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)
        connection.close()

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _forward


@pytest.fixture
def forbidden_head_endpoint(aws_endpoint: str,
                            monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """``AWS_ENDPOINT_URL`` pointed at a proxy to the endpoint that answers HEAD on any
    object with 403; yields the paths it refused."""
    forbidden: list[str] = []
    handler = type("Handler", (ForbiddenHeadProxy,),
                   {"upstream": aws_endpoint, "forbidden": forbidden})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{server.server_address[1]}")
    try:
        yield forbidden
    finally:
        server.shutdown()
        server.server_close()


def test_provision_uploads_when_head_object_answers_403(cli, hello, aws,
                                                       forbidden_head_endpoint):
    result = cli("provision", "--yes", project=hello)

    assert "hello: CREATE_COMPLETE (created; code uploaded)" in result.stdout
    # Both the archive's and converge's template check met the 403, and both uploaded.
    assert any(path.endswith(".zip") for path in forbidden_head_endpoint)
    assert any(path.endswith(".json") for path in forbidden_head_endpoint)
    stored = keys(aws, BUCKET)
    assert any(key.endswith(".zip") for key in stored)
    assert any(key.endswith(".json") for key in stored)

    # Again: the 403 hides the archive, so it is put again (the same bytes, harmless).
    again = cli("provision", "--yes", project=hello)
    assert "hello: CREATE_COMPLETE (no changes; code uploaded)" in again.stdout
    assert keys(aws, BUCKET) == stored


# -- an unreachable endpoint fails fast, with one line ------------------------------


@pytest.fixture
def closing_server() -> Iterator[tuple[str, list[socket.socket]]]:
    """A TCP server on 127.0.0.1 that accepts each connection and closes it at once
    (the endpoint is not answering); yields its URL and the connections it took."""
    with tcp_server(keep=False) as server:
        yield server


@pytest.mark.parametrize("command", [("provision", "--yes"), ("status",), ("delete", "--yes")])
def test_an_endpoint_that_drops_connections_is_given_up_on_after_one_retry(
        cli, hello_project, monkeypatch, closing_server, command):
    from sparta_core.aws.clients import PROBE_MAX_ATTEMPTS

    url, accepted = closing_server
    monkeypatch.setenv("AWS_ENDPOINT_URL", url)
    project = configure(hello_project, **{"s3-bucket": BUCKET})

    result = cli(*command, project=project, ok=False)

    lines = error_lines(result.output)
    assert len(lines) == 1 and f"cannot reach {url} (us-east-1)" in lines[0]
    # Two attempts; the HTTP layer opens a second connection once for a dropped one.
    # The standard client (6 attempts, with back-off: about 26 s) opened 7.
    assert 1 <= len(accepted) <= PROBE_MAX_ATTEMPTS + 1


def test_a_closed_port_is_one_clear_line(cli, hello_project, monkeypatch):
    from sparta_core.aws.local import free_port

    url = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv("AWS_ENDPOINT_URL", url)
    project = configure(hello_project, **{"s3-bucket": BUCKET})

    result = cli("provision", "--yes", project=project, ok=False)

    assert result.exit_code == 1
    lines = error_lines(result.output)
    assert len(lines) == 1
    assert lines[0].startswith(f"error: checking artifact bucket '{BUCKET}': cannot reach {url}")


# -- noop from the environment or the file is honoured by provision ----------------


@pytest.mark.parametrize("how", ["environment", "file"])
def test_provision_with_noop_configured_changes_nothing_in_aws(
        cli, hello, aws, monkeypatch, how):
    if how == "environment":
        monkeypatch.setenv("SPARTA_NOOP", "1")
    else:
        pyproject = hello / "pyproject.toml"
        pyproject.write_text(pyproject.read_text().replace(
            "[tool.sparta]\n", "[tool.sparta]\nnoop = true\n"))

    result = cli("provision", "--yes", project=hello)

    # Exactly what `sparta build` (and `provision --noop`) prints.
    assert "hello: 2 function(s): greet, config" in result.stdout
    assert "template  " in result.stdout
    assert (hello / ".sparta" / "hello-template.json").is_file()
    assert (hello / ".sparta" / "hello-code.zip").is_file()
    assert stack(aws, "hello") is None
    assert keys(aws, BUCKET) == []
