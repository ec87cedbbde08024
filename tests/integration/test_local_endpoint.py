"""``sparta --local``: the embedded endpoint is started on first use, reused, and stopped."""

from __future__ import annotations

import json
import os
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture
def local_project(hello_project: Path) -> Iterator[Path]:
    """examples/hello with no bucket configured; its local endpoint is stopped after."""
    yield hello_project
    from sparta_core.aws import local

    local.stop_endpoint(local.local_dir(hello_project / ".sparta"))


def test_local_starts_reuses_and_stops_its_endpoint(cli, local_project):
    project = local_project
    record = project / ".sparta" / "local"
    assert "not running" in cli("local", "status", project=project).stdout

    created = cli("--local", "provision", "--yes", project=project)
    assert "local endpoint started: http://127.0.0.1:" in created.output
    assert "created artifact bucket sparta-local-artifacts" in created.output
    assert "hello: CREATE_COMPLETE" in created.stdout
    pid = int((record / "pid").read_text())
    port = int((record / "port").read_text())
    assert alive(pid) and (record / "log").is_file()
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/_ministack/health") as response:
        assert response.status == 200

    # Reused: no second server, the stack is still there.
    event = project / "event.json"
    event.write_text(json.dumps({"name": "local"}))
    invoked = cli("--local", "invoke", "greet", "--remote", "--event", str(event),
                  project=project)
    assert "local endpoint started" not in invoked.output
    assert json.loads(invoked.stdout) == {"message": "Hello, local!"}
    assert "hello: CREATE_COMPLETE" in cli("--local", "status", project=project).stdout
    assert int((record / "pid").read_text()) == pid
    assert f"127.0.0.1:{port} running (pid {pid}" in cli("local", "status", project=project).stdout
    assert f"(pid {pid}," in cli("local", "start", project=project).stdout

    stopped = cli("local", "stop", project=project)
    assert f"stopped (pid {pid})" in stopped.stdout
    assert not alive(pid)
    assert not (record / "pid").exists()
    assert "not running" in cli("local", "status", project=project).stdout
    assert "not running" in cli("local", "stop", project=project).stdout


def test_local_and_an_endpoint_url_cannot_be_combined(cli, local_project):
    result = cli("--local", "--endpoint-url", "http://127.0.0.1:1", "status",
                 project=local_project, ok=False)
    assert result.exit_code == 2
    assert ("error: --local cannot be combined with an endpoint URL (--endpoint-url, "
            "[tool.sparta] endpoint-url or SPARTA_ENDPOINT_URL)") in result.output
    assert "(endpoint-url)" not in result.output
