"""Every event source kind, built through the real CLI into a template that cfn-lint
accepts, holding the resources and the scoped statements the kind needs."""

from __future__ import annotations

import json

import pytest
from tests.functional.sources_support import build, build_error

RESOURCES = '''
service.resource("Uploads", "AWS::S3::Bucket")
service.resource("Named", "AWS::S3::Bucket", {"BucketName": "svc-named-bucket"})
service.resource("Orders", "AWS::SQS::Queue")
service.resource("Fifo", "AWS::SQS::Queue", {"FifoQueue": True})
service.resource("Failures", "AWS::SQS::Queue")
service.resource("Alerts", "AWS::SNS::Topic")
service.resource("Bus", "AWS::Events::EventBus", {"Name": "svc-bus"})
service.resource("Table", "AWS::DynamoDB::Table", {
    "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
    "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
    "BillingMode": "PAY_PER_REQUEST",
    "StreamSpecification": {"StreamViewType": "NEW_IMAGE"},
})
service.resource("Plain", "AWS::DynamoDB::Table", {
    "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
    "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
    "BillingMode": "PAY_PER_REQUEST",
})
service.resource("Stream", "AWS::Kinesis::Stream", {"ShardCount": 1})
service.resource("AppLogs", "AWS::Logs::LogGroup", {"LogGroupName": "/svc/app"})
service.resource("RuleSet", "AWS::SES::ReceiptRuleSet")
service.resource("Repo", "AWS::CodeCommit::Repository", {"RepositoryName": "svc-repo"})
'''


def one(events: str, extra: str = "") -> str:
    """A service with the shared resources and one function ``fn`` with ``events``."""
    return RESOURCES + extra + f'''
@service.function(events=[{events}])
def fn(event, context):
    return handle(event, context)
'''


def no_star(statements: list[dict]) -> None:
    for statement in statements:
        if statement["Action"] == ["dynamodb:ListStreams"]:
            continue  # the one action that takes no resource but "*" (AWS's reference)
        assert statement["Resource"] != "*", statement
        # Allowed: a log group's streams (":*"), one table's streams ("/stream/*") and one
        # Kinesis stream's consumers ("/consumer/*").
        scoped = json.dumps(statement["Resource"]).replace(":*", "")
        scoped = scoped.replace("/stream/*", "").replace("/consumer/*", "")
        assert "*" not in scoped, statement


# -- pull sources ----------------------------------------------------------------------


def test_sqs_mapping_with_options_and_scoped_statement(cli, make_project, cfn_lint):
    built = build(cli, make_project, one(
        'sparta.SQSEvent(sparta.Ref("Orders"), batch_size=20, batching_window=5, '
        'report_batch_item_failures=True, maximum_concurrency=5, '
        'filters=[{"body": {"kind": ["order"]}}], enabled=False)'))
    assert cfn_lint(built.path) == []
    mapping = built.resources["FnFunctionSQS0Mapping"]
    assert mapping["Type"] == "AWS::Lambda::EventSourceMapping"
    assert mapping["Properties"] == {
        "EventSourceArn": {"Fn::GetAtt": ["Orders", "Arn"]},
        "FunctionName": {"Ref": "FnFunction"},
        "Enabled": False,
        "BatchSize": 20,
        "MaximumBatchingWindowInSeconds": 5,
        "FilterCriteria": {"Filters": [{"Pattern": '{"body": {"kind": ["order"]}}'}]},
        "FunctionResponseTypes": ["ReportBatchItemFailures"],
        "ScalingConfig": {"MaximumConcurrency": 5},
    }
    statements = built.statements("FnRole")
    assert statements[1] == {
        "Effect": "Allow",
        "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
        "Resource": {"Fn::GetAtt": ["Orders", "Arn"]},
    }
    no_star(statements)
    assert not built.of_type("AWS::Lambda::Permission")


