"""The custom resource framework through real builds: types registered by plugins,
one provider per type with the union of scoped statements, and the errors."""

from __future__ import annotations

from tests.functional.sources_support import build, build_error

PLUGIN = '''
import sparta_core as sparta
from sparta_core.stages.marshall.custom_resources import CustomResourceType, add_custom_resource


def _statements(properties):
    return [{"Effect": "Allow", "Action": ["ssm:PutParameter", "ssm:DeleteParameter"],
             "Resource": {"Fn::Sub": "arn:${AWS::Partition}:ssm:${AWS::Region}:"
                                     "${AWS::AccountId}:parameter" + properties["Path"]}}]


@sparta.hookimpl
def sparta_custom_resource_types(register):
    register.add(CustomResourceType(name="AcmeParameter", handler="acme_cr.handler",
                                    statements=_statements, timeout=30))


@sparta.hookimpl
def sparta_decorate_service(ctx, template):
    for index, path in enumerate(["/acme/a", "/acme/b", "/acme/a"]):
        add_custom_resource(ctx, template, "AcmeParameter", f"Param{index}",
                            {"Path": path, "Value": "v"}, owner="spartaconf")
'''

HANDLER = '''
from sparta_runtime.custom_resource import Outcome, handle


def handler(event, context):
    return handle(event, context, create=lambda request: Outcome(request.properties["Path"]))
'''

FUNCTION = '''
@service.function()
def fn(event, context):
    return handle(event, context)
'''


def test_a_plugin_registers_a_type_and_gets_one_scoped_provider(cli, make_project, cfn_lint):
    built = build(cli, make_project, FUNCTION,
                  files={"spartaconf.py": PLUGIN, "acme_cr.py": HANDLER})
    assert cfn_lint(built.path) == []
    params = built.of_type("Custom::AcmeParameter")
    assert sorted(params) == ["Param0", "Param1", "Param2"]
    for resource in params.values():
        assert resource["Properties"]["ServiceToken"] == {
            "Fn::GetAtt": ["AcmeParameterProvider", "Arn"]}
        assert resource["Properties"]["ServiceTimeout"] == 90
    providers = {k for k, v in built.of_type("AWS::Lambda::Function").items()
                 if k != "FnFunction"}
    assert providers == {"AcmeParameterProvider"}
    provider = built.resources["AcmeParameterProvider"]["Properties"]
    assert provider["Handler"] == "acme_cr.handler"
    assert provider["Timeout"] == 30
    assert provider["FunctionName"] == "svc-AcmeParameter"
    statements = built.statements("AcmeParameterProviderRole")
    # Logs for its own group, then one statement per distinct parameter path.
    assert statements[0]["Resource"] == {"Fn::Sub": (
        "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:"
        "/aws/lambda/svc-AcmeParameter:*")}
    paths = [s["Resource"]["Fn::Sub"].rsplit("parameter", 1)[1] for s in statements[1:]]
    assert paths == ["/acme/a", "/acme/b"]


def test_registering_a_taken_name_names_both_plugins(cli, make_project):
    plugin = '''
import sparta_core as sparta
from sparta_core.stages.marshall.custom_resources import CustomResourceType

@sparta.hookimpl
def sparta_custom_resource_types(register):
    register.add(CustomResourceType(name="SpartaS3BucketNotification", handler="x.handler"))
'''
    body = '''
@service.function(events=[sparta.S3Event("existing-bucket")])
def fn(event, context):
    return handle(event, context)
'''
    line = build_error(cli, make_project, body, files={"spartaconf.py": plugin})
    assert line == (
        "error: custom resource type 'SpartaS3BucketNotification' is registered by plugin "
        "'spartaconf' but already by plugin 'custom-resources'"
    )


def test_an_unregistered_type_is_an_error(cli, make_project):
    plugin = '''
import sparta_core as sparta
from sparta_core.stages.marshall.custom_resources import add_custom_resource

@sparta.hookimpl
def sparta_decorate_service(ctx, template):
    add_custom_resource(ctx, template, "Nope", "Thing", {}, owner="spartaconf")
'''
    line = build_error(cli, make_project, FUNCTION, files={"spartaconf.py": plugin})
    assert line == (
        "error: stage 'decorate' (plugin 'spartaconf'): no plugin registers the custom "
        "resource type 'Nope' (registered: "
        "SpartaCodeCommitTrigger, SpartaS3BucketNotification, SpartaS3Site)"
    )


def test_blocking_the_builtin_types_explains_what_is_missing(cli, make_project):
    body = '''
@service.function(events=[sparta.CodeCommitTrigger("repo")])
def fn(event, context):
    return handle(event, context)
'''
    line = build_error(cli, make_project, body, args=("-p", "no:custom-resources"))
    # Every built-in type (the site's too) comes from that plugin.
    assert line == (
        "error: function 'fn': CodeCommitTrigger: no plugin registers the custom resource "
        "type 'SpartaCodeCommitTrigger' (registered: none)"
    )


def test_bad_type_definitions_are_refused(cli, make_project):
    plugin = '''
import sparta_core as sparta
from sparta_core.stages.marshall.custom_resources import CustomResourceType

@sparta.hookimpl
def sparta_custom_resource_types(register):
    register.add(CustomResourceType(name="Bad Name", handler="x.handler"))
'''
    body = '''
@service.function(events=[sparta.CodeCommitTrigger("repo")])
def fn(event, context):
    return handle(event, context)
'''
    line = build_error(cli, make_project, body, files={"spartaconf.py": plugin})
    assert line.startswith(
        "error: stage 'marshall' (plugin 'spartaconf'): custom resource type name 'Bad Name' "
        "must be"
    )


def test_decorator_colliding_with_an_event_source_resource_is_an_error(cli, make_project):
    body = '''
service.resource("Orders", "AWS::SQS::Queue")

def add_mapping(logical_id, template):
    return {"FnFunctionSQS0Mapping": {"Type": "AWS::SQS::Queue"}}

@service.function(events=[sparta.SQSEvent(sparta.Ref("Orders"))], decorators=[add_mapping])
def fn(event, context):
    return handle(event, context)
'''
    line = build_error(cli, make_project, body)
    assert line == (
        "error: logical ID 'FnFunctionSQS0Mapping' is added by decorator add_mapping of "
        "function 'fn' but already belongs to SQSEvent(queue=Ref('Orders')) of function 'fn'"
    )


def test_decorators_and_hooks_add_sources_resources(cli, make_project, cfn_lint):
    """A decorator may change an event source's resources; a hook may add more."""
    plugin = '''
import sparta_core as sparta

@sparta.hookimpl
def sparta_decorate_function(function, logical_id, template):
    return {function.key.title() + "Dlq": {"Type": "AWS::SQS::Queue"}}
'''
    body = '''
service.resource("Orders", "AWS::SQS::Queue")

def tune(logical_id, template):
    mapping = template.resources[logical_id + "SQS0Mapping"]
    mapping["Properties"]["BatchSize"] = 7

@service.function(events=[sparta.SQSEvent(sparta.Ref("Orders"))], decorators=[tune])
def fn(event, context):
    return handle(event, context)
'''
    built = build(cli, make_project, body, files={"spartaconf.py": plugin})
    assert cfn_lint(built.path) == []
    assert built.resources["FnFunctionSQS0Mapping"]["Properties"]["BatchSize"] == 7
    assert built.resources["FnDlq"]["Type"] == "AWS::SQS::Queue"
