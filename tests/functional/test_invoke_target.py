"""`sparta_invoke_target`: a plugin redirects every caller of a function (event source
mappings, push sources' permissions and targets, API routes) to another target, once,
for everyone — here to an alias, as a safe-deploy plugin does."""

from __future__ import annotations

import json

SERVICE = """
import sparta_core as sparta

service = sparta.Service("aliased")
service.resource("Orders", "AWS::SQS::Queue")
service.resource("Alerts", "AWS::SNS::Topic")
api = service.add(sparta.RestAPI("shop", stage="v1"))


@service.function(events=[sparta.SQSEvent(sparta.Ref("Orders")),
                          sparta.SNSEvent(sparta.Ref("Alerts")),
                          sparta.Schedule("rate(5 minutes)")])
def take(event, context):
    return "ok"


@service.function()
def plain(event, context):
    return "ok"


api.route("/orders", methods=["POST"], function=take)
api.route("/plain", methods=["GET"], function=plain)
"""

ALIAS = """
def sparta_invoke_target(ctx, function, logical_id):
    if function.key == "take":
        return {"Ref": "TakeAliasLive"}


def sparta_decorate_function(function, logical_id, template):
    if function.key == "take":
        template.add_resource("TakeVersion", "AWS::Lambda::Version",
                              {"FunctionName": {"Ref": logical_id}}, owner="alias")
        template.add_resource("TakeAliasLive", "AWS::Lambda::Alias", {
            "FunctionName": {"Ref": logical_id}, "Name": "live",
            "FunctionVersion": {"Fn::GetAtt": ["TakeVersion", "Version"]},
        }, owner="alias")
"""


def test_every_caller_of_a_redirected_function_uses_the_target(cli, make_project):
    project = make_project({"service.py": SERVICE, "spartaconf.py": ALIAS})
    cli("build", project=project)
    resources = json.loads((project / ".sparta" / "aliased-template.json").read_text())[
        "Resources"]
    live = {"Ref": "TakeAliasLive"}

    mapping = resources["TakeFunctionSQS0Mapping"]["Properties"]
    assert mapping["FunctionName"] == live
    subscription = next(r["Properties"] for r in resources.values()
                        if r["Type"] == "AWS::SNS::Subscription")
    assert subscription["Endpoint"] == live
    rule = next(r["Properties"] for r in resources.values() if r["Type"] == "AWS::Events::Rule")
    assert rule["Targets"][0]["Arn"] == live
    permissions = [r["Properties"] for r in resources.values()
                   if r["Type"] == "AWS::Lambda::Permission"]
    take_permissions = [p for p in permissions if p["FunctionName"] == live]
    assert {p["Principal"] for p in take_permissions} == {
        "sns.amazonaws.com", "events.amazonaws.com", "apigateway.amazonaws.com"}
    # Nothing invokes the function itself any more...
    assert not [p for p in permissions
                if p["FunctionName"] in ({"Fn::GetAtt": ["TakeFunction", "Arn"]},
                                         {"Ref": "TakeFunction"})]
    methods = {r["Properties"]["HttpMethod"]: r["Properties"]["Integration"]["Uri"]
               for r in resources.values() if r["Type"] == "AWS::ApiGateway::Method"}
    assert methods["POST"]["Fn::Sub"][1] == {"Target": live}
    assert methods["POST"]["Fn::Sub"][0].endswith("functions/${Target}/invocations")
    # ... while a function no plugin redirects keeps its own ARN.
    assert methods["GET"] == {"Fn::Sub": (
        "arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/"
        "${PlainFunction.Arn}/invocations")}