@pytest.mark.parametrize(("queue", "arn"), [
    ('"orders"', {"Fn::Sub": "arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:orders"}),
    ('"arn:aws:sqs:us-east-1:123456789012:orders"', "arn:aws:sqs:us-east-1:123456789012:orders"),
    ('sparta.GetAtt("Orders", "Arn")', {"Fn::GetAtt": ["Orders", "Arn"]}),
])
def test_sqs_queue_by_name_arn_or_getatt(cli, make_project, cfn_lint, queue, arn):
    built = build(cli, make_project, one(f"sparta.SQSEvent({queue})"))
    assert cfn_lint(built.path) == []
    assert built.resources["FnFunctionSQS0Mapping"]["Properties"]["EventSourceArn"] == arn
    assert built.statements("FnRole")[1]["Resource"] == arn


def test_dynamodb_stream_from_table_ref(cli, make_project, cfn_lint):
    built = build(cli, make_project, one(
        'sparta.DynamoDBStream(sparta.Ref("Table"), starting_position="TRIM_HORIZON", '
        'batch_size=100, maximum_retry_attempts=3, maximum_record_age=3600, '
        'bisect_on_error=True, parallelization_factor=2, tumbling_window=60, '
        'on_failure=sparta.Ref("Failures"), batching_window=1)'))
    assert cfn_lint(built.path) == []
    properties = built.resources["FnFunctionDynamoDB0Mapping"]["Properties"]
    stream = {"Fn::GetAtt": ["Table", "StreamArn"]}
    assert properties["EventSourceArn"] == stream
    assert properties["StartingPosition"] == "TRIM_HORIZON"
    assert properties["MaximumRetryAttempts"] == 3
    assert properties["MaximumRecordAgeInSeconds"] == 3600
    assert properties["BisectBatchOnFunctionError"] is True
    assert properties["ParallelizationFactor"] == 2
    assert properties["TumblingWindowInSeconds"] == 60
    assert properties["DestinationConfig"] == {
        "OnFailure": {"Destination": {"Fn::GetAtt": ["Failures", "Arn"]}}
    }
    statements = built.statements("FnRole")
    assert {"Effect": "Allow", "Action": ["sqs:SendMessage"],
            "Resource": {"Fn::GetAtt": ["Failures", "Arn"]}} in statements
    # Scoped to the table's streams, as AWS's own policy for Lambda and DynamoDB Streams is.
    assert {"Effect": "Allow", "Action": [
        "dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"],
        "Resource": {"Fn::Sub": "${Table.Arn}/stream/*"}} in statements
    assert {"Effect": "Allow", "Action": ["dynamodb:ListStreams"], "Resource": "*"} in statements
    no_star(statements)


def test_kinesis_stream_by_name_and_at_timestamp(cli, make_project, cfn_lint):
    built = build(cli, make_project, one(
        'sparta.KinesisStream(sparta.Ref("Stream"), batch_size=500), '
        'sparta.KinesisStream("clicks", starting_position="AT_TIMESTAMP", '
        'starting_position_timestamp=1700000000, on_failure=sparta.Ref("Alerts"))'))
    assert cfn_lint(built.path) == []
    first = built.resources["FnFunctionKinesis0Mapping"]["Properties"]
    second = built.resources["FnFunctionKinesis1Mapping"]["Properties"]
    assert first["EventSourceArn"] == {"Fn::GetAtt": ["Stream", "Arn"]}
    assert first["StartingPosition"] == "LATEST"
    named = {"Fn::Sub": "arn:${AWS::Partition}:kinesis:${AWS::Region}:${AWS::AccountId}"
                        ":stream/clicks"}
    assert second["EventSourceArn"] == named
    assert second["StartingPositionTimestamp"] == 1700000000
    assert second["DestinationConfig"]["OnFailure"]["Destination"] == {"Ref": "Alerts"}
    statements = built.statements("FnRole")
    resources = [s["Resource"] for s in statements if "kinesis:GetRecords" in s["Action"]]
    assert resources == [{"Fn::GetAtt": ["Stream", "Arn"]}, named]
    assert {"Effect": "Allow", "Action": ["sns:Publish"], "Resource": {"Ref": "Alerts"}} in (
        statements)
    no_star(statements)


