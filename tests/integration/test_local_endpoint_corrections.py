"""The local endpoint's corrections of MiniStack (sparta_core.aws.local_endpoint), proven
on the fixture's endpoint (which runs through the launcher, as ``sparta --local`` does),
and the launcher's refusal to touch a MiniStack that is not the code it corrects.

The nested update below fails on a MiniStack 1.5.33 started as ``python -m ministack``
("Requested attribute Arn does not exist in schema for AWS::IAM::Role"): the child's
unchanged role loses its attributes, and the function's ``GetAtt Role.Arn`` breaks.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aws_helpers import stack

from sparta_core.aws import local, local_endpoint
from sparta_core.testing import lint_errors

pytestmark = pytest.mark.integration

S3 = "https://s3.us-east-1.amazonaws.com"


def child_template(setting: str) -> dict[str, Any]:
    """A role, a function that runs as it (``GetAtt Role.Arn``), and a parameter whose
    value is what an update changes: the role and the function stay as they are."""
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Resources": {
            "Role": {"Type": "AWS::IAM::Role", "Properties": {
                "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
                    "Effect": "Allow", "Action": "sts:AssumeRole",
                    "Principal": {"Service": "lambda.amazonaws.com"}}]}}},
            "Function": {"Type": "AWS::Lambda::Function", "Properties": {
                "Runtime": "python3.12", "Handler": "index.handler",
                "Role": {"Fn::GetAtt": ["Role", "Arn"]},
                "Code": {"ZipFile": "def handler(event, context):\n    return 1\n"}}},
            "Setting": {"Type": "AWS::SSM::Parameter", "Properties": {
                "Type": "String", "Value": setting}},
        },
        "Outputs": {"FunctionArn": {"Value": {"Fn::GetAtt": ["Function", "Arn"]}}},
    }


def parent_template(child_url: str) -> dict[str, Any]:
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Resources": {"Child": {"Type": "AWS::CloudFormation::Stack",
                                "Properties": {"TemplateURL": child_url}}},
    }


def put_linted(aws: Callable[[str], Any], bucket: str, tmp_path: Path, key: str,
               body: dict[str, Any]) -> str:
    """Lint ``body`` with cfn-lint, put it at ``key``; its TemplateURL."""
    path = tmp_path / key
    path.write_text(json.dumps(body, indent=1))
    assert lint_errors(path) == []
    aws("s3").put_object(Bucket=bucket, Key=key, Body=path.read_bytes())
    return f"{S3}/{bucket}/{key}"


def settled(aws: Callable[[str], Any], name: str) -> dict[str, Any]:
    """The stack once it is no longer in progress."""
    deadline = time.monotonic() + 120
    while True:
        found = stack(aws, name)
        assert found is not None
        if not found["StackStatus"].endswith("_IN_PROGRESS") or time.monotonic() > deadline:
            return found
        time.sleep(0.5)


def failures(aws: Callable[[str], Any], *stack_ids: str) -> list[str]:
    """``LogicalId: reason`` of every failure in the stacks' events."""
    cloudformation = aws("cloudformation")
    return [f"{e['LogicalResourceId']}: {e.get('ResourceStatusReason', '')}"
            for stack_id in stack_ids
            for e in cloudformation.describe_stack_events(StackName=stack_id)["StackEvents"]
            if e["ResourceStatus"].endswith("_FAILED")]


