"""Safe by default (issue 14): a service module that exits, log retention, runtimes, the
IAM of stream sources. Through the CLI, on real projects; templates pass cfn-lint."""

from __future__ import annotations

import json
import textwrap

import pytest
from tests.conftest import Cli


def only_error(output: str) -> str:
    lines = output.strip().splitlines()
    errors = [line for line in lines if line.startswith("error:")]
    assert errors == [lines[-1]], output
    assert "Traceback" not in output
    return lines[-1]


@pytest.mark.parametrize("call", ["sys.exit(0)", "sys.exit()", "sys.exit(3)",
                                  "raise SystemExit('bye')"])
def test_a_service_module_that_exits_on_import_fails_naming_the_file(
    cli: Cli, make_project, call: str
) -> None:
    project = make_project({
        "service.py": f"import sys\nimport sparta_core as sparta\n{call}\n"
                      "service = sparta.Service('svc')\n",
    })
    result = cli("build", project=project, ok=False)
    assert result.exit_code == 1
    line = only_error(result.output)
    assert line.startswith(f"error: {project / 'service.py'}:3: importing service module "
                           "'service' raised SystemExit(")
    assert not (project / ".sparta" / "svc-template.json").exists()


def service(body: str, settings: str = "", **files: str) -> dict[str, str]:
    return {
        "service.py": "import sparta_core as sparta\n" + textwrap.dedent(body),
        "pyproject.toml": "[tool.sparta]\n" + settings,
        **files,
    }


def build_template(cli: Cli, make_project, files: dict[str, str]) -> dict:
    project = make_project(files)
    cli("build", project=project)
    (path,) = (project / ".sparta").glob("*-template.json")
    return json.loads(path.read_text())


def retention(template: dict) -> dict[str, int | None]:
    return {
        logical_id: resource["Properties"].get("RetentionInDays")
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == "AWS::Logs::LogGroup"
    }


def test_log_groups_expire_after_30_days_by_default(cli: Cli, make_project) -> None:
    template = build_template(cli, make_project, service("""
        service = sparta.Service("logs")

        @service.function()
        def plain(event, context):
            return 1

        @service.function(log_retention_days=7)
        def chatty(event, context):
            return 1

        @service.function(log_retention_days=None)
        def audited(event, context):
            return 1
        """))
    assert retention(template) == {"PlainLogGroup": 30, "ChattyLogGroup": 7,
                                   "AuditedLogGroup": None}


def test_the_setting_sets_the_default_and_the_option_wins(cli: Cli, make_project) -> None:
    template = build_template(cli, make_project, service("""
        service = sparta.Service("logs")

        @service.function()
        def plain(event, context):
            return 1

        @service.function(log_retention_days=3)
        def chatty(event, context):
            return 1
        """, settings="log-retention-days = 365\n"))
    assert retention(template) == {"PlainLogGroup": 365, "ChattyLogGroup": 3}


def test_the_setting_never_keeps_logs_forever(cli: Cli, make_project) -> None:
    template = build_template(cli, make_project, service("""
        service = sparta.Service("logs")

        @service.function()
        def plain(event, context):
            return 1
        """, settings='log-retention-days = "never"\n'))
    assert retention(template) == {"PlainLogGroup": None}


def test_custom_resource_providers_log_groups_expire_too(cli: Cli, make_project) -> None:
    # An S3Event on a bucket the stack does not own needs sparta's notification provider.
    template = build_template(cli, make_project, service("""
        service = sparta.Service("logs")

        @service.function(events=[sparta.S3Event(bucket="their-bucket",
                                                 events=["s3:ObjectCreated:*"])])
        def plain(event, context):
            return 1
        """, settings="log-retention-days = 14\n"))
    values = retention(template)
    assert len(values) >= 2 and set(values.values()) == {14}


@pytest.mark.parametrize(("value", "shown"), [("0", "0"), ("31", "31"), ("True", "True"),
                                               ("'30'", "'30'")])
def test_a_retention_cloudwatch_does_not_offer_is_one_error_line(
    cli: Cli, make_project, value: str, shown: str
) -> None:
    project = make_project(service(f"""
        service = sparta.Service("logs")

        @service.function(log_retention_days={value})
        def plain(event, context):
            return 1
        """))
    line = only_error(cli("build", project=project, ok=False).output)
    assert line.endswith(
        f"function 'plain': log_retention_days must be one of CloudWatch Logs' retention "
        f"periods (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, "
        f"1827, 2192, 2557, 2922, 3288, 3653) or None to keep logs forever, got {shown}"
    ), line


