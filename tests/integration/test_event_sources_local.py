"""Event sources on the local endpoint (MiniStack on a loopback port), through real boto3:
a service with one function per kind provisions, and what is sent to its queue, bucket,
topic, bus, table, stream, log group (and its schedule) reaches the function."""

from __future__ import annotations

import json
import shutil
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aws_helpers import configure, stack

pytestmark = pytest.mark.integration

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
EXISTING_BUCKET = "kinds-existing-bucket"

SERVICE = '''
import sparta_core as sparta

service = sparta.Service("kinds", description="one function per event source kind")
service.resource("Seen", "AWS::DynamoDB::Table", {
    "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
    "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
    "BillingMode": "PAY_PER_REQUEST"})
service.resource("Uploads", "AWS::S3::Bucket")
service.resource("Queue", "AWS::SQS::Queue")
service.resource("Topic", "AWS::SNS::Topic")
service.resource("Bus", "AWS::Events::EventBus", {"Name": "kinds-bus"})
service.resource("Table", "AWS::DynamoDB::Table", {
    "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
    "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
    "BillingMode": "PAY_PER_REQUEST",
    "StreamSpecification": {"StreamViewType": "NEW_IMAGE"}})
service.resource("Stream", "AWS::Kinesis::Stream", {"ShardCount": 1})
service.resource("AppLogs", "AWS::Logs::LogGroup", {"LogGroupName": "/kinds/app"})

SOURCES = {
    "s3_owned": sparta.S3Event(sparta.Ref("Uploads"), suffix=".txt"),
    "s3_existing": sparta.S3Event("EXISTING", prefix="in/"),
    "sqs": sparta.SQSEvent(sparta.Ref("Queue"), batch_size=1),
    "sns": sparta.SNSEvent(sparta.Ref("Topic")),
    "schedule": sparta.Schedule("rate(1 minute)", input={"tick": 1}),
    "bridge": sparta.EventBridgeRule({"source": ["kinds"]}, bus=sparta.Ref("Bus")),
    "ddb": sparta.DynamoDBStream(sparta.Ref("Table"), starting_position="TRIM_HORIZON",
                                 batch_size=1),
    "kinesis": sparta.KinesisStream(sparta.Ref("Stream"), starting_position="TRIM_HORIZON",
                                    batch_size=1),
    "logs": sparta.CloudWatchLogsSubscription(sparta.Ref("AppLogs"), filter_pattern="ERROR"),
}
for kind, source in SOURCES.items():
    service.add_function(
        handler="kinds_app.record", name=kind, events=[source],
        environment={"KIND": kind},
        role=sparta.IAMRoleDefinition(privileges=[sparta.Privilege(
            actions=["dynamodb:PutItem"], resources=[sparta.GetAtt("Seen", "Arn")])]),
    )
'''.replace("EXISTING", EXISTING_BUCKET)

HANDLER = '''
import json
import os


def record(event, context):
    """Write what arrived to the Seen table, found through discovery."""
    import boto3
    import sparta_runtime

    table = sparta_runtime.resource("Seen")["Ref"]
    kind = os.environ["KIND"]
    boto3.client("dynamodb").put_item(TableName=table, Item={
        "id": {"S": f"{kind}:{context.aws_request_id}"}, "kind": {"S": kind},
        "event": {"S": json.dumps(event, default=str)[:4000]}})
    return {"kind": kind}
'''

KINDS = ["bridge", "ddb", "kinesis", "logs", "s3_existing", "s3_owned", "schedule", "sns", "sqs"]


def physical_ids(aws: Callable[[str], Any], name: str) -> dict[str, str]:
    found = aws("cloudformation").describe_stack_resources(StackName=name)["StackResources"]
    return {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in found}


def seen(aws: Callable[[str], Any], table: str) -> dict[str, list[Any]]:
    items = aws("dynamodb").scan(TableName=table)["Items"]
    result: dict[str, list[Any]] = {}
    for item in items:
        result.setdefault(item["kind"]["S"], []).append(json.loads(item["event"]["S"]))
    return result