# -- push sources ----------------------------------------------------------------------


def test_sns_subscription_and_permission(cli, make_project, cfn_lint):
    built = build(cli, make_project, one(
        'sparta.SNSEvent(sparta.Ref("Alerts"), filter_policy={"level": ["high"]}, '
        'filter_policy_scope="MessageAttributes"), sparta.SNSEvent("other-topic")'))
    assert cfn_lint(built.path) == []
    subscription = built.resources["FnFunctionSNS0Subscription"]["Properties"]
    assert subscription == {
        "Protocol": "lambda",
        "Endpoint": {"Fn::GetAtt": ["FnFunction", "Arn"]},
        "TopicArn": {"Ref": "Alerts"},
        "FilterPolicy": {"level": ["high"]},
        "FilterPolicyScope": "MessageAttributes",
    }
    permission = built.resources["FnFunctionSNS0Permission"]["Properties"]
    assert permission == {
        "Action": "lambda:InvokeFunction",
        "FunctionName": {"Fn::GetAtt": ["FnFunction", "Arn"]},
        "Principal": "sns.amazonaws.com",
        "SourceArn": {"Ref": "Alerts"},
    }
    other = built.resources["FnFunctionSNS1Permission"]["Properties"]["SourceArn"]
    assert other == {"Fn::Sub": "arn:${AWS::Partition}:sns:${AWS::Region}:${AWS::AccountId}"
                                ":other-topic"}
    # Push sources add no statements to the function's role: only its logs.
    assert len(built.statements("FnRole")) == 1


def test_s3_event_on_owned_bucket_avoids_the_cycle(cli, make_project, cfn_lint):
    built = build(cli, make_project, one(
        'sparta.S3Event(sparta.Ref("Uploads"), events=["s3:ObjectCreated:*"], prefix="in/", '
        'suffix=".jpg"), sparta.S3Event(sparta.GetAtt("Named", "Arn"), '
        'events="s3:ObjectRemoved:*")'))
    assert cfn_lint(built.path) == []
    bucket = built.resources["Uploads"]
    # No name was given: sparta names it so the permission can name it without a Ref.
    name = "svc-uploads-${AWS::AccountId}-${AWS::Region}"
    assert bucket["Properties"]["BucketName"] == {"Fn::Sub": name}
    assert bucket["DependsOn"] == ["FnFunctionS30Permission"]
    assert bucket["Properties"]["NotificationConfiguration"] == {"LambdaConfigurations": [{
        "Event": "s3:ObjectCreated:*",
        "Function": {"Fn::GetAtt": ["FnFunction", "Arn"]},
        "Filter": {"S3Key": {"Rules": [{"Name": "prefix", "Value": "in/"},
                                       {"Name": "suffix", "Value": ".jpg"}]}},
    }]}
    permission = built.resources["FnFunctionS30Permission"]["Properties"]
    assert permission["Principal"] == "s3.amazonaws.com"
    assert permission["SourceArn"] == {"Fn::Sub": f"arn:${{AWS::Partition}}:s3:::{name}"}
    assert permission["SourceAccount"] == {"Ref": "AWS::AccountId"}
    assert "Uploads" not in json.dumps(permission)
    named = built.resources["FnFunctionS31Permission"]["Properties"]["SourceArn"]
    assert named == {"Fn::Sub": "arn:${AWS::Partition}:s3:::svc-named-bucket"}
    assert built.resources["Named"]["Properties"]["BucketName"] == "svc-named-bucket"
    # Discovery names the bucket without referring to it (that would close the cycle).
    discovered = built.env("FnFunction")["SPARTA_RESOURCES"]["Fn::Sub"]
    assert "${Uploads}" not in discovered and name in discovered


