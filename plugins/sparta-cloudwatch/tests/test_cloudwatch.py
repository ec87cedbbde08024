"""sparta-cloudwatch: the alarms and the dashboard, in the template (linted by the kit)
and on the local endpoint."""

from __future__ import annotations

import json

import boto3
import pytest

SERVICE = """
import sparta_core as sparta
from sparta_cloudwatch import Alarms, Dashboard

service = sparta.Service("watched")
service.resource("Ops", "AWS::SNS::Topic")


@service.function(decorators=[Alarms(errors=2, throttles=0, duration_p99_ms=500,
                                     notify=sparta.Ref("Ops"))])
def take(event, context):
    return "ok"


@service.function()
def plain(event, context):
    return "ok"


service.add(Dashboard("ops"))
"""


def pyproject(extra: str = "") -> str:
    return f'[tool.sparta]\nservice = "service:service"\n{extra}\n'


def alarms_of(template: dict) -> dict[str, dict]:
    return {logical_id: resource["Properties"]
            for logical_id, resource in template["Resources"].items()
            if resource["Type"] == "AWS::CloudWatch::Alarm"}


def test_a_decorator_and_the_setting_give_one_alarm_per_metric_per_function(
    sparta_project, sparta_run
):
    project = sparta_project({
        "service.py": SERVICE,
        "pyproject.toml": pyproject('alarms = {errors = 3, notify = "Ops"}'),
    })
    result = sparta_run("build", cwd=project)
    assert result.exit_code == 0, result.output
    alarms = alarms_of(result.template)
    assert sorted(alarms) == ["PlainFunctionErrorsAlarm", "PlainFunctionThrottlesAlarm",
                              "TakeFunctionDurationP99Alarm", "TakeFunctionErrorsAlarm"]
    errors = alarms["TakeFunctionErrorsAlarm"]
    assert errors == {
        "AlarmName": "watched-take-errors",
        "AlarmDescription": "Errors of function take over 60 s: at least 2",
        "Namespace": "AWS/Lambda", "MetricName": "Errors",
        "Dimensions": [{"Name": "FunctionName", "Value": {"Ref": "TakeFunction"}}],
        "Statistic": "Sum", "Period": 60, "EvaluationPeriods": 1, "Threshold": 2,
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
        "TreatMissingData": "notBreaching",
        "AlarmActions": [{"Ref": "Ops"}], "OKActions": [{"Ref": "Ops"}],
    }
    duration = alarms["TakeFunctionDurationP99Alarm"]
    assert duration["ExtendedStatistic"] == "p99" and "Statistic" not in duration
    assert (duration["MetricName"], duration["Threshold"]) == ("Duration", 500)
    # The setting applies to the function without an Alarms of its own: defaults for
    # what it does not name, and a topic named by logical ID.
    assert alarms["PlainFunctionErrorsAlarm"]["Threshold"] == 3
    assert alarms["PlainFunctionThrottlesAlarm"]["Threshold"] == 1
    assert alarms["PlainFunctionThrottlesAlarm"]["AlarmActions"] == [{"Ref": "Ops"}]


def test_without_the_setting_only_decorated_functions_have_alarms(sparta_project, sparta_run):
    project = sparta_project({"service.py": SERVICE})
    result = sparta_run("build", cwd=project)
    assert result.exit_code == 0, result.output
    assert all(name.startswith("Take") for name in alarms_of(result.template))


def test_the_dashboard_has_a_row_per_function_and_its_url_as_an_output(
    sparta_project, sparta_run
):
    project = sparta_project({"service.py": SERVICE})
    template = sparta_run("build", cwd=project).template
    dashboard = template["Resources"]["OpsDashboard"]
    assert dashboard["Type"] == "AWS::CloudWatch::Dashboard"
    assert dashboard["Properties"]["DashboardName"] == "watched-ops"
    body = json.loads(dashboard["Properties"]["DashboardBody"]["Fn::Sub"])
    titles = [w["properties"]["markdown"] for w in body["widgets"] if w["type"] == "text"]
    assert titles == ["### take", "### plain"]
    graphs = [w["properties"] for w in body["widgets"] if w["type"] == "metric"]
    assert [g["title"] for g in graphs[:4]] == [
        "take: Invocations", "take: Errors", "take: Duration p50/p99", "take: Throttles"]
    assert graphs[2]["metrics"] == [
        ["AWS/Lambda", "Duration", "FunctionName", "${TakeFunction}",
         {"stat": "p50", "label": "Duration p50"}],
        ["AWS/Lambda", "Duration", "FunctionName", "${TakeFunction}",
         {"stat": "p99", "label": "Duration p99"}],
    ]
    assert {g["region"] for g in graphs} == {"${AWS::Region}"}
    assert template["Outputs"]["OpsDashboardUrl"]["Value"] == {"Fn::Sub": (
        "https://${AWS::Region}.console.aws.amazon.com/cloudwatch/home?region=${AWS::Region}"
        "#dashboards:name=${OpsDashboard}")}


