"""Two stages of one service deployed side by side on the local endpoint: two stacks,
two sets of functions, neither touching the other."""

from __future__ import annotations

import json

import pytest
from aws_helpers import stack

pytestmark = pytest.mark.integration


def test_dev_and_prod_deploy_side_by_side(cli, hello, aws):
    with (hello / "pyproject.toml").open("a") as handle:
        handle.write('\n[tool.sparta.stages.prod]\ntags = {tier = "prod"}\n')

    dev = cli("--stage", "dev", "provision", "--yes", project=hello)
    prod = cli("--stage", "prod", "provision", "--yes", project=hello)

    assert "hello-dev: CREATE_COMPLETE" in dev.stdout
    assert "hello-prod: CREATE_COMPLETE" in prod.stdout
    assert stack(aws, "hello") is None
    tags = {t["Key"]: t["Value"] for t in stack(aws, "hello-prod")["Tags"]}
    assert tags["tier"] == "prod"
    assert "tier" not in {t["Key"] for t in stack(aws, "hello-dev")["Tags"]}
    for name in ("hello-dev-greet", "hello-prod-greet"):
        answer = aws("lambda").invoke(FunctionName=name, Payload=b'{"name": "Ann"}')
        assert json.loads(answer["Payload"].read()) == {"message": "Hello, Ann!"}

    # Deleting one stage leaves the other.
    cli("--stage", "dev", "delete", "--yes", project=hello)
    assert stack(aws, "hello-dev") is None
    assert stack(aws, "hello-prod")["StackStatus"] == "CREATE_COMPLETE"
    status = cli("--stage", "prod", "status", project=hello)
    assert status.stdout.startswith("hello-prod: CREATE_COMPLETE")