def test_s3_event_on_existing_bucket_uses_the_custom_resource(cli, make_project, cfn_lint):
    built = build(cli, make_project, one(
        'sparta.S3Event("photos-bucket", suffix=".png"), '
        'sparta.S3Event("arn:aws:s3:::photos-bucket", prefix="raw/")'))
    assert cfn_lint(built.path) == []
    first = built.resources["FnFunctionS30Notification"]
    second = built.resources["FnFunctionS31Notification"]
    assert first["Type"] == "Custom::SpartaS3BucketNotification"
    assert first["Properties"]["Bucket"] == "photos-bucket"
    assert first["Properties"]["ServiceToken"] == {
        "Fn::GetAtt": ["SpartaS3BucketNotificationProvider", "Arn"]}
    assert first["Properties"]["Suffix"] == ".png"
    assert first["DependsOn"] == ["FnFunctionS30Permission"]
    # Two resources on one bucket would race on its configuration: they are chained.
    assert second["DependsOn"] == ["FnFunctionS31Permission", "FnFunctionS30Notification"]
    permission = built.resources["FnFunctionS30Permission"]["Properties"]
    assert permission["Principal"] == "s3.amazonaws.com"
    assert permission["SourceAccount"] == {"Ref": "AWS::AccountId"}
    bucket_arn = {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":s3:::",
                                    "photos-bucket"]]}
    assert permission["SourceArn"] == bucket_arn
    # One provider for the type, whose role may touch that bucket's notifications only.
    providers = [k for k, v in built.of_type("AWS::Lambda::Function").items()
                 if v["Properties"]["Handler"].startswith("sparta_runtime.")]
    assert providers == ["SpartaS3BucketNotificationProvider"]
    statements = built.statements("SpartaS3BucketNotificationProviderRole")
    assert statements[1:] == [{
        "Effect": "Allow",
        "Action": ["s3:GetBucketNotification", "s3:PutBucketNotification"],
        "Resource": bucket_arn,
    }]
    provider = built.resources["SpartaS3BucketNotificationProvider"]["Properties"]
    assert provider["Handler"] == "sparta_runtime.s3_notification.handler"
    assert provider["Code"] == built.resources["FnFunction"]["Properties"]["Code"]


def test_schedule_rule_and_permission(cli, make_project, cfn_lint):
    built = build(cli, make_project, one(
        'sparta.Schedule("rate(5 minutes)", input={"job": "tick"}, retry_attempts=2), '
        'sparta.Schedule("cron(0 12 * * ? *)", enabled=False, description="noon")'))
    assert cfn_lint(built.path) == []
    rule = built.resources["FnFunctionSchedule0Rule"]["Properties"]
    assert rule == {
        "ScheduleExpression": "rate(5 minutes)",
        "State": "ENABLED",
        "Targets": [{"Arn": {"Fn::GetAtt": ["FnFunction", "Arn"]}, "Id": "FnFunction",
                     "Input": '{"job": "tick"}', "RetryPolicy": {"MaximumRetryAttempts": 2}}],
    }
    noon = built.resources["FnFunctionSchedule1Rule"]["Properties"]
    assert noon["State"] == "DISABLED" and noon["Description"] == "noon"
    permission = built.resources["FnFunctionSchedule0Permission"]["Properties"]
    assert permission["Principal"] == "events.amazonaws.com"
    assert permission["SourceArn"] == {"Fn::GetAtt": ["FnFunctionSchedule0Rule", "Arn"]}


