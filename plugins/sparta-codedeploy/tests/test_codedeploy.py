"""sparta-codedeploy: the alias every caller invokes, the version, and the CodeDeploy
deployment, proven by template (the local endpoint has no CodeDeploy) and, without the
CodeDeploy resources, on the local endpoint."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import boto3
import pytest

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "safe-deploy"
LIVE = {"Ref": "TakeFunctionAliasLive"}


@pytest.fixture
def example(tmp_path: Path) -> Path:
    target = tmp_path / "safe-deploy"
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns(".sparta", "__pycache__"))
    return target


def of_type(template: dict, type_name: str) -> dict[str, dict]:
    return {logical_id: resource for logical_id, resource in template["Resources"].items()
            if resource["Type"] == type_name}


def test_the_example_deploys_through_codedeploy_and_every_caller_invokes_live(
    example, sparta_run
):
    result = sparta_run("build", cwd=example)  # linted by the kit
    assert result.exit_code == 0, result.output
    template = result.template
    resources = template["Resources"]

    [version_id] = of_type(template, "AWS::Lambda::Version")
    assert version_id.startswith("TakeFunctionVersion")
    alias = resources["TakeFunctionAliasLive"]
    assert alias["Properties"] == {"Name": "live", "FunctionName": {"Ref": "TakeFunction"},
                                   "FunctionVersion": {"Fn::GetAtt": [version_id, "Version"]}}
    assert alias["UpdatePolicy"] == {"CodeDeployLambdaAliasUpdate": {
        "ApplicationName": {"Ref": "CodeDeployApplication"},
        "DeploymentGroupName": {"Ref": "TakeFunctionDeploymentGroup"},
        "BeforeAllowTrafficHook": {"Ref": "CheckFunction"},
    }}
    assert alias["DependsOn"] == ["TakeFunctionDeploymentHooksPolicy"]
    assert resources["CodeDeployApplication"]["Properties"] == {"ComputePlatform": "Lambda"}
    group = resources["TakeFunctionDeploymentGroup"]["Properties"]
    assert group == {
        "ApplicationName": {"Ref": "CodeDeployApplication"},
        "ServiceRoleArn": {"Fn::GetAtt": ["TakeFunctionDeploymentRole", "Arn"]},
        "DeploymentConfigName": "CodeDeployDefault.LambdaCanary10Percent5Minutes",
        "DeploymentStyle": {"DeploymentType": "BLUE_GREEN",
                            "DeploymentOption": "WITH_TRAFFIC_CONTROL"},
        "AutoRollbackConfiguration": {
            "Enabled": True, "Events": ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"]},
        "AlarmConfiguration": {"Enabled": True, "Alarms": [
            {"Name": {"Ref": "TakeFunctionErrorsAlarm"}},
            {"Name": {"Ref": "TakeFunctionThrottlesAlarm"}}]},
    }
    # The alarms it watches are sparta-cloudwatch's, on the function itself.
    assert {"TakeFunctionErrorsAlarm", "TakeFunctionThrottlesAlarm",
            "TakeFunctionDurationP99Alarm"} <= set(of_type(template, "AWS::CloudWatch::Alarm"))

    role = resources["TakeFunctionDeploymentRole"]["Properties"]
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": "codedeploy.amazonaws.com"}
    statements = role["Policies"][0]["PolicyDocument"]["Statement"]
    actions = {action: statement["Resource"] for statement in statements
               for action in statement["Action"]}
    assert actions["cloudwatch:DescribeAlarms"] == "*"
    assert actions["lambda:UpdateAlias"] == [
        {"Fn::GetAtt": ["TakeFunction", "Arn"]}, {"Fn::Sub": "${TakeFunction.Arn}:*"}]
    assert actions["lambda:InvokeFunction"] == [
        {"Fn::GetAtt": ["CheckFunction", "Arn"]}, {"Fn::Sub": "${CheckFunction.Arn}:*"}]
    hooks = resources["TakeFunctionDeploymentHooksPolicy"]["Properties"]
    assert hooks["Roles"] == [{"Ref": "CheckRole"}]
    [statement] = hooks["PolicyDocument"]["Statement"]
    assert statement["Action"] == "codedeploy:PutLifecycleEventHookExecutionStatus"
    assert statement["Resource"]["Fn::Sub"].endswith(
        ":deploymentgroup:${CodeDeployApplication}/${TakeFunctionDeploymentGroup}")

    # Every caller invokes live: the queue's mapping, the route and its permission.
    [mapping] = of_type(template, "AWS::Lambda::EventSourceMapping").values()
    assert mapping["Properties"]["FunctionName"] == LIVE
    permissions = of_type(template, "AWS::Lambda::Permission").values()
    assert [p["Properties"]["FunctionName"] for p in permissions] == [LIVE]
    [method] = of_type(template, "AWS::ApiGateway::Method").values()
    assert method["Properties"]["Integration"]["Uri"]["Fn::Sub"][1] == {"Target": LIVE}
    # The hook itself is called by CodeDeploy by name, not redirected.
    assert "CheckFunctionAliasLive" not in resources


def test_a_code_change_publishes_a_new_version_and_no_change_none(example, sparta_run):
    def version() -> str:
        result = sparta_run("build", cwd=example)
        assert result.exit_code == 0, result.output
        [version_id] = of_type(result.template, "AWS::Lambda::Version")
        return version_id

    first = version()
    assert version() == first
    service = example / "service.py"
    service.write_text(service.read_text().replace('"taken"', '"accepted"'))
    assert version() != first


def test_with_local_the_codedeploy_resources_are_left_out_with_a_warning(example, sparta_run):
    result = sparta_run("--local", "build", cwd=example)
    assert result.exit_code == 0, result.output
    assert "warning: codedeploy: no CodeDeploy on this endpoint; the 'live' alias of take" \
        in result.output
    types = {r["Type"] for r in result.template["Resources"].values()}
    assert not {t for t in types if t.startswith("AWS::CodeDeploy::")}
    alias = result.template["Resources"]["TakeFunctionAliasLive"]
    assert "UpdatePolicy" not in alias and "TakeFunctionDeploymentRole" not in types
    [mapping] = of_type(result.template, "AWS::Lambda::EventSourceMapping").values()
    assert mapping["Properties"]["FunctionName"] == LIVE


def test_codedeploy_off_is_refused_against_aws_itself(example, sparta_run, monkeypatch):
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    result = sparta_run("-o", "codedeploy=off", "build", cwd=example, lint=False)
    assert result.exit_code != 0
    assert "setting 'codedeploy' = off leaves CodeDeploy out, which only a local endpoint" \
        in result.error_line()


@pytest.mark.parametrize(("old", "new", "message"), [
    ('SafeDeploy("Canary10Percent5Minutes"', 'SafeDeploy("Canary50Percent"',
     "SafeDeploy: strategy must be one of Canary10Percent5Minutes, Canary10Percent10Minutes,"),
    ("pre_traffic=check", "pre_traffic=json.dumps",
     "SafeDeploy: pre_traffic: function json.dumps is not a function of service"),
    ("pre_traffic=check", "pre_traffic='take'", "a function cannot be its own hook"),
    ('sparta.Ref("TakeFunctionThrottlesAlarm")', 'sparta.Ref("Orders")',
     "alarm Ref('Orders') is not an AWS::CloudWatch::Alarm of the template"),
])
def test_a_bad_safe_deploy_is_one_error_line(example, sparta_run, old, new, message):
    service = example / "service.py"
    assert old in service.read_text()
    service.write_text(service.read_text().replace(old, new))
    result = sparta_run("build", cwd=example, lint=False)
    assert result.exit_code != 0
    assert message in (result.error_line() or ""), result.output
    assert "Traceback" not in result.output


def test_safe_deploy_without_the_plugin_is_one_error_line(example, sparta_run):
    result = sparta_run("-p", "no:codedeploy", "build", cwd=example, lint=False)
    assert result.exit_code != 0
    assert "needs the codedeploy plugin" in result.error_line(), result.output


def test_the_alias_and_version_exist_on_the_local_endpoint_and_callers_invoke_live(
    example, sparta_run, aws_endpoint
):
    boto3.client("s3").create_bucket(Bucket="artifacts")
    pyproject = example / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace(
        "[tool.sparta]\n", '[tool.sparta]\ns3-bucket = "artifacts"\ncodedeploy = "off"\n'))
    result = sparta_run("provision", "--yes", cwd=example)
    assert result.exit_code == 0, result.output

    lambda_ = boto3.client("lambda")
    alias = lambda_.get_alias(FunctionName="safe-orders-take", Name="live")
    versions = lambda_.list_versions_by_function(FunctionName="safe-orders-take")["Versions"]
    assert alias["FunctionVersion"] in {v["Version"] for v in versions if v["Version"] != "$LATEST"}
    [mapping] = lambda_.list_event_source_mappings()["EventSourceMappings"]
    assert mapping["FunctionArn"].endswith(":function:safe-orders-take:live")
    policy = json.loads(lambda_.get_policy(FunctionName="safe-orders-take",
                                           Qualifier="live")["Policy"])
    assert [s["Principal"] for s in policy["Statement"]] == [
        {"Service": "apigateway.amazonaws.com"}]
    answer = lambda_.invoke(FunctionName="safe-orders-take", Qualifier="live",
                            Payload=json.dumps({"body": "{}"}))
    assert json.loads(answer["Payload"].read())["statusCode"] == 200

    cloudwatch = boto3.client("cloudwatch")
    alarms = {a["AlarmName"] for a in cloudwatch.describe_alarms()["MetricAlarms"]}
    assert {"safe-orders-take-errors", "safe-orders-take-throttles",
            "safe-orders-take-durationp99", "safe-orders-check-errors"} == alarms
    body = json.loads(cloudwatch.get_dashboard(DashboardName="safe-orders-ops")["DashboardBody"])
    assert [w["properties"]["markdown"] for w in body["widgets"] if w["type"] == "text"] == [
        "### check", "### take"]
