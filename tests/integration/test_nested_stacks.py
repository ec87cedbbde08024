"""A service past CloudFormation's limits (1,000 functions in one module: 3,000
resources, 1,000 outputs, 2.3 MB of template) deploys through nested stacks on the local
endpoint: created, updated after an edit, and a function added leaves every other
function's resources in the child they were in."""

from __future__ import annotations

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

    # An update of the nested stacks cannot be run here: MiniStack 1.5.33 drops the
    # attributes of a child's unchanged resources when it updates the child, so the
    # functions' GetAtt of their roles fails ("Requested attribute Arn does not exist
    # in schema for AWS::IAM::Role"). What an update would do is shown by the plan
    # above; that adding a function moves no other function's resources is checked on
    # the templates below and in tests/functional/test_nested_build.py.
    handlers.write_text(handlers.read_text() + "\n\n" + handler(COUNT))
    service = project / "service.py"
    service.write_text(service.read_text()
                       + f'service.add_function(handler="handlers.handler_{COUNT}")\n')
    cli("build", project=project)
    layout = json.loads((project / ".sparta" / "big-template.json").read_text())
    assert layout["Metadata"]["sparta:nested-stacks"]["buckets"] == len(children)
    placed = {}
    for child in children:
        body = json.loads((project / ".sparta" / f"big-{child}-template.json").read_text())
        placed.update({rid: child for rid in body["Resources"]})
    assert {rid: placed[rid] for rid in before} == before
    assert {f"Handler{COUNT}Function", f"Handler{COUNT}Role", f"Handler{COUNT}LogGroup"} <= set(
        placed)