def test_eventbridge_rule_on_custom_bus(cli, make_project, cfn_lint):
    built = build(cli, make_project, one(
        'sparta.EventBridgeRule({"source": ["svc.orders"]}, bus=sparta.Ref("Bus"), '
        'input_path="$.detail"), '
        'sparta.EventBridgeRule(\'{"source": ["aws.s3"]}\', input_transformer={'
        '"InputPathsMap": {"b": "$.detail.bucket"}, "InputTemplate": "<b>"})'))
    assert cfn_lint(built.path) == []
    rule = built.resources["FnFunctionEventBridge0Rule"]["Properties"]
    assert rule["EventPattern"] == {"source": ["svc.orders"]}
    assert rule["EventBusName"] == {"Ref": "Bus"}
    assert rule["Targets"][0]["InputPath"] == "$.detail"
    default_bus = built.resources["FnFunctionEventBridge1Rule"]["Properties"]
    assert "EventBusName" not in default_bus
    assert default_bus["EventPattern"] == {"source": ["aws.s3"]}
    assert default_bus["Targets"][0]["InputTransformer"]["InputPathsMap"] == {
        "b": "$.detail.bucket"}
    permission = built.resources["FnFunctionEventBridge0Permission"]["Properties"]
    assert permission["Principal"] == "events.amazonaws.com"
    assert permission["SourceArn"] == {"Fn::GetAtt": ["FnFunctionEventBridge0Rule", "Arn"]}


def test_cloudwatch_logs_subscription(cli, make_project, cfn_lint):
    built = build(cli, make_project, one(
        'sparta.CloudWatchLogsSubscription(sparta.Ref("AppLogs"), filter_pattern="ERROR"), '
        'sparta.CloudWatchLogsSubscription("/other/app")'))
    assert cfn_lint(built.path) == []
    subscription = built.resources["FnFunctionLogs0SubscriptionFilter"]
    assert subscription["Properties"] == {
        "LogGroupName": {"Ref": "AppLogs"},
        "FilterPattern": "ERROR",
        "DestinationArn": {"Fn::GetAtt": ["FnFunction", "Arn"]},
    }
    assert subscription["DependsOn"] == ["FnFunctionLogs0Permission"]
    permission = built.resources["FnFunctionLogs0Permission"]["Properties"]
    assert permission["Principal"] == "logs.amazonaws.com"
    assert permission["SourceArn"] == {"Fn::GetAtt": ["AppLogs", "Arn"]}
    assert permission["SourceAccount"] == {"Ref": "AWS::AccountId"}
    other = built.resources["FnFunctionLogs1Permission"]["Properties"]["SourceArn"]
    assert other == {"Fn::Sub": "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}"
                                ":log-group:/other/app:*"}


def test_ses_receipt_rule(cli, make_project, cfn_lint):
    built = build(cli, make_project, one(
        'sparta.SESRule(["inbox@example.com"], rule_set=sparta.Ref("RuleSet"), '
        'tls_policy="Require", scan_enabled=True)'))
    assert cfn_lint(built.path) == []
    rule = built.resources["FnFunctionSES0ReceiptRule"]
    assert rule["DependsOn"] == ["FnFunctionSES0Permission"]
    assert rule["Properties"] == {
        "RuleSetName": {"Ref": "RuleSet"},
        "Rule": {
            "Name": "svc-fn-0",
            "Enabled": True,
            "Actions": [{"LambdaAction": {"FunctionArn": {"Fn::GetAtt": ["FnFunction", "Arn"]},
                                          "InvocationType": "Event"}}],
            "Recipients": ["inbox@example.com"],
            "ScanEnabled": True,
            "TlsPolicy": "Require",
        },
    }
    permission = built.resources["FnFunctionSES0Permission"]["Properties"]
    assert permission["Principal"] == "ses.amazonaws.com"
    assert permission["SourceAccount"] == {"Ref": "AWS::AccountId"}
    assert permission["SourceArn"] == {"Fn::Sub": [
        "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:receipt-rule-set/"
        "${RuleSet}:receipt-rule/svc-fn-0", {"RuleSet": {"Ref": "RuleSet"}}]}