@pytest.mark.parametrize("value", ["31", '"forever"', "true"])
def test_a_bad_retention_setting_is_one_error_line(cli: Cli, make_project, value: str) -> None:
    project = make_project(service("""
        service = sparta.Service("logs")

        @service.function()
        def plain(event, context):
            return 1
        """, settings=f"log-retention-days = {value}\n"))
    line = only_error(cli("build", project=project, ok=False).output)
    assert "log-retention-days" in line and "3653" in line and '"never"' in line, line


def test_python314_builds(cli: Cli, make_project) -> None:
    template = build_template(cli, make_project, service("""
        service = sparta.Service("newest", runtime="python3.14")

        @service.function()
        def plain(event, context):
            return 1
        """))
    assert template["Resources"]["PlainFunction"]["Properties"]["Runtime"] == "python3.14"


def test_a_deprecated_runtime_warns_naming_the_date_and_its_successor(
    cli: Cli, make_project
) -> None:
    project = make_project(service("""
        service = sparta.Service("older", runtime="python3.10")

        @service.function()
        def plain(event, context):
            return 1
        """))
    result = cli("build", project=project)
    warnings = [line for line in result.output.splitlines() if line.startswith("warning:")]
    assert warnings == [
        "warning: service 'older': AWS deprecated the python3.10 runtime on 2026-10-31; "
        "move to python3.11 or later (runtime=\"python3.11\")"
    ]


def statements(template: dict, role: str) -> list[dict]:
    return template["Resources"][role]["Properties"]["Policies"][0]["PolicyDocument"][
        "Statement"
    ]


def test_dynamodb_list_streams_has_its_own_statement_on_any_resource(
    cli: Cli, make_project
) -> None:
    template = build_template(cli, make_project, service("""
        service = sparta.Service("streams")
        service.resource("Table", "AWS::DynamoDB::Table", {
            "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
            "BillingMode": "PAY_PER_REQUEST",
            "StreamSpecification": {"StreamViewType": "NEW_IMAGE"},
        })

        @service.function(events=[sparta.DynamoDBStream(stream=sparta.Ref("Table"))])
        def owned(event, context):
            return 1

        @service.function(events=[sparta.DynamoDBStream(
            stream="arn:aws:dynamodb:us-east-1:123456789012:table/T/stream/2026-01-01T00:00:00.000")])
        def theirs(event, context):
            return 1
        """))
    for role, streams in (
        ("OwnedRole", {"Fn::Sub": "${Table.Arn}/stream/*"}),
        ("TheirsRole", "arn:aws:dynamodb:us-east-1:123456789012:table/T/stream/*"),
    ):
        found = statements(template, role)[1:]
        assert found == [
            {"Effect": "Allow", "Resource": streams,
             "Action": ["dynamodb:DescribeStream", "dynamodb:GetRecords",
                        "dynamodb:GetShardIterator"]},
            {"Effect": "Allow", "Action": ["dynamodb:ListStreams"], "Resource": "*"},
        ]


def test_kinesis_subscribe_to_shard_is_granted_on_the_streams_consumers(
    cli: Cli, make_project
) -> None:
    template = build_template(cli, make_project, service("""
        service = sparta.Service("streams")
        service.resource("Stream", "AWS::Kinesis::Stream", {"ShardCount": 1})

        @service.function(events=[sparta.KinesisStream(stream=sparta.Ref("Stream"))])
        def owned(event, context):
            return 1

        @service.function(events=[sparta.KinesisStream(stream="clicks")])
        def theirs(event, context):
            return 1
        """))
    owned = statements(template, "OwnedRole")[1:]
    assert owned == [
        {"Effect": "Allow", "Resource": {"Fn::GetAtt": ["Stream", "Arn"]},
         "Action": ["kinesis:DescribeStream", "kinesis:DescribeStreamSummary",
                    "kinesis:GetRecords", "kinesis:GetShardIterator", "kinesis:ListShards"]},
        {"Effect": "Allow", "Action": ["kinesis:SubscribeToShard"],
         "Resource": {"Fn::Sub": "${Stream.Arn}/consumer/*"}},
    ]
    theirs = statements(template, "TheirsRole")[2]
    assert theirs["Action"] == ["kinesis:SubscribeToShard"]
    assert theirs["Resource"] == {"Fn::Sub": "arn:${AWS::Partition}:kinesis:${AWS::Region}:"
                                             "${AWS::AccountId}:stream/clicks/consumer/*"}
