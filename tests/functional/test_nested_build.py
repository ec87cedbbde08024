"""A service past CloudFormation's limits is split into nested stacks at build time:
each child written beside the root (and lint-clean: the cli fixture lints every
template it writes), references across stacks wired through Parameters and Outputs,
and a function added moves no other function to another child."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.conftest import Cli

COUNT = 200  # 600 resources and 200 outputs: past the 500-resource limit


def handler(index: int) -> str:
    return f"def handler_{index}(event, context):\n    return {index}\n"


@pytest.fixture
def big(tmp_path: Path) -> Path:
    root = tmp_path / "big"
    root.mkdir()
    (root / "service.py").write_text(
        "import sparta_core as sparta\n\n"
        'service = sparta.Service("big")\n'
        'service.resource("Jobs", "AWS::SQS::Queue")\n'
        'service.resource("Audit", "AWS::SQS::Queue", DependsOn=["Handler7Function"])\n'
        'service.output("SeventhArn", sparta.GetAtt("Handler7Function", "Arn"))\n'
        f"for i in range({COUNT}):\n"
        '    service.add_function(handler=f"handlers.handler_{i}", environment={\n'
        '        "JOBS": sparta.Ref("Jobs"), "JOBS_ARN": sparta.GetAtt("Jobs", "Arn"),\n'
        '        "WHERE": sparta.Sub("${AWS::StackName}/${Jobs.QueueName}")})\n'
    )
    (root / "handlers.py").write_text("\n\n".join(handler(i) for i in range(COUNT)))
    (root / "pyproject.toml").write_text("[tool.sparta]\n")
    return root


def load(project: Path, name: str = "big-template.json") -> dict:
    return json.loads((project / ".sparta" / name).read_text())


def children(project: Path) -> dict[str, dict]:
    root = load(project)
    return {logical_id: load(project, f"big-{logical_id}-template.json")
            for logical_id, resource in root["Resources"].items()
            if resource["Type"] == "AWS::CloudFormation::Stack"}


def placement(project: Path) -> dict[str, str]:
    return {resource_id: child for child, template in children(project).items()
            for resource_id in template["Resources"]}


def test_a_service_past_the_limits_is_split_and_wired(cli: Cli, big: Path) -> None:
    cli("build", project=big)

    root = load(big)
    nested = children(big)
    assert len(nested) >= 2
    assert set(root["Resources"]) == {"Jobs", "Audit", *nested}  # shared ones stay
    assert root["Metadata"]["sparta:nested-stacks"] == {"buckets": len(nested), "placed": {}}
    where = placement(big)
    assert len(where) == 3 * COUNT
    child_id = where["Handler7Function"]
    child = nested[child_id]
    # Ref keeps its text through a parameter of the same name; GetAtt and ${X.A} become
    # a parameter; AWS::StackName still means the root's.
    variables = child["Resources"]["Handler7Function"]["Properties"]["Environment"]["Variables"]
    assert variables["JOBS"] == {"Ref": "Jobs"}
    assert variables["JOBS_ARN"] == {"Ref": "JobsArn"}
    assert variables["WHERE"] == {"Fn::Sub": "${RootStackName}/${JobsQueueName}"}
    assert variables["SPARTA_STACK_NAME"] == {"Ref": "RootStackName"}
    stack = root["Resources"][child_id]
    assert stack["Properties"]["Parameters"]["JobsArn"] == {"Fn::GetAtt": ["Jobs", "Arn"]}
    assert stack["Properties"]["Parameters"]["RootStackName"] == {"Ref": "AWS::StackName"}
    url = stack["Properties"]["TemplateURL"]["Fn::Sub"][0]
    assert url.startswith("https://s3.${AWS::Region}.${AWS::URLSuffix}/${Bucket}/big/")
    # A root resource that waited for a function waits for its child stack; a root
    # output of a child's resource reads the child's output.
    assert root["Resources"]["Audit"]["DependsOn"] == [child_id]
    assert root["Outputs"]["SeventhArn"]["Value"] == {
        "Fn::GetAtt": [child_id, "Outputs.Handler7FunctionArn"]}
    assert "Handler7FunctionArn" in child["Outputs"]  # each function's ARN, in its child


def test_adding_a_function_moves_no_other_function(cli: Cli, big: Path) -> None:
    cli("build", project=big)
    before = placement(big)

    (big / "handlers.py").write_text((big / "handlers.py").read_text() + "\n\n" + handler(COUNT))
    with (big / "service.py").open("a") as out:
        out.write(f'service.add_function(handler="handlers.handler_{COUNT}")\n')
    cli("build", project=big)

    after = placement(big)
    assert {rid: child for rid, child in after.items() if rid in before} == before
    assert len(after) == len(before) + 3

    (big / ".sparta" / "big-template.json").unlink()  # a fresh checkout keeps it too
    cli("build", project=big)
    assert placement(big) == after