def test_codecommit_trigger_custom_resource(cli, make_project, cfn_lint):
    built = build(cli, make_project, one(
        'sparta.CodeCommitTrigger(sparta.Ref("Repo"), branches=["main"], '
        'events=["updateReference"], custom_data="ci"), '
        'sparta.CodeCommitTrigger("legacy-repo")'))
    assert cfn_lint(built.path) == []
    trigger = built.resources["FnFunctionCodeCommit0Trigger"]
    assert trigger["Type"] == "Custom::SpartaCodeCommitTrigger"
    assert trigger["Properties"]["Repository"] == {"Fn::GetAtt": ["Repo", "Name"]}
    assert trigger["Properties"]["Branches"] == ["main"]
    assert trigger["Properties"]["Events"] == ["updateReference"]
    assert trigger["Properties"]["CustomData"] == "ci"
    assert trigger["DependsOn"] == ["FnFunctionCodeCommit0Permission"]
    permission = built.resources["FnFunctionCodeCommit0Permission"]["Properties"]
    assert permission["Principal"] == "codecommit.amazonaws.com"
    assert permission["SourceAccount"] == {"Ref": "AWS::AccountId"}
    assert permission["SourceArn"]["Fn::Join"][1][-1] == {"Fn::GetAtt": ["Repo", "Name"]}
    statements = built.statements("SpartaCodeCommitTriggerProviderRole")
    repos = [s["Resource"]["Fn::Join"][1][-1] for s in statements[1:]]
    assert repos == [{"Fn::GetAtt": ["Repo", "Name"]}, "legacy-repo"]
    for statement in statements[1:]:
        assert statement["Action"] == ["codecommit:GetRepositoryTriggers",
                                       "codecommit:PutRepositoryTriggers"]


def test_every_kind_in_one_service(cli, make_project, cfn_lint):
    """The issue's "done when": one function per kind, the targets in the same stack."""
    kinds = {
        "s3": 'sparta.S3Event(sparta.Ref("Uploads"))',
        "sns": 'sparta.SNSEvent(sparta.Ref("Alerts"))',
        "sqs": 'sparta.SQSEvent(sparta.Ref("Orders"))',
        "schedule": 'sparta.Schedule("rate(1 hour)")',
        "bridge": 'sparta.EventBridgeRule({"source": ["svc"]}, bus=sparta.Ref("Bus"))',
        "ddb": 'sparta.DynamoDBStream(sparta.Ref("Table"))',
        "kinesis": 'sparta.KinesisStream(sparta.Ref("Stream"))',
        "logs": 'sparta.CloudWatchLogsSubscription(sparta.Ref("AppLogs"))',
        "ses": 'sparta.SESRule(rule_set=sparta.Ref("RuleSet"))',
        "codecommit": 'sparta.CodeCommitTrigger(sparta.Ref("Repo"))',
    }
    body = RESOURCES + "".join(
        f"\n@service.function(events=[{source}])\ndef {name}(event, context):\n"
        "    return handle(event, context)\n"
        for name, source in kinds.items()
    )
    built = build(cli, make_project, body)
    assert cfn_lint(built.path) == []
    permissions = built.of_type("AWS::Lambda::Permission")
    principals = {
        v["Properties"]["FunctionName"]["Fn::GetAtt"][0]: v["Properties"]["Principal"]
        for v in permissions.values()
    }
    assert principals == {
        "S3Function": "s3.amazonaws.com", "SnsFunction": "sns.amazonaws.com",
        "ScheduleFunction": "events.amazonaws.com", "BridgeFunction": "events.amazonaws.com",
        "LogsFunction": "logs.amazonaws.com", "SesFunction": "ses.amazonaws.com",
        "CodecommitFunction": "codecommit.amazonaws.com",
    }
    for permission in permissions.values():
        assert permission["Properties"]["SourceArn"]
    mappings = built.of_type("AWS::Lambda::EventSourceMapping")
    assert sorted(m["Properties"]["FunctionName"]["Ref"] for m in mappings.values()) == [
        "DdbFunction", "KinesisFunction", "SqsFunction"]
    # Logs, the source's actions, and for streams the action that takes another resource
    # (ListStreams "*", SubscribeToShard the stream's consumers).
    for role, count in (("DdbRole", 3), ("KinesisRole", 3), ("SqsRole", 2)):
        statements = built.statements(role)
        assert len(statements) == count
        no_star(statements)


