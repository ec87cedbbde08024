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


OTHER_CALLERS = """
import sparta_core as sparta

service = sparta.Service("aliased")
service.resource("Uploads", "AWS::S3::Bucket")
service.resource("Audit", "AWS::Logs::LogGroup", {"LogGroupName": "/audit"})
service.resource("Repo", "AWS::CodeCommit::Repository", {"RepositoryName": "repo"})


@service.function(function_url={"auth": "NONE"},
                  events=[sparta.S3Event(sparta.Ref("Uploads"), events=["s3:ObjectCreated:*"]),
                          sparta.CloudWatchLogsSubscription(sparta.Ref("Audit")),
                          sparta.CodeCommitTrigger(sparta.Ref("Repo"))])
def take(event, context):
    return "ok"


@service.function(environment={"TAKE": sparta.Ref("TakeFunction")})
def caller(event, context):
    return "ok"
"""


def test_urls_notifications_subscriptions_triggers_and_discovery_use_the_target(
    cli, make_project
):
    project = make_project({"service.py": OTHER_CALLERS, "spartaconf.py": ALIAS})
    cli("build", project=project)
    resources = json.loads((project / ".sparta" / "aliased-template.json").read_text())[
        "Resources"]
    live = {"Ref": "TakeAliasLive"}
    by_type: dict[str, list[dict]] = {}
    for resource in resources.values():
        by_type.setdefault(resource["Type"], []).append(resource.get("Properties", {}))

    assert by_type["AWS::Lambda::Url"][0]["TargetFunctionArn"] == live
    notifications = resources["Uploads"]["Properties"]["NotificationConfiguration"]
    assert notifications["LambdaConfigurations"][0]["Function"] == live
    assert by_type["AWS::Logs::SubscriptionFilter"][0]["DestinationArn"] == live
    trigger = next(r["Properties"] for r in resources.values()
                   if r["Type"].startswith("Custom::") and "DestinationArn" in r["Properties"])
    assert trigger["DestinationArn"] == live
    permissions = by_type["AWS::Lambda::Permission"]
    take = {"Ref": "TakeFunction"}, {"Fn::GetAtt": ["TakeFunction", "Arn"]}
    # Every permission of the redirected function is on the target (the URL's two too).
    assert not [p for p in permissions if p["FunctionName"] in take]
    assert sum(p["FunctionName"] == live for p in permissions) == 5
    # A function that depends on the redirected one discovers the target as its Arn.
    variables = resources["CallerFunction"]["Properties"]["Environment"]["Variables"]
    found = json.loads(variables["SPARTA_RESOURCES"]["Fn::Sub"])["TakeFunction"]
    assert found["Arn"] == "${TakeAliasLive}"
    assert found["FunctionArn"] == "${TakeFunction.Arn}"