@pytest.mark.parametrize(("decorator", "message"), [
    ("Alarms(errors=-1)", "Alarms: errors must be a whole number of at least 1"),
    ("Alarms(throttles=1.5)", "Alarms: throttles must be a whole number"),
    ("Alarms(duration_p99_ms='fast')", "Alarms: duration_p99_ms must be a positive number"),
    ("Alarms(notify=42)", "Alarms: notify must be an SNS topic"),
    ("Alarms(notify='Nowhere')", "'Nowhere' is neither an SNS topic ARN"),
])
def test_a_bad_alarm_is_one_error_line(sparta_project, sparta_run, decorator, message):
    service = SERVICE.replace(
        "Alarms(errors=2, throttles=0, duration_p99_ms=500,\n"
        "                                     notify=sparta.Ref(\"Ops\"))", decorator)
    result = sparta_run("build", cwd=sparta_project({"service.py": service}), lint=False)
    assert result.exit_code != 0
    assert message in result.error_line(), result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(("setting", "message"), [
    ("alarms = {error = 1}", "setting 'alarms': unknown key 'error' (known: errors,"),
    ('alarms = {errors = "many"}', "setting 'alarms': errors must be a whole number"),
    ("alarms = {duration-p99-ms = -5}", "setting 'alarms': duration_p99_ms must be a positive"),
])
def test_a_bad_setting_is_one_error_line(sparta_project, sparta_run, setting, message):
    project = sparta_project({"service.py": SERVICE, "pyproject.toml": pyproject(setting)})
    result = sparta_run("build", cwd=project, lint=False)
    assert result.exit_code != 0
    assert message in result.error_line(), result.output


def test_alarms_and_dashboard_exist_on_the_local_endpoint(
    sparta_project, sparta_run, aws_endpoint
):
    boto3.client("s3").create_bucket(Bucket="artifacts")
    project = sparta_project({
        "service.py": SERVICE,
        "pyproject.toml": pyproject('s3-bucket = "artifacts"\nalarms = {errors = 3}'),
    })
    result = sparta_run("provision", "--yes", cwd=project)
    assert result.exit_code == 0, result.output

    cloudwatch = boto3.client("cloudwatch")
    found = {a["AlarmName"]: a for a in cloudwatch.describe_alarms()["MetricAlarms"]}
    assert set(found) == {"watched-take-errors", "watched-take-durationp99",
                          "watched-plain-errors", "watched-plain-throttles"}
    errors = found["watched-take-errors"]
    assert errors["Namespace"] == "AWS/Lambda" and errors["Threshold"] == 2
    assert errors["Dimensions"] == [{"Name": "FunctionName", "Value": "watched-take"}]
    assert errors["TreatMissingData"] == "notBreaching"
    assert errors["AlarmActions"][0].startswith("arn:aws:sns:")
    assert found["watched-plain-errors"]["Threshold"] == 3
    assert found["watched-take-durationp99"]["ExtendedStatistic"] == "p99"

    body = json.loads(cloudwatch.get_dashboard(DashboardName="watched-ops")["DashboardBody"])
    rows = [w["properties"]["markdown"] for w in body["widgets"] if w["type"] == "text"]
    assert rows == ["### take", "### plain"]
    names = {w["properties"]["metrics"][0][3] for w in body["widgets"] if w["type"] == "metric"}
    assert names == {"watched-take", "watched-plain"}
    assert {w["properties"]["region"] for w in body["widgets"] if w["type"] == "metric"} == {
        "us-east-1"}