def wait_for(check: Callable[[], bool], seconds: float) -> None:
    """Poll ``check`` until it holds; delivery on the endpoint is asynchronous."""
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            return
        time.sleep(0.5)


@pytest.fixture
def kinds_project(make_project, bucket: str, aws: Callable[[str], Any]) -> Path:
    aws("s3").create_bucket(Bucket=EXISTING_BUCKET)
    project = make_project({
        "pyproject.toml": '[project]\nname = "kinds"\nversion = "0"\n[tool.sparta]\n'
                          'service = "service:service"\n',
        "service.py": SERVICE,
        "kinds_app.py": HANDLER,
    })
    return configure(project, **{"s3-bucket": bucket})


def test_one_function_per_kind_provisions_and_events_reach_them(
    cli, kinds_project: Path, aws, cfn_lint
):
    result = cli("provision", "--yes", project=kinds_project)
    assert "kinds: CREATE_COMPLETE" in result.stdout
    assert cfn_lint(kinds_project / ".sparta" / "kinds-template.json") == []
    ids = physical_ids(aws, "kinds")
    lam = aws("lambda")

    # Push sources: a permission for that one principal and source on the endpoint.
    for kind, principal in [("sns", "sns.amazonaws.com"), ("bridge", "events.amazonaws.com"),
                            ("schedule", "events.amazonaws.com"), ("logs", "logs.amazonaws.com"),
                            ("s3_owned", "s3.amazonaws.com"),
                            ("s3_existing", "s3.amazonaws.com")]:
        policy = json.loads(lam.get_policy(FunctionName=kind)["Policy"])
        statement, = policy["Statement"]
        assert statement["Principal"] == {"Service": principal}
        assert statement["Condition"]["ArnLike"]["AWS:SourceArn"].startswith("arn:aws:")
    # Pull sources: a mapping from that one queue or stream.
    for kind, source in [("sqs", "Queue"), ("kinesis", "Stream")]:
        mapping, = lam.list_event_source_mappings(FunctionName=kind)["EventSourceMappings"]
        assert mapping["EventSourceArn"].split(":")[2] in ("sqs", "kinesis")
        assert mapping["EventSourceArn"].endswith(ids[source].rsplit("/", 1)[-1])
    # The custom resource's provider added the notification to the existing bucket.
    existing = aws("s3").get_bucket_notification_configuration(Bucket=EXISTING_BUCKET)
    configuration, = existing["LambdaFunctionConfigurations"]
    assert configuration["LambdaFunctionArn"].endswith(":function:s3_existing")
    assert configuration["Id"] == "kinds-S3ExistingFunctionS30"
    # Discovery resolved to physical names.
    variables = lam.get_function_configuration(FunctionName="sqs")["Environment"]["Variables"]
    resources = json.loads(variables["SPARTA_RESOURCES"])
    assert resources["Seen"]["Ref"] == ids["Seen"]
    assert resources["Queue"]["Ref"] == ids["Queue"]
    assert resources["Queue"]["Arn"].startswith("arn:aws:sqs:")

    # Now send one event to each source.
    aws("s3").put_object(Bucket=ids["Uploads"], Key="a.txt", Body=b"owned")
    aws("s3").put_object(Bucket=ids["Uploads"], Key="a.bin", Body=b"filtered out")
    aws("s3").put_object(Bucket=EXISTING_BUCKET, Key="in/b.txt", Body=b"existing")
    aws("sqs").send_message(QueueUrl=ids["Queue"], MessageBody='{"order": 1}')
    aws("sns").publish(TopicArn=ids["Topic"], Message="alert")
    aws("events").put_events(Entries=[{"Source": "kinds", "DetailType": "t",
                                       "Detail": '{"n": 1}', "EventBusName": "kinds-bus"}])
    aws("dynamodb").put_item(TableName=ids["Table"], Item={"pk": {"S": "1"}})
    aws("kinesis").put_record(StreamName=ids["Stream"], Data=b'{"k": 1}', PartitionKey="p")
    logs = aws("logs")
    logs.create_log_stream(logGroupName="/kinds/app", logStreamName="s")
    logs.put_log_events(logGroupName="/kinds/app", logStreamName="s", logEvents=[
        {"timestamp": int(time.time() * 1000), "message": "ERROR disk full"}])

    # A rate(1 minute) schedule first fires a minute after the rule was created.
    # Generous: MiniStack delivers asynchronously, and slowly on a loaded machine.
    wait_for(lambda: sorted(seen(aws, ids["Seen"])) == KINDS, 300)
    events = seen(aws, ids["Seen"])
    assert sorted(events) == KINDS
    assert [r["s3"]["object"]["key"] for e in events["s3_owned"] for r in e["Records"]] == [
        "a.txt"]
    assert events["s3_existing"][0]["Records"][0]["s3"]["object"]["key"] == "in/b.txt"
    assert events["sqs"][0]["Records"][0]["body"] == '{"order": 1}'
    assert events["sns"][0]["Records"][0]["Sns"]["Message"] == "alert"
    assert events["bridge"][0]["detail"] == {"n": 1}
    assert events["ddb"][0]["Records"][0]["dynamodb"]["Keys"] == {"pk": {"S": "1"}}
    assert events["kinesis"][0]["Records"][0]["kinesis"]["partitionKey"] == "p"
    assert "awslogs" in events["logs"][0]
    assert events["schedule"][0] == {"tick": 1}

    # Deleting the stack takes the notification off the bucket it does not own.
    cli("delete", "--yes", project=kinds_project)
    assert stack(aws, "kinds") is None
    after = aws("s3").get_bucket_notification_configuration(Bucket=EXISTING_BUCKET)
    assert "LambdaFunctionConfigurations" not in after


