"""A service past CloudFormation's limits (1,000 functions in one module: 3,000
resources, 1,000 outputs, 2.3 MB of template) deploys through nested stacks on the local
endpoint: created, updated after a one-line edit (every function then runs the new
archive), and a 1,001st function added and provisioned leaves every other function's
resources in the child they were in (``list_stack_resources`` of each child, before and
after). The updates rely on the local endpoint's correction of MiniStack's nested update
(sparta_core.aws.local_endpoint)."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aws_helpers import configure, stack

pytestmark = [pytest.mark.integration, pytest.mark.slow]

COUNT = 1000


def handler(index: int, version: int = 0) -> str:
    return (f"def handler_{index}(event, context):\n"
            f"    return {{'statusCode': 200, 'body': 'h{index} v{version}'}}\n")


def one_module_service(root: Path, count: int) -> Path:
    """``count`` handlers in one handlers.py, declared by string in service.py."""
    root.mkdir(parents=True)
    (root / "service.py").write_text(
        "import sparta_core as sparta\n\n"
        'service = sparta.Service("big", runtime="python3.12")\n'
        f"for i in range({count}):\n"
        '    service.add_function(handler=f"handlers.handler_{i}")\n'
    )
    (root / "handlers.py").write_text("\n\n".join(handler(i) for i in range(count)))
    (root / "pyproject.toml").write_text("[tool.sparta]\n")
    return root


def placement(aws: Callable[[str], Any], name: str) -> dict[str, str]:
    """Every resource of the nested stacks of ``name``: logical ID -> its child's."""
    cloudformation = aws("cloudformation")

    def rows(stack_name: str) -> list[dict[str, Any]]:
        pages = cloudformation.get_paginator("list_stack_resources").paginate(
            StackName=stack_name)
        return [row for page in pages for row in page["StackResourceSummaries"]]

    found: dict[str, str] = {}
    for row in rows(name):
        if row["ResourceType"] == "AWS::CloudFormation::Stack":
            for inner in rows(row["PhysicalResourceId"]):
                found[inner["LogicalResourceId"]] = row["LogicalResourceId"]
    return found


def child_statuses(aws: Callable[[str], Any], name: str) -> dict[str, str]:
    """Logical ID -> stack status of each nested stack of ``name``."""
    cloudformation = aws("cloudformation")
    rows = cloudformation.list_stack_resources(StackName=name)["StackResourceSummaries"]
    return {row["LogicalResourceId"]: cloudformation.describe_stacks(
                StackName=row["PhysicalResourceId"])["Stacks"][0]["StackStatus"]
            for row in rows if row["ResourceType"] == "AWS::CloudFormation::Stack"}


def code_hashes(aws: Callable[[str], Any]) -> dict[str, str]:
    """Function name -> CodeSha256 of every function on the endpoint."""
    pages = aws("lambda").get_paginator("list_functions").paginate()
    return {f["FunctionName"]: f["CodeSha256"] for page in pages for f in page["Functions"]}


def archive_hash(project: Path) -> str:
    """Lambda's CodeSha256 of the archive the last build wrote."""
    digest = hashlib.sha256((project / ".sparta" / "big-code.zip").read_bytes()).digest()
    return base64.b64encode(digest).decode()


def test_a_thousand_functions_deploy_through_nested_stacks(cli, tmp_path, bucket, aws):
    project = configure(one_module_service(tmp_path / "big", COUNT), **{"s3-bucket": bucket})

    created = cli("provision", "--yes", project=project)

    assert stack(aws, "big")["StackStatus"] == "CREATE_COMPLETE"
    before = placement(aws, "big")
    assert len(before) == 3 * COUNT  # function, role, log group each
    children = sorted(set(before.values()))
    assert len(children) >= 8
    root = json.loads((project / ".sparta" / "big-template.json").read_text())
    assert len(root["Resources"]) == len(children)
    assert root["Metadata"]["sparta:nested-stacks"]["buckets"] == len(children)
    for child in children:  # each written beside the root, and linted by the cli fixture
        assert (project / ".sparta" / f"big-{child}-template.json").is_file()
    # The children's own resource events are streamed too, named child/resource.
    assert "CREATE_COMPLETE" in created.output and "Stack/Handler" in created.output
    assert aws("lambda").get_function(FunctionName="big-handler_999")

    status = cli("status", project=project).stdout
    assert f"nested stacks ({len(children)}):" in status
    assert "Handler999FunctionArn" in status

    created_code = archive_hash(project)
    handlers = project / "handlers.py"
    handlers.write_text(handlers.read_text().replace(handler(5), handler(5, 1)))
    planned = cli("plan", project=project).stdout
    assert "inside the nested stacks" in planned
    assert f"~ Modify  {before['Handler5Function']}/Handler5Function" in planned

    # The same edit, hotswapped: the root differs only in its children's TemplateURL, so
    # each child is compared with what it runs. Every handler lives in handlers.py, but
    # only handler_5's part of it changed: the other 999 functions keep their archive.
    last_updated = stack(aws, "big").get("LastUpdatedTime")
    other = aws("lambda").get_function_configuration(FunctionName="big-handler_6")
    swapped = cli("provision", "--hotswap", project=project)
    assert "hotswap: not possible" not in swapped.output
    assert "(hotswapped 1 resource(s)" in swapped.stdout
    assert f"the other {COUNT - 1} function(s)" in swapped.output
    assert stack(aws, "big").get("LastUpdatedTime") == last_updated
    payload = aws("lambda").invoke(FunctionName="big-handler_5", Payload=b"{}")["Payload"]
    assert json.loads(payload.read())["body"] == "h5 v1"
    assert aws("lambda").get_function_configuration(
        FunctionName="big-handler_6")["CodeSha256"] == other["CodeSha256"]

    # Then provisioned in full: every child is updated in place (the local
    # endpoint's launcher corrects MiniStack's nested update, which lost the unchanged
    # roles' attributes), and every function runs the new archive.
    cli("provision", "--yes", project=project)
    assert stack(aws, "big")["StackStatus"] == "UPDATE_COMPLETE"
    assert child_statuses(aws, "big") == dict.fromkeys(children, "UPDATE_COMPLETE")
    assert placement(aws, "big") == before
    assert archive_hash(project) != created_code
    assert code_hashes(aws) == {f"big-handler_{i}": archive_hash(project) for i in range(COUNT)}
    answer = aws("lambda").invoke(FunctionName="big-handler_5")["Payload"].read()
    assert json.loads(answer)["body"] == "h5 v1"

    # A 1,001st function, provisioned: it lands in a child, and every other resource
    # stays in the child it was in (CloudFormation would delete and recreate a moved one).
    handlers.write_text(handlers.read_text() + "\n\n" + handler(COUNT))
    service = project / "service.py"
    service.write_text(service.read_text()
                       + f'service.add_function(handler="handlers.handler_{COUNT}")\n')
    cli("provision", "--yes", project=project)
    assert stack(aws, "big")["StackStatus"] == "UPDATE_COMPLETE"
    after = placement(aws, "big")
    assert {rid: after[rid] for rid in before} == before
    added = {f"Handler{COUNT}Function", f"Handler{COUNT}Role", f"Handler{COUNT}LogGroup"}
    assert set(after) - set(before) == added
    assert len({after[rid] for rid in added}) == 1  # one function's resources, one child
    assert sorted(set(after.values())) == children
    assert child_statuses(aws, "big") == dict.fromkeys(children, "UPDATE_COMPLETE")
    answer = aws("lambda").invoke(FunctionName=f"big-handler_{COUNT}")["Payload"].read()
    assert json.loads(answer)["body"] == f"h{COUNT} v0"
