"""Discovery: each function's environment names its stack and the resources it
depends on, and ``sparta_runtime.discover()`` reads them back."""

from __future__ import annotations

import json
import re

import pytest
from tests.functional.sources_support import build

from sparta_core.runtime import discover, resource

BODY = '''
service.resource("Orders", "AWS::SQS::Queue")
service.resource("Failures", "AWS::SQS::Queue")
service.resource("Table", "AWS::DynamoDB::Table", {
    "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
    "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
    "BillingMode": "PAY_PER_REQUEST",
    "StreamSpecification": {"StreamViewType": "KEYS_ONLY"},
})
service.resource("Secret", "AWS::SSM::Parameter", {"Type": "String", "Value": "x"})
service.resource("Unused", "AWS::SNS::Topic")

@service.function(
    environment={"TABLE": sparta.Ref("Table")},
    dead_letter_arn=sparta.Ref("Failures"),
    role=sparta.IAMRoleDefinition(privileges=[sparta.Privilege(
        actions=["ssm:GetParameter"],
        resources=[sparta.Sub("arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}"
                              ":parameter/${Secret}")])]),
    events=[sparta.SQSEvent(sparta.Ref("Orders"))],
)
def worker(event, context):
    return handle(event, context)

@service.function()
def loner(event, context):
    return handle(event, context)
'''


def test_environment_names_stack_and_every_dependency(cli, make_project, cfn_lint):
    built = build(cli, make_project, BODY)
    assert cfn_lint(built.path) == []
    env = built.env("WorkerFunction")
    assert env["SPARTA_STACK_NAME"] == {"Ref": "AWS::StackName"}
    text = env["SPARTA_RESOURCES"]["Fn::Sub"]
    placeholders = set(re.findall(r"\$\{([^}]+)\}", text))
    assert placeholders == {
        "Orders", "Orders.Arn", "Orders.QueueName",
        "Failures", "Failures.Arn", "Failures.QueueName",
        "Table", "Table.Arn", "Table.StreamArn",
        "Secret",
    }
    entries = json.loads(text)
    assert entries["Orders"] == {"Type": "AWS::SQS::Queue", "Ref": "${Orders}",
                                 "Arn": "${Orders.Arn}", "QueueName": "${Orders.QueueName}"}
    assert entries["Secret"] == {"Type": "AWS::SSM::Parameter", "Ref": "${Secret}"}
    assert "Unused" not in entries
    # A function that depends on nothing gets no variable.
    assert "SPARTA_RESOURCES" not in built.env("LonerFunction")


def test_discover_reads_what_cloudformation_resolved(monkeypatch: pytest.MonkeyPatch):
    resolved = {"Orders": {"Type": "AWS::SQS::Queue", "Ref": "https://sqs/1/q",
                           "Arn": "arn:aws:sqs:us-east-1:1:q"}}
    monkeypatch.setenv("SPARTA_STACK_NAME", "svc")
    monkeypatch.setenv("SPARTA_SERVICE", "svc")
    monkeypatch.setenv("SPARTA_FUNCTION", "worker")
    monkeypatch.setenv("SPARTA_RESOURCES", json.dumps(resolved))
    assert discover() == {"stack_name": "svc", "service": "svc", "function": "worker",
                          "resources": resolved}
    assert resource("Orders")["Arn"] == "arn:aws:sqs:us-east-1:1:q"
    with pytest.raises(KeyError, match="'Table' is not among this function's resources"):
        resource("Table")


def test_discover_outside_a_deployment_is_empty():
    assert discover() == {"stack_name": None, "service": None, "function": None,
                          "resources": {}}


def test_resources_a_plugin_adds_later_are_discovered(cli, make_project, cfn_lint):
    """A function's environment may refer to what a plugin adds in
    sparta_decorate_service (returned or added) or sparta_decorate_function: discovery
    sees the finished template, not the marshaller's."""
    project = make_project({
        "service.py": """
            import sparta_core as sparta

            service = sparta.Service("later")

            @service.function(environment={
                "AUDIT": sparta.Ref("Audit"),
                "EVENTS": sparta.GetAtt("Events", "Arn"),
                "ALARMS": sparta.Ref("Alarms"),
            })
            def worker(event, context):
                return None
        """,
        "spartaconf.py": """
            def sparta_decorate_function(ctx, function, logical_id, template):
                template.add_resource("Alarms", "AWS::SNS::Topic")

            def sparta_decorate_service(ctx, template):
                template.add_resource("Events", "AWS::SQS::Queue")
                return {"Audit": {"Type": "AWS::SNS::Topic"}}
        """,
    })
    result = cli("build", project=project)
    variables = result.template["Resources"]["WorkerFunction"]["Properties"]["Environment"]["Variables"]
    entries = json.loads(variables["SPARTA_RESOURCES"]["Fn::Sub"])
    assert entries == {
        "Alarms": {"Type": "AWS::SNS::Topic", "Ref": "${Alarms}", "TopicName": "${Alarms.TopicName}"},
        "Audit": {"Type": "AWS::SNS::Topic", "Ref": "${Audit}", "TopicName": "${Audit.TopicName}"},
        "Events": {"Type": "AWS::SQS::Queue", "Ref": "${Events}", "Arn": "${Events.Arn}",
                   "QueueName": "${Events.QueueName}"},
    }