def test_events_example_provisions_and_takes_orders(cli, tmp_path, bucket, aws):
    project = tmp_path / "events"
    shutil.copytree(EXAMPLES / "events", project, ignore=shutil.ignore_patterns(".sparta"))
    configure(project, **{"s3-bucket": bucket})
    assert "orders: CREATE_COMPLETE" in cli("provision", "--yes", project=project).stdout
    ids = physical_ids(aws, "orders")

    aws("sqs").send_message(QueueUrl=ids["Orders"], MessageBody='{"id": "42"}')
    aws("s3").put_object(Bucket=ids["Receipts"], Key="r/7.json", Body=b'{"id": "7"}')

    table = ids["OrdersTable"]

    def orders() -> dict[str, str]:
        items = aws("dynamodb").scan(TableName=table)["Items"]
        return {item["id"]["S"]: item["source"]["S"] for item in items}

    wait_for(lambda: len(orders()) == 2, 30)
    assert orders() == {"42": "queue", "7": f"s3://{ids['Receipts']}/r/7.json"}


def test_a_failing_custom_resource_fails_the_stack_with_its_reason(cli, make_project, bucket):
    """The endpoint has no CodeCommit: the trigger's provider answers FAILED, and the
    reason it gave is the one line the user sees."""
    project = make_project({
        "pyproject.toml": '[project]\nname = "cc"\nversion = "0"\n[tool.sparta]\n'
                          'service = "service:service"\n',
        "service.py": textwrap.dedent('''
            import sparta_core as sparta

            service = sparta.Service("cc")

            @service.function(events=[sparta.CodeCommitTrigger("some-repo")])
            def on_push(event, context):
                return event
        '''),
    })
    configure(project, **{"s3-bucket": bucket})
    result = cli("provision", "--yes", project=project, ok=False)
    assert result.exit_code != 0
    error = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(error) == 1
    assert "resource OnPushFunctionCodeCommit0Trigger (Custom::SpartaCodeCommitTrigger): " \
        "ClientError: " in error[0]
    assert "GetRepositoryTriggers operation" in error[0]  # the provider's own reason