def test_a_nested_child_updated_keeps_its_unchanged_resources_attributes(
        aws, bucket, tmp_path):
    cloudformation = aws("cloudformation")
    first = put_linted(aws, bucket, tmp_path, "child-1.json", child_template("one"))
    parent = put_linted(aws, bucket, tmp_path, "parent-1.json", parent_template(first))
    cloudformation.create_stack(StackName="corrected", TemplateURL=parent,
                                Capabilities=["CAPABILITY_IAM"])
    assert settled(aws, "corrected")["StackStatus"] == "CREATE_COMPLETE"
    child = cloudformation.describe_stack_resource(
        StackName="corrected", LogicalResourceId="Child")["StackResourceDetail"]
    child_id = child["PhysicalResourceId"]
    before = {row["LogicalResourceId"]: row["PhysicalResourceId"] for row in
              cloudformation.list_stack_resources(StackName=child_id)["StackResourceSummaries"]}

    second = put_linted(aws, bucket, tmp_path, "child-2.json", child_template("two"))
    parent = put_linted(aws, bucket, tmp_path, "parent-2.json", parent_template(second))
    cloudformation.update_stack(StackName="corrected", TemplateURL=parent,
                                Capabilities=["CAPABILITY_IAM"])
    updated = settled(aws, "corrected")

    assert updated["StackStatus"] == "UPDATE_COMPLETE", failures(aws, "corrected", child_id)
    after = {row["LogicalResourceId"]: row["PhysicalResourceId"] for row in
             cloudformation.list_stack_resources(StackName=child_id)["StackResourceSummaries"]}
    assert after == before  # updated in place, nothing replaced
    assert aws("ssm").get_parameter(Name=after["Setting"])["Parameter"]["Value"] == "two"
    function = aws("lambda").get_function(FunctionName=after["Function"])["Configuration"]
    role = aws("iam").get_role(RoleName=after["Role"])["Role"]
    assert function["Role"] == role["Arn"]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack(aws, child_id)["Outputs"]}
    assert outputs["FunctionArn"] == function["FunctionArn"]


def test_the_endpoint_runs_through_the_launcher_and_logs_the_correction(tmp_path):
    log = tmp_path / "log"
    port = local.free_port()
    process = local.spawn(port, tmp_path / "tmp", log, detach=False)
    try:
        local.wait_ready(process, f"http://{local.HOST}:{port}", log)
        assert local._is_ministack(process.pid)
        lines = [line for line in log.read_text().splitlines()
                 if line.startswith(local_endpoint.LOG_PREFIX)]
        assert lines == [f"{local_endpoint.LOG_PREFIX} nested-update attributes: applied "
                         "(a nested child's update keeps the attributes of its unchanged "
                         "resources)"]
    finally:
        local.stop_process(process)


#: A stand-in for another MiniStack: its __main__ says it ran, with sys.argv[0] as
#: ``python -m`` sets it.
FAKE_MAIN = "import sys\nprint('fake ministack ran', sys.argv[0].endswith('__main__.py'))\n"
OTHER_VERSION = """
def _update_resource(resource_type, physical_id, old_props, new_props, stack_name,
                     logical_id=None):
    return physical_id, {}
"""
FIXED_UPSTREAM = """
def _update_resource(resource_type, physical_id, old_props, new_props, stack_name,
                     logical_id=None, old_attrs=None):
    return physical_id, old_attrs or {}


def _cfn_nested_stack_deploy(logical_id, props, parent_stack_name):
    prev = {}
    return _update_resource("T", "p", {}, {}, parent_stack_name, logical_id,
                            old_attrs=prev.get("Attributes"))
"""


@pytest.mark.parametrize(("provisioners", "reason"), [
    (OTHER_VERSION, "no provisioners._update_resource or _cfn_nested_stack_deploy"),
    (FIXED_UPSTREAM, "the nested-stack deploy already passes old_attrs (fixed upstream)"),
])
def test_a_ministack_without_the_bug_runs_as_it_is(tmp_path, provisioners, reason):
    package = tmp_path / "ministack"
    (package / "services" / "cloudformation").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "__main__.py").write_text(FAKE_MAIN)
    (package / "services" / "__init__.py").write_text("")
    (package / "services" / "cloudformation" / "__init__.py").write_text("_stacks = {}\n")
    (package / "services" / "cloudformation" / "provisioners.py").write_text(
        textwrap.dedent(provisioners))
    environment = {**os.environ, "PYTHONPATH": str(tmp_path)}

    ran = subprocess.run([sys.executable, "-m", local_endpoint.MODULE], env=environment,
                         capture_output=True, text=True, timeout=60, cwd=tmp_path)

    assert ran.returncode == 0, ran.stderr
    assert ran.stdout == "fake ministack ran True\n"
    assert ran.stderr.splitlines() == [
        f"{local_endpoint.LOG_PREFIX} nested-update attributes: skipped, the installed "
        f"MiniStack is not the code it corrects ({reason}); running it as it is"]