# -- errors --------------------------------------------------------------------------


@pytest.mark.parametrize(("source", "message"), [
    ('sparta.SQSEvent("q", batch_size=0)', "SQSEvent(queue='q'): batch_size must be an integer "
                                            "from 1 to 10000, got 0"),
    ('sparta.SQSEvent("q", batch_size=50)', "batch_size over 10 needs batching_window"),
    ('sparta.SQSEvent("https://sqs.us-east-1.amazonaws.com/1/q")', "not its URL"),
    ('sparta.SQSEvent(42)', "queue must be an ARN or name string"),
    ('sparta.SQSEvent("q", filters=[{}])', "must be a non-empty event pattern"),
    ('sparta.DynamoDBStream("my-table")', "must be a DynamoDB stream ARN"),
    ('sparta.KinesisStream("s", starting_position="EARLIEST")',
     "starting_position must be one of TRIM_HORIZON, LATEST, AT_TIMESTAMP"),
    ('sparta.KinesisStream("s", starting_position="AT_TIMESTAMP")',
     "starting_position_timestamp goes with"),
    ('sparta.DynamoDBStream(sparta.Ref("Table"), maximum_retry_attempts=20000)',
     "maximum_retry_attempts must be an integer from 0 to 10000 or -1"),
    ('sparta.Schedule("every 5 minutes")', "must be 'rate(N minutes|hours|days)' or 'cron(...)'"),
    ('sparta.Schedule("rate(1 minutes)")', "write '1 minute'"),
    ('sparta.Schedule("cron(0 12 * * *)")', "cron takes 6 fields"),
    ('sparta.Schedule("rate(5 minutes)", input="{not json")', "input must be JSON"),
    ('sparta.Schedule("rate(5 minutes)", input={"a": 1}, input_path="$.x")',
     "give one of input, input_path and input_transformer"),
    ('sparta.EventBridgeRule({})', "pattern must be a non-empty event pattern"),
    ('sparta.S3Event("Not_A_Bucket")', "is not a valid S3 bucket name or ARN"),
    ('sparta.S3Event("b-u-c-k-e-t", events=["s3:ObjectCreated"])', "is not an S3 event type"),
    ('sparta.SNSEvent("t", filter_policy_scope="Body")', "filter_policy_scope must be one of"),
    ('sparta.SESRule(["a@example.com"])', "rule_set is required"),
    ('sparta.CodeCommitTrigger("repo", events=["all", "createReference"])',
     "'all' cannot be combined"),
    ('sparta.CodeCommitTrigger("repo", events=["push"])', "'push' is not one of"),
])
def test_invalid_parameters_fail_at_definition_naming_function_and_source(
    cli, make_project, source, message
):
    line = build_error(cli, make_project, one(source))
    assert line.startswith("error: ") and "service.py:" in line
    assert "function 'fn': " in line
    assert message in line


@pytest.mark.parametrize(("source", "message"), [
    ('sparta.SQSEvent(sparta.Ref("Table"))',
     "queue refers to 'Table', an AWS::DynamoDB::Table, not an AWS::SQS::Queue"),
    ('sparta.SQSEvent(sparta.Ref("Fifo"), batch_size=20, batching_window=1)',
     "queue 'Fifo' is FIFO: batch_size is at most 10"),
    ('sparta.DynamoDBStream(sparta.Ref("Plain"))', "table 'Plain' has no StreamSpecification"),
    ('sparta.S3Event(sparta.Ref("Orders"))', "not an AWS::S3::Bucket"),
    ('sparta.CloudWatchLogsSubscription(sparta.Ref("FnLogGroup"))',
     "the function's own log group"),
    ('sparta.DynamoDBStream(sparta.Ref("Table"), on_failure="arn:aws:lambda:us-east-1:'
     '123456789012:function:x")', "on_failure must be an SQS queue or SNS topic ARN"),
    ('sparta.S3Event(sparta.Ref("Uploads")), sparta.S3Event(sparta.Ref("Uploads"), '
     'prefix="a/")', "S3 refuses overlapping notifications"),
])
def test_invalid_targets_fail_at_build_with_one_line(cli, make_project, source, message):
    """Each names the function and the source kind before what is wrong with it."""
    line = build_error(cli, make_project, one(source))
    kind = source.split("(")[0].removeprefix("sparta.")
    assert line.startswith(f"error: function 'fn': {kind}"), line
    assert message in line


