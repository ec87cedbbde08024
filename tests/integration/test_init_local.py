"""What `sparta init` scaffolds provisions on the local endpoint as it is: each example
becomes a stack whose functions answer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from aws_helpers import stack

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("example", ["hello", "api", "events"])
def test_scaffolded_service_provisions(cli, tmp_path: Path, bucket: str, aws, example: str) -> None:
    project = tmp_path / f"new-{example}"
    cli("init", str(project), "--example", example)
    result = cli("provision", "--yes", "--s3-bucket", bucket, project=project)
    assert f"new-{example}: CREATE_COMPLETE" in result.stdout
    assert stack(aws, f"new-{example}")["StackStatus"] == "CREATE_COMPLETE"
    function, event, expected = {
        "hello": ("hello", {"name": "Ann"}, {"message": "Hello, Ann!"}),
        "api": ("get_item", {"pathParameters": {"id": "42"}}, None),
        "events": ("report", {"report": "hourly"}, {"report": "hourly"}),
    }[example]
    answer = aws("lambda").invoke(FunctionName=f"new-{example}-{function}",
                                  Payload=json.dumps(event).encode())
    payload = json.loads(answer["Payload"].read())
    if expected is not None:
        assert payload == expected
    else:
        assert payload["statusCode"] == 200
        assert json.loads(payload["body"]) == {"id": "42", "name": "the answer"}
