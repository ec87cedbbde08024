"""Built-in plugin ``marshall``: the service as a CloudFormation template.

For each function: an ``AWS::Lambda::Function``, an explicit ``AWS::Logs::LogGroup``
(created before the function, so Lambda never creates an unmanaged one), a generated
least-privilege ``AWS::IAM::Role`` (unless the user named an existing role) and whatever
its event sources contribute; then the service's own resources and outputs, and an
output with each function's ARN. Logical IDs come from names only, so they are the
same on every build and an update modifies resources in place.
"""

from __future__ import annotations

from typing import Any

from sparta_core.builtin.discovery import add_discovery
from sparta_core.context import ProvisionContext
from sparta_core.errors import ServiceDefinitionError
from sparta_core.hookspecs import hookimpl
from sparta_core.model.events import FunctionWiring
from sparta_core.model.function import LambdaFunction
from sparta_core.model.naming import logical_id
from sparta_core.model.refs import GetAtt, Ref, to_cfn
from sparta_core.model.service import Service
from sparta_core.template import Template

ARTIFACT_BUCKET_PARAMETER = "ArtifactBucket"
CODE_ARTIFACT = "code"

ASSUME_ROLE_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}
#: Lambda's ENI management; these EC2 actions take no resource-level scoping.
VPC_ACTIONS = [
    "ec2:CreateNetworkInterface",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSubnets",
    "ec2:DeleteNetworkInterface",
    "ec2:AssignPrivateIpAddresses",
    "ec2:UnassignPrivateIpAddresses",
]
XRAY_ACTIONS = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]


def function_ids(function: LambdaFunction) -> dict[str, str]:
    """The logical IDs of a function's resources, derived from its key alone."""
    return {
        "function": logical_id(function.key, "Function"),
        "role": logical_id(function.key, "Role"),
        "log_group": logical_id(function.key, "LogGroup"),
        "output": logical_id(function.key, "Function", "Arn"),
    }


def code_location(ctx: ProvisionContext, template: Template) -> dict[str, Any]:
    """Where the archive is: the uploaded location, else where it will be uploaded (with
    a template parameter for the bucket when none is configured)."""
    location = ctx.locations.get(CODE_ARTIFACT)
    if location is not None:
        return {"S3Bucket": location.bucket, "S3Key": location.key}
    assert ctx.archive is not None, "the workflow packages before it marshals"
    bucket: Any = ctx.settings.s3_bucket
    if not bucket:
        template.add_parameter(
            ARTIFACT_BUCKET_PARAMETER,
            Description="S3 bucket that holds the code archive",
        )
        bucket = {"Ref": ARTIFACT_BUCKET_PARAMETER}
    return {"S3Bucket": bucket, "S3Key": archive_key(ctx.service, ctx.archive.sha256)}


def architecture_code_locations(
    ctx: ProvisionContext, primary: dict[str, Any]
) -> dict[str, dict[str, Any]]:
    """Architecture -> ``Code`` for the architectures that have an archive of their own
    (``ctx.archives``, uploaded as artifact ``code-<architecture>``), in the primary
    archive's bucket."""
    codes: dict[str, dict[str, Any]] = {}
    for architecture, archive in ctx.archives.items():
        location = ctx.locations.get(f"{CODE_ARTIFACT}-{architecture}")
        if location is not None:
            codes[architecture] = {"S3Bucket": location.bucket, "S3Key": location.key}
        else:
            key = archive_key(ctx.service, archive.sha256)
            codes[architecture] = {"S3Bucket": primary["S3Bucket"], "S3Key": key}
    return codes


def archive_key(service: Service, sha256: str) -> str:
    """The content-addressed S3 key of an archive."""
    return f"{service.name}/{sha256}.zip"


def _log_group_arn(physical_name: str) -> dict[str, Any]:
    return {
        "Fn::Sub": "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:"
        f"log-group:/aws/lambda/{physical_name}:*"
    }


def _existing_role_arn(role: str) -> Any:
    if role.startswith("arn:"):
        return role
    return {"Fn::Sub": f"arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:role/{role}"}


def _dead_letter_action(service: Service, target: Any, what: str) -> str:
    """``sqs:SendMessage`` or ``sns:Publish``, from the target's ARN or resource type."""
    if isinstance(target, str):
        if target.startswith("arn:") and ":sqs:" in target:
            return "sqs:SendMessage"
        if target.startswith("arn:") and ":sns:" in target:
            return "sns:Publish"
    if isinstance(target, (Ref, GetAtt)) and target.logical_id in service.resources:
        resource_type = service.resources[target.logical_id].type
        if resource_type == "AWS::SQS::Queue":
            return "sqs:SendMessage"
        if resource_type == "AWS::SNS::Topic":
            return "sns:Publish"
    raise ServiceDefinitionError(
        f"{what}: dead_letter_arn must be an SQS queue or SNS topic ARN, or a reference "
        "to a queue or topic declared with service.resource()"
    )


def _dead_letter_target(target: Any) -> Any:
    # A Ref to a queue yields its URL, so ask for the ARN; a topic's Ref is its ARN.
    if isinstance(target, Ref):
        return GetAtt(target.logical_id, "Arn").to_cfn()
    return to_cfn(target)


