"""What ``sparta build`` makes of a state machine: the template (cfn-lint clean: the kit
lints every template it sees written), the exact IAM, stability, events, redirects."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "stepfunctions"

SERVICE_HEAD = """
import sparta_core as sparta
from sparta_stepfunctions import (
    Choice, Fail, Map, Parallel, Pass, StateMachine, Succeed, Task, Wait)

service = sparta.Service("flows")


@service.function()
def first(event, context):
    return event


@service.function()
def second(event, context):
    return event


@service.function()
def unused(event, context):
    return event

"""

#: One machine per state kind: (the states, the kinds the definition must hold).
KINDS = {
    "task": ("start = Task(first, retry=[{'max_attempts': 2}])", {"Task"}),
    "choice": ("start = Choice().when(Choice.greater_than('$.n', 1), Task(first))"
               ".otherwise(Task(second))", {"Choice", "Task"}),
    "wait": ("start = Wait(seconds=1)\nstart.next(Task(first))", {"Wait", "Task"}),
    "pass": ("start = Pass(result={'a': 1}, result_path='$.p')", {"Pass"}),
    "parallel": ("start = Parallel(branches=[Task(first), Task(second)])", {"Parallel"}),
    "map": ("start = Map(iterator=Task(first), items_path='$.items')", {"Map"}),
    "succeed": ("start = Succeed()", {"Succeed"}),
    "fail": ("start = Fail(error='Nope', cause='never')", {"Fail"}),
}


def machine_project(sparta_project, states: str, machine: str = "", files: dict | None = None):
    body = SERVICE_HEAD + states + "\n" + (
        machine or 'service.add(StateMachine("flow", start=start))') + "\n"
    return sparta_project({"service.py": body, **(files or {})})


def build(sparta_run, project) -> dict:
    result = sparta_run("build", cwd=project)
    assert result.exit_code == 0, result.output
    return result.template


@pytest.mark.parametrize("kind", list(KINDS))
def test_each_state_kind_builds_and_lints(kind, sparta_project, sparta_run):
    states, kinds = KINDS[kind]
    template = build(sparta_run, machine_project(sparta_project, states))
    machine = template["Resources"]["FlowStateMachine"]
    assert machine["Type"] == "AWS::StepFunctions::StateMachine"
    definition = machine["Properties"]["Definition"]
    assert {state["Type"] for state in definition["States"].values()} == kinds
    assert template["Outputs"]["FlowStateMachineArn"]["Value"] == {"Ref": "FlowStateMachine"}


def test_the_order_example_template(sparta_project, sparta_run, tmp_path):
    project = tmp_path / "example"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns(".sparta"))
    template = build(sparta_run, project)
    resources = template["Resources"]
    machine = resources["OrdersStateMachine"]["Properties"]
    assert machine["StateMachineName"] == "fulfilment-orders"
    assert machine["StateMachineType"] == "STANDARD"
    assert machine["RoleArn"] == {"Fn::GetAtt": ["OrdersStateMachineRole", "Arn"]}
    assert machine["Definition"]["StartAt"] == "ValidateOrder"
    assert machine["Definition"]["States"]["ShipOrder"] == {
        "Type": "Task", "Resource": "${ShipOrderFunctionArn}", "End": True}
    assert machine["DefinitionSubstitutions"] == {
        "ValidateOrderFunctionArn": {"Fn::GetAtt": ["ValidateOrderFunction", "Arn"]},
        "ShipOrderFunctionArn": {"Fn::GetAtt": ["ShipOrderFunction", "Arn"]},
    }
    # The log group, with retention, wired into LoggingConfiguration.
    assert resources["OrdersStateMachineLogGroup"] == {
        "Type": "AWS::Logs::LogGroup",
        "Properties": {"LogGroupName": "/aws/vendedlogs/states/fulfilment-orders",
                       "RetentionInDays": 30},
    }
    assert machine["LoggingConfiguration"] == {
        "Level": "ALL", "IncludeExecutionData": True,
        "Destinations": [{"CloudWatchLogsLogGroup": {
            "LogGroupArn": {"Fn::GetAtt": ["OrdersStateMachineLogGroup", "Arn"]}}}],
    }
    # place_order names the machine: discovery tells it the ARN (Ref and Arn) and name.
    variables = resources["PlaceOrderFunction"]["Properties"]["Environment"]["Variables"]
    assert json.loads(variables["SPARTA_RESOURCES"]["Fn::Sub"]) == {"OrdersStateMachine": {
        "Type": "AWS::StepFunctions::StateMachine", "Ref": "${OrdersStateMachine}",
        "Arn": "${OrdersStateMachine.Arn}", "Name": "${OrdersStateMachine.Name}"}}


def test_the_roles_are_least_privilege(sparta_project, sparta_run):
    """Exactly: invoke the functions the tasks run (not `unused`), the log delivery
    actions AWS documents; trusted by Step Functions from this account only."""
    states = "start = Task(first)\nstart.next(Parallel(branches=[Task(second), Task(first)]))"
    template = build(sparta_run, machine_project(sparta_project, states))
    role = template["Resources"]["FlowStateMachineRole"]
    assert role == {"Type": "AWS::IAM::Role", "Properties": {
        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "states.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}},
        }]},
        "Policies": [{"PolicyName": "flow-state-machine", "PolicyDocument": {
            "Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": ["lambda:InvokeFunction"], "Resource": [
                    {"Fn::GetAtt": ["FirstFunction", "Arn"]},
                    {"Fn::GetAtt": ["SecondFunction", "Arn"]},
                ]},
                {"Effect": "Allow", "Action": [
                    "logs:CreateLogDelivery", "logs:DeleteLogDelivery", "logs:DescribeLogGroups",
                    "logs:DescribeResourcePolicies", "logs:GetLogDelivery",
                    "logs:ListLogDeliveries", "logs:PutResourcePolicy", "logs:UpdateLogDelivery",
                ], "Resource": "*"},
            ]}}],
    }}


def test_logging_off_and_tracing(sparta_project, sparta_run):
    template = build(sparta_run, machine_project(
        sparta_project, "start = Task(first)",
        'service.add(StateMachine("flow", start=start, type="EXPRESS", log_level="OFF", '
        'tracing=True, timeout_seconds=60))'))
    resources = template["Resources"]
    assert "FlowStateMachineLogGroup" not in resources
    properties = resources["FlowStateMachine"]["Properties"]
    assert "LoggingConfiguration" not in properties
    assert properties["StateMachineType"] == "EXPRESS"
    assert properties["TracingConfiguration"] == {"Enabled": True}
    assert properties["Definition"]["TimeoutSeconds"] == 60
    statements = resources["FlowStateMachineRole"]["Properties"]["Policies"][0][
        "PolicyDocument"]["Statement"]
    assert [s["Action"] for s in statements] == [
        ["lambda:InvokeFunction"],
        ["xray:GetSamplingRules", "xray:GetSamplingTargets", "xray:PutTelemetryRecords",
         "xray:PutTraceSegments"]]


def test_two_builds_are_identical(sparta_project, sparta_run):
    states, _ = KINDS["choice"]
    project = machine_project(sparta_project, states)
    template_file = project / ".sparta" / "flows-template.json"
    build(sparta_run, project)
    first = template_file.read_bytes()
    build(sparta_run, project)
    assert template_file.read_bytes() == first
    other = machine_project(sparta_project, states)  # a fresh copy, elsewhere
    build(sparta_run, other)
    assert (other / ".sparta" / "flows-template.json").read_bytes() == first


def test_schedule_and_eventbridge_rule_start_the_machine(sparta_project, sparta_run):
    machine = '''
service.resource("Bus", "AWS::Events::EventBus", {"Name": "orders"})
service.add(StateMachine("flow", start=start, events=[
    sparta.Schedule("rate(1 hour)", input={"kind": "nightly"}),
    sparta.EventBridgeRule({"source": ["shop"]}, bus=sparta.Ref("Bus"), input_path="$.detail",
                           retry_attempts=2),
]))
'''
    template = build(sparta_run, machine_project(sparta_project, "start = Task(first)", machine))
    resources = template["Resources"]
    target = {"Arn": {"Ref": "FlowStateMachine"}, "Id": "FlowStateMachine",
              "RoleArn": {"Fn::GetAtt": ["FlowStateMachineEventsRole", "Arn"]}}
    assert resources["FlowStateMachineSchedule0Rule"]["Properties"] == {
        "ScheduleExpression": "rate(1 hour)", "State": "ENABLED",
        "Targets": [{**target, "Input": '{"kind": "nightly"}'}]}
    assert resources["FlowStateMachineEventBridge0Rule"]["Properties"] == {
        "EventPattern": {"source": ["shop"]}, "EventBusName": {"Ref": "Bus"},
        "State": "ENABLED",
        "Targets": [{**target, "InputPath": "$.detail",
                     "RetryPolicy": {"MaximumRetryAttempts": 2}}]}
    assert resources["FlowStateMachineEventsRole"]["Properties"]["Policies"] == [{
        "PolicyName": "flow-start-execution", "PolicyDocument": {
            "Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Action": ["states:StartExecution"],
                "Resource": {"Ref": "FlowStateMachine"}}]}}]
    trust = resources["FlowStateMachineEventsRole"]["Properties"]["AssumeRolePolicyDocument"]
    assert trust["Statement"][0]["Principal"] == {"Service": "events.amazonaws.com"}
    # No function is wired to the rules: no Lambda permission for them.
    assert not [r for r in resources.values() if r["Type"] == "AWS::Lambda::Permission"]


def test_a_redirect_to_an_alias_is_honoured(sparta_project, sparta_run):
    spartaconf = '''
import sparta_core as sparta


@sparta.hookimpl
def sparta_invoke_target(ctx, function, logical_id):
    if function.key == "first":
        return {"Ref": "FirstAliasLive"}


@sparta.hookimpl
def sparta_decorate_function(function, logical_id, template):
    if function.key == "first":
        template.add_resource("FirstVersion", "AWS::Lambda::Version",
                              {"FunctionName": {"Ref": logical_id}})
        template.add_resource("FirstAliasLive", "AWS::Lambda::Alias", {
            "FunctionName": {"Ref": logical_id}, "Name": "live",
            "FunctionVersion": {"Fn::GetAtt": ["FirstVersion", "Version"]}})
'''
    template = build(sparta_run, machine_project(
        sparta_project, "start = Task(first)\nstart.next(Task(second))",
        files={"spartaconf.py": spartaconf}))
    resources = template["Resources"]
    properties = resources["FlowStateMachine"]["Properties"]
    assert properties["DefinitionSubstitutions"] == {
        "FirstFunctionArn": {"Ref": "FirstAliasLive"},
        "SecondFunctionArn": {"Fn::GetAtt": ["SecondFunction", "Arn"]}}
    statement = resources["FlowStateMachineRole"]["Properties"]["Policies"][0][
        "PolicyDocument"]["Statement"][0]
    assert statement["Resource"] == [{"Ref": "FirstAliasLive"},
                                     {"Fn::GetAtt": ["SecondFunction", "Arn"]}]


def test_a_bad_machine_fails_before_the_build(sparta_project, sparta_run, hook_recorder):
    project = machine_project(sparta_project, "start = Task(first)\nstart.next('Missing')")
    result = sparta_run("build", cwd=project)
    assert result.exit_code != 0
    assert result.error_line() == (
        "error: StateMachine 'flow': 'First' goes to 'Missing', which names no state of the "
        "main flow; its states: First")
    assert "sparta_build" not in hook_recorder.names()


def test_describe_draws_the_machine_and_its_functions(sparta_project, sparta_run):
    project = machine_project(sparta_project, "start = Task(first)\nstart.next(Task(second))")
    result = sparta_run("describe", cwd=project)
    assert result.exit_code == 0, result.output
    page = (project / ".sparta" / "flows-describe.html").read_text()
    assert "Task First" in page and "Task Second" in page
    assert "StateMachine flow (STANDARD)" in page
