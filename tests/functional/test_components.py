"""A component kind defined by a project (a plugin-style subclass of ``sparta.Component``)
goes through every stage like ``RestAPI`` and ``S3Site``: it validates, contributes
cfn-lint-clean resources it owns, its functions show in ``describe`` and discovery, its
runtime files ship in the archive, and each of its mistakes is one error line."""

from __future__ import annotations

import json
import zipfile
from typing import Any

import pytest
from tests.functional.sources_support import build, build_error

import sparta_core as sparta
from sparta_core.errors import ServiceDefinitionError

#: A project module defining a component kind: an SNS topic that invokes functions.
ALERTS = '''
from pathlib import Path

import sparta_core as sparta

HERE = Path(__file__).resolve().parent


class AlertTopic(sparta.Component):
    """An SNS topic; each function in ``notify`` is subscribed to it."""

    kind = "Topic"

    def __init__(self, name, *, notify, runtime=None):
        self.name = name
        self.notify = list(notify)
        self.runtime = runtime or {"alerts_runtime/format.py": HERE / "alerts_format.py"}

    def validate(self, service):
        if not self.notify:
            raise sparta.ServiceDefinitionError("notify must name at least one function")
        for key in self.notify:
            if key not in service.functions:
                raise sparta.ServiceDefinitionError(
                    f"notify: {key!r} is not a function of service '{service.name}'")

    def functions(self, service):
        return [service.functions[key] for key in self.notify]

    def contribute(self, wiring):
        topic = self.logical_id
        wiring.add_resource(topic, "AWS::SNS::Topic", {"DisplayName": self.name})
        for function in self.functions(wiring.service):
            wiring.add_resource(wiring.child_id(function.key, "Subscription"),
                                "AWS::SNS::Subscription", {
                "TopicArn": {"Ref": topic}, "Protocol": "lambda",
                "Endpoint": wiring.function_arn(function)})
            wiring.add_resource(wiring.child_id(function.key, "Permission"),
                                "AWS::Lambda::Permission", {
                "Action": "lambda:InvokeFunction", "Principal": "sns.amazonaws.com",
                "FunctionName": wiring.function_arn(function), "SourceArn": {"Ref": topic}})
            wiring.expose(function, topic)
        wiring.add_output(wiring.child_id("Arn"), {"Ref": topic}, description="alerts")

    def runtime_files(self):
        return self.runtime

    def describe(self):
        return f"AlertTopic {self.name}"
'''
FILES = {"alerts.py": ALERTS, "alerts_format.py": "def fmt(message):\n    return message\n"}

SERVICE = '''
from alerts import AlertTopic

@service.function()
def on_alert(event, context):
    return handle(event, context)

@service.function()
def quiet(event, context):
    return handle(event, context)

topic = service.add(AlertTopic("alerts", notify=["on_alert"]))
'''


def test_a_project_component_contributes_lint_clean_resources_it_owns(cli, make_project, cfn_lint):
    built = build(cli, make_project, SERVICE, FILES)
    assert cfn_lint(built.path) == []
    resources = built.resources
    assert resources["AlertsTopic"] == {"Type": "AWS::SNS::Topic",
                                        "Properties": {"DisplayName": "alerts"}}
    subscription = resources["AlertsTopicOnAlertSubscription"]["Properties"]
    assert subscription["Endpoint"] == {"Fn::GetAtt": ["OnAlertFunction", "Arn"]}
    permission = resources["AlertsTopicOnAlertPermission"]["Properties"]
    assert permission["SourceArn"] == {"Ref": "AlertsTopic"}
    assert built.template["Outputs"]["AlertsTopicArn"]["Value"] == {"Ref": "AlertsTopic"}
    assert "AlertsTopicQuietSubscription" not in resources