def marshal_function(
    ctx: ProvisionContext, template: Template, function: LambdaFunction, code: dict[str, Any]
) -> None:
    """Add one function, its log group, its role and its event sources to ``template``."""
    service = ctx.service
    ids = function_ids(function)
    physical = service.physical_name(function)
    owner = f"function '{function.key}'"
    what = owner

    template.add_resource(
        ids["log_group"],
        "AWS::Logs::LogGroup",
        {"LogGroupName": f"/aws/lambda/{physical}"},
        owner=owner,
    )

    statements: list[dict[str, Any]] = [
        {
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": _log_group_arn(physical),
        }
    ]
    properties: dict[str, Any] = {
        "FunctionName": physical,
        "Handler": function.handler,
        "Runtime": service.runtime,
        "Architectures": [service.architecture_of(function)],
        "MemorySize": function.memory_size,
        "Timeout": function.timeout,
        "Code": code,
        "Environment": {
            "Variables": {
                "SPARTA_STACK_NAME": {"Ref": "AWS::StackName"},
                "SPARTA_SERVICE": service.name,
                "SPARTA_FUNCTION": function.key,
                **to_cfn(dict(function.environment)),
            }
        },
        "Tags": [{"Key": "sparta:service", "Value": service.name}]
        + [{"Key": str(k), "Value": str(v)} for k, v in sorted(function.tags.items())],
    }
    if function.description:
        properties["Description"] = function.description
    if function.layers:
        properties["Layers"] = to_cfn(list(function.layers))
    if function.vpc:
        properties["VpcConfig"] = {
            "SubnetIds": to_cfn(list(function.vpc["subnet_ids"])),
            "SecurityGroupIds": to_cfn(list(function.vpc["security_group_ids"])),
        }
        statements.append({"Effect": "Allow", "Action": VPC_ACTIONS, "Resource": "*"})
    if function.reserved_concurrency is not None:
        properties["ReservedConcurrentExecutions"] = function.reserved_concurrency
    if function.dead_letter_arn is not None:
        target = _dead_letter_target(function.dead_letter_arn)
        properties["DeadLetterConfig"] = {"TargetArn": target}
        statements.append(
            {
                "Effect": "Allow",
                "Action": _dead_letter_action(service, function.dead_letter_arn, what),
                "Resource": target,
            }
        )
    if function.tracing:
        properties["TracingConfig"] = {"Mode": function.tracing}
        statements.append({"Effect": "Allow", "Action": XRAY_ACTIONS, "Resource": "*"})
    if function.ephemeral_storage is not None:
        properties["EphemeralStorage"] = {"Size": function.ephemeral_storage}

    function_resource = template.add_resource(
        ids["function"], "AWS::Lambda::Function", properties, owner=owner,
        DependsOn=[ids["log_group"]],
    )

    wiring = FunctionWiring(
        ctx=ctx, function=function, logical_id=ids["function"], template=template,
        statements=statements,
    )
    seen: dict[type, int] = {}
    for event in function.events:
        index = seen.get(type(event), 0)
        seen[type(event)] = index + 1
        event.contribute(wiring, index)
    add_discovery(wiring, function_resource)

    if function.existing_role:
        function_resource["Properties"]["Role"] = _existing_role_arn(function.existing_role)
        extra = len(wiring.statements) - 1
        if extra > 0 and ctx.reporter:
            ctx.reporter.warn(
                f"{what} uses the existing role {function.existing_role}; it must already "
                f"allow the {extra} statement(s) its options and event sources need"
            )
    else:
        role_properties: dict[str, Any] = {
            "AssumeRolePolicyDocument": ASSUME_ROLE_POLICY,
            "Policies": [
                {
                    "PolicyName": f"{function.key}-policy",
                    "PolicyDocument": {"Version": "2012-10-17", "Statement": wiring.statements},
                }
            ],
        }
        definition = function.role
        if definition is not None and not isinstance(definition, str):
            wiring.statements.extend(p.to_statement() for p in definition.privileges)
            if definition.managed_policy_arns:
                role_properties["ManagedPolicyArns"] = to_cfn(
                    list(definition.managed_policy_arns)
                )
        template.add_resource(ids["role"], "AWS::IAM::Role", role_properties, owner=owner)
        function_resource["Properties"]["Role"] = {"Fn::GetAtt": [ids["role"], "Arn"]}

    template.add_output(
        ids["output"], {"Fn::GetAtt": [ids["function"], "Arn"]},
        description=f"ARN of function {function.key}",
    )


@hookimpl(trylast=True)
def sparta_marshall(ctx: ProvisionContext) -> Template:
    service = ctx.service
    template = Template(description=service.description or f"sparta service {service.name}")
    for declaration in service.resources.values():
        template.add_resource(
            declaration.logical_id,
            declaration.type,
            declaration.properties,
            owner=f"service.resource('{declaration.logical_id}')",
            **declaration.attributes,
        )
    code = code_location(ctx, template)
    codes = architecture_code_locations(ctx, code)
    for function in service.functions.values():
        function_code = codes.get(service.architecture_of(function), code)
        marshal_function(ctx, template, function, function_code)
    for output in service.outputs.values():
        template.add_output(output.name, output.value, output.description, output.export)
    return template