def test_plugin_kind_by_subclassing(cli, make_project, cfn_lint):
    """Core lists no kinds: a subclass defined in the project works like a built-in."""
    extra = '''
class Topicless(sparta.EventSource):
    kind = "Iot"

    def contribute(self, wiring, index):
        rule = wiring.child_id(self.kind, str(index), "Rule")
        wiring.template.add_resource(rule, "AWS::IoT::TopicRule", {"TopicRulePayload": {
            "Sql": "SELECT * FROM 'things'",
            "Actions": [{"Lambda": {"FunctionArn": wiring.function_arn}}],
        }})
        wiring.template.add_resource(
            wiring.child_id(self.kind, str(index), "Permission"), "AWS::Lambda::Permission",
            {"Action": "lambda:InvokeFunction", "FunctionName": wiring.function_arn,
             "Principal": "iot.amazonaws.com", "SourceArn": {"Fn::GetAtt": [rule, "Arn"]}})
'''
    built = build(cli, make_project, one("Topicless()", extra))
    assert cfn_lint(built.path) == []
    assert built.resources["FnFunctionIot0Rule"]["Type"] == "AWS::IoT::TopicRule"


def test_a_dependency_cycle_is_named_before_anything_is_deployed(cli, make_project):
    body = RESOURCES + '''
@service.function(environment={"BUCKET": sparta.Ref("Uploads")},
                  events=[sparta.S3Event(sparta.Ref("Uploads"))])
def fn(event, context):
    return handle(event, context)
'''
    line = build_error(cli, make_project, body)
    assert line == (
        "error: resources depend on each other in a cycle: FnFunction -> Uploads -> "
        "FnFunction (a bucket that notifies a function must not "
        "be referred to by that function's role or environment: name it with BucketName and "
        "use the name)"
    )


def test_events_example_builds_lint_clean(cli, tmp_path, cfn_lint):
    import shutil

    from tests.conftest import EXAMPLES

    project = tmp_path / "events"
    shutil.copytree(EXAMPLES / "events", project, ignore=shutil.ignore_patterns(".sparta"))
    cli("build", project=project)
    path = project / ".sparta" / "orders-template.json"
    assert cfn_lint(path) == []
    resources = json.loads(path.read_text())["Resources"]
    mappings = [r for r in resources.values() if r["Type"] == "AWS::Lambda::EventSourceMapping"]
    assert len(mappings) == 3
    for mapping in mappings:
        role = mapping["Properties"]["FunctionName"]["Ref"].removesuffix("Function") + "Role"
        statements = resources[role]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
        source = mapping["Properties"]["EventSourceArn"]
        if source.get("Fn::GetAtt", [None, None])[1] == "StreamArn":  # a table's streams
            source = {"Fn::Sub": f"${{{source['Fn::GetAtt'][0]}.Arn}}/stream/*"}
        assert source in [s["Resource"] for s in statements]
        no_star(statements)
    permissions = {r["Properties"]["Principal"] for r in resources.values()
                   if r["Type"] == "AWS::Lambda::Permission"}
    assert permissions == {"s3.amazonaws.com", "sns.amazonaws.com", "logs.amazonaws.com",
                           "events.amazonaws.com"}


