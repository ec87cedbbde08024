"""A tiny third-party sparta plugin, installed by the tests as the distribution sparta-demo:
a hook, a setting and an event-source kind (DemoEvent) that services use."""

import sparta_core as sparta

__version__ = "1.2.3"


@sparta.hookimpl
def sparta_decorate_service(ctx, template):
    template.add_resource("DemoTopic", "AWS::SNS::Topic", owner="sparta-demo")


@sparta.hookimpl
def sparta_addoption(parser):
    parser.add_option("demo-team", default="nobody", help="who owns the demo topic")


class DemoEvent(sparta.EventSource):
    """An event-source kind from a plugin: a daily EventBridge schedule."""

    kind = "Demo"

    def contribute(self, wiring, index):
        rule = wiring.child_id("Demo", str(index))
        wiring.template.add_resource(rule, "AWS::Events::Rule", {
            "ScheduleExpression": "rate(1 day)",
            "Targets": [{"Arn": wiring.function_arn, "Id": "demo"}],
        })
        wiring.template.add_resource(wiring.child_id("Demo", str(index), "Permission"),
                                     "AWS::Lambda::Permission", {
            "Action": "lambda:InvokeFunction",
            "FunctionName": {"Ref": wiring.logical_id},
            "Principal": "events.amazonaws.com",
            "SourceArn": {"Fn::GetAtt": [rule, "Arn"]},
        })
