"""Every malformed declaration of issue 14 is refused where it is written, with one
message that names the bad field; the well-formed neighbours of each still pass."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import sparta_core as sparta
from sparta_core.errors import ServiceDefinitionError
from sparta_core.model.cfn_types import check_resource_type, suggest_type
from sparta_core.model.iam_checks import check_condition_operator
from sparta_core.model.sources.rules import check_schedule_expression


def privilege(**options: Any) -> Callable[[], object]:
    options.setdefault("actions", ["s3:GetObject"])
    options.setdefault("resources", ["*"])
    return lambda: sparta.Privilege(**options)


def function(**options: Any) -> Callable[[], object]:
    return lambda: sparta.Service("svc").add_function(handler="mod.fn", **options)


BAD = [
    # privileges
    (privilege(resources=None), "names no resources"),
    (privilege(resources=[None]), "names no resources"),
    (privilege(resources=[""]), "resource '' is not an ARN"),
    (privilege(resources=[1]), "resource 1 must be an ARN string"),
    (privilege(resources=["not-an-arn"]), "resource 'not-an-arn' is not an ARN"),
    (privilege(resources=[{"Fn::Bogus": "x"}]), "Fn::Bogus is not a CloudFormation intrinsic"),
    (privilege(actions=[":"]), "action ':' is not of the form 'service:Action'"),
    (privilege(actions=["s3:*:*"]), "action 's3:\\*:\\*' is not of the form"),
    (privilege(actions=["s3*:Get"]), "wildcard may stand only in the action part"),
    (privilege(actions=[None]), "action None is not of the form"),
    (privilege(actions=None), "actions must be a list"),
    (privilege(condition={"StringEqualz": {"aws:SourceAccount": "1"}}),
     "'StringEqualz' is not an IAM condition operator \\(did you mean 'StringEquals'\\?\\)"),
    (privilege(condition={"ForAnyValue:StringLik": {"k": ["v"]}}),
     "did you mean 'ForAnyValue:StringLike'"),
    (privilege(condition="x"), "condition must be a mapping"),
    (privilege(condition={"StringEquals": "x"}), "must map condition keys to values"),
    (privilege(condition={"Bool": {"aws:SecureTransport": None}}), "is None"),
    (lambda: sparta.IAMRoleDefinition(managed_policy_arns=["ReadOnlyAccess"]),
     "managed policy 'ReadOnlyAccess' is not a policy ARN"),
    (lambda: sparta.IAMRoleDefinition(managed_policy_arns=[None]),
     "managed policy None must be a policy ARN"),
    (lambda: sparta.IAMRoleDefinition(managed_policy_arns="arn:aws:iam::aws:role/x"),
     "is not a policy ARN"),
    (lambda: sparta.IAMRoleDefinition(privileges=None), "privileges must be a list"),
    # references
    (lambda: sparta.Ref(None), "Ref\\(\\) needs the logical ID .* got None"),
    (lambda: sparta.Ref(5), "Ref\\(\\) needs the logical ID .* got 5"),
    (lambda: sparta.Ref(""), "Ref\\(\\) needs the logical ID"),
    (lambda: sparta.Ref("AWS::Bogus"), "'AWS::Bogus' is not a CloudFormation pseudo parameter"),
    (lambda: sparta.Ref("AWS::Regoin"), "did you mean 'AWS::Region'"),
    (lambda: sparta.GetAtt("Queue", None), "needs an attribute name"),
    (lambda: sparta.GetAtt(None, "Arn"), "GetAtt\\(\\) needs the logical ID"),
    (lambda: sparta.GetAtt("AWS::Region", "Arn"), "pseudo parameter, which has no attributes"),
    (lambda: sparta.Sub("${"), "opens '\\$\\{' at character 0 and never closes it"),
    (lambda: sparta.Sub("arn:${AWS::Partition:s3:::x"), "never closes it"),
    (lambda: sparta.Sub("a-${}"), "holds an empty"),
    (lambda: sparta.Sub("${AWS::Bogus}"), "'AWS::Bogus' is not a CloudFormation pseudo"),
    (lambda: sparta.Sub(None), "Sub\\(\\) needs a string"),
    (lambda: sparta.Sub("${x}", variables="x"), "variables must be a mapping"),
    (lambda: sparta.Service("svc").output("Out", None), "output 'Out': value is None"),
    (lambda: sparta.Service("svc").output("Out", object()),
     "output 'Out': value: object .* is not a CloudFormation value"),
    (lambda: sparta.Service("svc").output("Out", {"Fn::Bogus": "x"}),
     "output 'Out': value: Fn::Bogus is not a CloudFormation intrinsic function"),
    (lambda: sparta.Service("svc").output("Out", [float("nan")]), "not a number JSON can hold"),
    (lambda: sparta.Service("svc").output("Out", {"Ref": 5}), "Ref needs the logical ID"),
    (lambda: sparta.Service("svc").output("Out", {"Fn::Sub": "${x"}), "never closes it"),
    (lambda: sparta.Service("svc").output("Out", "x", description=5),
     "description must be a string"),
    (lambda: sparta.Service("svc").resource("Q", "AWS::SQS::Queue", {"Tags": [{1: "a"}]}),
     "key 1 is not a string"),
    (lambda: sparta.Service("svc").resource("Q", "AWS::SQS::Queue", {"DelaySeconds": None}),
     "resource 'Q': properties.DelaySeconds is None"),
    (lambda: sparta.Service("svc").resource("Q", "AWS::SQS::Queue", DependOn=["X"]),
     "'DependOn' is not a resource attribute \\(did you mean 'DependsOn'\\?\\)"),
    # wrong types
    (function(decorators=None), "function 'fn': decorators must be a list of callables"),
    (function(vpc="vpc"), "function 'fn': vpc must be a mapping"),
    (function(vpc={"subnet_ids": [None], "security_group_ids": ["sg"]}),
     "vpc subnet_ids must be a list of IDs"),
    (function(environment={"AA": {"Fn::Bogus": 1}}),
     "environment variable AA: Fn::Bogus is not a CloudFormation intrinsic"),
    # values Lambda or CloudFormation refuse
    (function(environment={"É": "x"}), "environment variable name 'É' is not valid"),
    (function(environment={"NAME-WITH-DASH": "x"}), "is not valid"),
    (function(description="x" * 257), "description must be a string of at most 256"),
    (function(description=5), "description must be a string"),
    (lambda: sparta.Service("svc", description="x" * 1025),
     "service 'svc': description is 1025 bytes; CloudFormation allows 1024"),
    (lambda: sparta.Service("svc", description=["x"]), "description must be a string"),
    (lambda: sparta.Service("svc").output("Out", "x", description="é" * 513),
     "description is 1026 bytes"),
    (lambda: sparta.Service("svc").resource("A" * 256, "AWS::SQS::Queue"),
     "is 256 characters; CloudFormation allows 255"),
    (lambda: sparta.Service("svc").output("A" * 256, "x"), "CloudFormation allows 255"),
    (lambda: sparta.Service("svc").resource("Q", "AWS::SQS::Queu"),
     "type 'AWS::SQS::Queu' is not a CloudFormation resource type "
     "\\(did you mean 'AWS::SQS::Queue'\\?\\)"),
    (lambda: sparta.Service("svc").resource("Q", "AWS::Sqs::Queue"), "did you mean 'AWS::SQS"),
    (lambda: sparta.Service("svc").resource("Q", "AWS::SQS::"), "is not of the form"),
    (lambda: sparta.Service("svc").resource("Q", "AWS::SQS::Queue::Extra"), "is not of the form"),
]


@pytest.mark.parametrize(("declare", "message"), BAD)
def test_bad_declarations_are_refused_naming_the_field(
    declare: Callable[[], object], message: str
) -> None:
    with pytest.raises(ServiceDefinitionError, match=message):
        declare()


GOOD = [
    privilege(actions=["*"]),
    privilege(actions=["s3:Get*", "s3:?ut*", "execute-api:Invoke"]),
    privilege(resources=["arn:aws:s3:::bucket/*", sparta.GetAtt("Q", "Arn"),
                         {"Fn::Sub": "arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:q"}]),
    privilege(condition={"StringEqualsIfExists": {"k": "v"}, "Null": {"k": "true"},
                         "ForAllValues:StringLike": {"k": ["a*"]}, "Bool": {"k": True}}),
    lambda: sparta.IAMRoleDefinition(managed_policy_arns=[
        "arn:aws:iam::aws:policy/ReadOnlyAccess",
        "arn:aws-us-gov:iam::123456789012:policy/team/Mine",
        sparta.Ref("PolicyParam"),
    ]),
    lambda: sparta.Ref("AWS::NoValue"),
    lambda: sparta.Sub("arn:${AWS::Partition}:s3:::${Bucket}/${!Literal}/${Queue.Arn}"),
    lambda: sparta.Service("svc").output("Out", {"Fn::Join": ["", ["a", {"Ref": "X"}]]}),
    lambda: sparta.Service("svc").resource("Q", "Custom::Thing", {"N": 1.5, "B": False}),
    lambda: sparta.Service("svc").resource("Q", "MyOrg::My::Type::MODULE"),
    lambda: sparta.Service("svc").resource("Q", "AWS::SQS::QueueInlinePolicy"),
    lambda: sparta.Service("svc").resource("Q", "AWS::ApiGateway::DomainNameV2"),
    lambda: sparta.Service("svc").resource("A" * 255, "AWS::SQS::Queue", DependsOn=["B"]),
    lambda: sparta.Service("svc", description="x" * 1024),
    function(environment={"AB": "x", "a_1": sparta.Ref("Q")}, description="x" * 256),
    function(decorators=[print]),
    function(vpc={"subnet_ids": "subnet-1", "security_group_ids": [sparta.Ref("Sg")]}),
]


@pytest.mark.parametrize("declare", GOOD)
def test_well_formed_neighbours_are_accepted(declare: Callable[[], object]) -> None:
    declare()


def test_a_single_decorator_is_a_list_of_one() -> None:
    fn = sparta.Service("svc").add_function(handler="mod.fn", decorators=print)
    assert fn.decorators == (print,)


@pytest.mark.parametrize(("first", "second"), [
    ({"handler": "mod.fn"}, {"handler": "mod.other", "name": "svc-fn"}),
    ({"handler": "mod.other", "name": "svc-fn"}, {"handler": "mod.fn"}),
])
def test_two_functions_with_one_lambda_name_are_refused_naming_both(
    first: dict, second: dict
) -> None:
    service = sparta.Service("svc")
    service.add_function(**first)
    with pytest.raises(ServiceDefinitionError, match="would both be the Lambda function 'svc-fn'"):
        service.add_function(**second)


@pytest.mark.parametrize(("expression", "message"), [
    ("cron(99 99 99 99 ? 99)", "minutes: '99' is out of range for minutes \\(0-59\\)"),
    ("cron(0 24 * * ? *)", "hours: '24' is out of range"),
    ("cron(0 0 32 * ? *)", "day-of-month: '32' is out of range"),
    ("cron(0 0 1 13 ? *)", "month: '13' is out of range"),
    ("cron(0 0 1 FOO ? *)", "'FOO' is out of range for month \\(1-12 or JAN-DEC\\)"),
    ("cron(0 0 ? * 8 *)", "day-of-week: '8' is out of range"),
    ("cron(0 0 ? * 2#6 *)", "must be DAY#N with N from 1 to 5"),
    ("cron(0 0 1 * ? 1969)", "year: '1969' is out of range"),
    ("cron(0/0 0 1 * ? *)", "the increment must be at least 1"),
    ("cron(? 0 1 * ? *)", "'\\?' is allowed only in day-of-month and day-of-week"),
    (f"rate({10**20} minutes)", "the rate must be at most 2147483647"),
])
def test_schedules_eventbridge_would_refuse(expression: str, message: str) -> None:
    with pytest.raises(ServiceDefinitionError, match=message):
        check_schedule_expression(expression)


@pytest.mark.parametrize("expression", [
    "cron(0 12 * * ? *)", "cron(0/15 8-17 ? * MON-FRI *)", "cron(0 10 ? * 6L 2025)",
    "cron(0 10 ? * 2#3 *)", "cron(0 10 15W * ? *)", "cron(0 10 L * ? *)",
    "cron(0,30 1 ? JAN,JUL SUN *)", "cron(5 0 LW * ? 2030-2040)", "rate(2147483647 minutes)",
])
def test_schedules_eventbridge_takes(expression: str) -> None:
    check_schedule_expression(expression)


@pytest.mark.parametrize(("source", "message"), [
    (lambda: sparta.EventBridgeRule({"source": "aws.s3"}),
     "pattern: 'source' must be a non-empty list of values to match \\(write \\['aws.s3'\\]\\)"),
    (lambda: sparta.EventBridgeRule({"source": ["aws.s3"], "detail": {"bucket": {"name": "b"}}}),
     "'detail.bucket.name' must be a non-empty list"),
    (lambda: sparta.EventBridgeRule({"detail": {}}), "'detail' is an empty object"),
    (lambda: sparta.SQSEvent("q", filters=[{"body": {"kind": "order"}}]),
     "filter: 'body.kind' must be a non-empty list"),
])
def test_event_patterns_match_lists(source: Callable[[], sparta.EventSource], message: str) -> None:
    with pytest.raises(ServiceDefinitionError, match=message):
        sparta.Service("svc").add_function(handler="mod.fn", events=[source()])


@pytest.mark.parametrize("operator", [
    "StringEquals", "StringNotLikeIfExists", "ForAllValues:ArnLike", "ForAnyValue:IpAddress",
    "Null", "BinaryEqualsIfExists", "NumericLessThanEquals", "DateGreaterThan",
])
def test_iam_condition_operators_are_accepted(operator: str) -> None:
    check_condition_operator(operator, "Privilege")


def test_resource_type_suggestions_are_typos_only() -> None:
    assert suggest_type("AWS::Lambda::Funtion") == "AWS::Lambda::Function"
    assert suggest_type("AWS::SQS::Queuee") is None  # contains the real name: not refused
    assert suggest_type("AWS::Foo::Queu") is None  # a service sparta does not know
    assert check_resource_type("AWS::Foo::Bar", "resource 'X'") == "AWS::Foo::Bar"


def test_the_type_table_agrees_with_cloudformation_registry_schemas() -> None:
    """cfn-lint (a development dependency) carries the registry's schemas: every real
    type passes the typo check, and the attribute table is what the schemas say."""
    schemas = pytest.importorskip("cfnlint.schema").PROVIDER_SCHEMA_MANAGER
    from sparta_core.model.cfn_types import ATTRIBUTES, KNOWN_TYPES

    real = set(schemas.get_resource_types("us-east-1"))
    refused = []
    for resource_type in sorted(real):
        try:
            check_resource_type(resource_type, "resource 'X'")
        except ServiceDefinitionError as error:
            refused.append(str(error))
    assert refused == []
    assert sorted(KNOWN_TYPES - real) == []
    for resource_type, attributes in ATTRIBUTES.items():
        assert set(attributes) == set(schemas.get_type_getatts(resource_type, "us-east-1")), (
            resource_type
        )