def test_its_functions_are_discovered_and_described(cli, make_project):
    built = build(cli, make_project, SERVICE, FILES)
    discovered = json.loads(built.env("OnAlertFunction")["SPARTA_RESOURCES"]["Fn::Sub"])
    assert discovered["AlertsTopic"]["Type"] == "AWS::SNS::Topic"
    assert "SPARTA_RESOURCES" not in built.env("QuietFunction")

    project = built.path.parents[1]
    cli("-q", "describe", project=project)
    page = (project / ".sparta" / "svc-describe.html").read_text()
    # The component is a source box with an edge to its function; the function's row
    # names it instead of "-" (the other function has no events at all).
    assert "<title>Topic|AlertTopic alerts</title>" in page
    assert "<td>on_alert</td>" in page
    on_alert_row = page[page.index("<td>on_alert</td>"):].split("</tr>")[0]
    assert on_alert_row.endswith("<td>AlertTopic</td>")
    quiet_row = page[page.index("<td>quiet</td>"):].split("</tr>")[0]
    assert quiet_row.endswith("<td>-</td>")


def test_its_runtime_files_ship_in_the_archive(cli, make_project):
    built = build(cli, make_project, SERVICE, FILES)
    names = zipfile.ZipFile(built.path.parent / "svc-code.zip").namelist()
    assert "alerts_runtime/format.py" in names and "alerts.py" in names


def test_a_runtime_file_taking_a_project_files_name_is_one_error_line(cli, make_project):
    body = SERVICE.replace('notify=["on_alert"]', 'notify=["on_alert"], '
                           'runtime={"alerts.py": __import__("pathlib").Path("alerts_format.py")}')
    line = build_error(cli, make_project, body, FILES)
    assert line.startswith("error: ")
    assert "archive entry 'alerts.py' from runtime file of AlertTopic 'alerts' collides " \
           "with the entry from project file alerts.py" in line, line


def test_a_logical_id_collision_is_one_error_line_naming_both(cli, make_project):
    body = SERVICE + '\nservice.resource("AlertsTopic", "AWS::SNS::Topic")\n'
    line = build_error(cli, make_project, body, FILES)
    assert line == ("error: logical ID 'AlertsTopic' is added by AlertTopic 'alerts' but "
                    "already belongs to service.resource('AlertsTopic')")


@pytest.mark.parametrize(("change", "message"), [
    ('notify=["on_alert"]', "notify=[]"),
    ('notify=["on_alert"]', 'notify=["nope"]'),
])
def test_a_failing_validate_is_one_error_line(cli, make_project, change, message):
    line = build_error(cli, make_project, SERVICE.replace(change, message), FILES)
    expected = {
        "notify=[]": "error: AlertTopic 'alerts': notify must name at least one function",
        'notify=["nope"]': "error: AlertTopic 'alerts': notify: 'nope' is not a function of "
                           "service 'svc'",
    }[message]
    assert line == expected


def test_two_components_with_one_name_or_prefix_are_one_error_line(cli, make_project):
    body = SERVICE + '\nservice.add(AlertTopic("alerts", notify=["quiet"]))\n'
    line = build_error(cli, make_project, body, FILES)
    assert "AlertTopic 'alerts' and AlertTopic 'alerts' share a name" in line, line
    # Another name that gives the same logical IDs is refused too.
    body = SERVICE + '\nservice.add(AlertTopic("alerts-", notify=["quiet"]))\n'
    line = build_error(cli, make_project, body, FILES)
    assert ("AlertTopic 'alerts-' and AlertTopic 'alerts' would share the logical-ID prefix "
            "'AlertsTopic'") in line, line


def test_service_add_takes_only_components() -> None:
    service = sparta.Service("svc")
    with pytest.raises(ServiceDefinitionError, match=r"service.add\(\) takes a sparta.Component"):
        service.add(object())  # type: ignore[type-var]
    api = service.add(sparta.RestAPI("shop"))
    with pytest.raises(ServiceDefinitionError, match="is added twice"):
        service.add(api)
    with pytest.raises(ServiceDefinitionError, match=r"api must be a sparta\.RestAPI"):
        sparta.Service("svc", api="shop")


class _Nameless(sparta.Component):
    def contribute(self, wiring: Any) -> None:
        pass


def test_a_component_without_a_name_is_refused() -> None:
    with pytest.raises(ServiceDefinitionError, match="_Nameless has no name"):
        sparta.Service("svc").add(_Nameless())
