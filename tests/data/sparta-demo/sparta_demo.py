"""A tiny third-party sparta plugin, installed by the tests as the distribution sparta-demo."""

import sparta_core as sparta

__version__ = "1.2.3"


@sparta.hookimpl
def sparta_decorate_service(ctx, template):
    template.add_resource("DemoTopic", "AWS::SNS::Topic", owner="sparta-demo")


@sparta.hookimpl
def sparta_addoption(parser):
    parser.add_option("demo-team", default="nobody", help="who owns the demo topic")
