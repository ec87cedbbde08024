"""`sparta invoke --remote` against the local endpoint, which returns no LogResult for a
function that prints nothing: the log tail comes from the function's log group."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.integration


def test_remote_invoke_falls_back_to_the_log_group(cli, hello, aws):
    cli("provision", "--yes", project=hello)
    event = hello / "event.json"
    event.write_text(json.dumps({"name": "tail"}))
    result = cli("invoke", "greet", "--remote", "--event", str(event), project=hello)
    assert json.loads(result.stdout) == {"message": "Hello, tail!"}
    lines = result.stderr.splitlines()
    start = lines.index("log tail of hello-greet (from /aws/lambda/hello-greet; the endpoint "
                        "returned none):")
    tail = [line.strip() for line in lines[start + 1:]]
    assert tail[0].startswith("START RequestId: ")
    assert tail[-1].startswith("REPORT RequestId: ")
