"""Built-in plugin ``marshall``: the service as a CloudFormation template.

For each function: an ``AWS::Lambda::Function``, an explicit ``AWS::Logs::LogGroup``
(created before the function, so Lambda never creates an unmanaged one), a generated
least-privilege ``AWS::IAM::Role`` (unless the user named an existing role) and whatever
its event sources contribute; then each component's resources, in declaration order
(:mod:`sparta_core.stages.marshall.components`), each function's discovery variable, the
service's own outputs, and an output with each function's ARN. Logical IDs come from
names only, so they are the same on every build and an update modifies resources in
place.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any

from sparta_core.engine.context import ProvisionContext
from sparta_core.engine.template import Template
from sparta_core.errors import ServiceDefinitionError, TemplateError
from sparta_core.hookspecs import hookimpl
from sparta_core.model.events import FunctionWiring
from sparta_core.model.function import LambdaFunction
from sparta_core.model.refs import to_cfn
from sparta_core.stages.marshall.components import marshal_components
from sparta_core.stages.marshall.custom_resources import add_custom_resource
from sparta_core.stages.marshall.discovery import add_discovery, refresh_discovery
from sparta_core.stages.marshall.function_url import add_function_url
from sparta_core.stages.marshall.functions import (
    CODE_ARTIFACT,
    add_execution_role,
    add_log_group,
    archive_key,
    code_location,
    function_ids,
    invoke_target,
    log_retention,
    logs_statement,
)
from sparta_core.stages.marshall.layer import add_dependency_layers

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
#: Where the preconditions plugin keeps the ARNs of existing roles it looked up.
ROLES_STASH_KEY = "sparta.roles"


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
            key = archive_key(ctx.service.name, archive.sha256)
            codes[architecture] = {"S3Bucket": primary["S3Bucket"], "S3Key": key}
    return codes


def existing_role_arn(ctx: ProvisionContext, role: str) -> Any:
    """The ARN of an existing role named by name or ARN: the one IAM reported when the
    preconditions looked it up (roles may live under a path), else built from the name."""
    if role.startswith("arn:"):
        return role
    known = ctx.stash.get(ROLES_STASH_KEY, {}).get(role)
    if known:
        return known
    return {"Fn::Sub": f"arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:role/{role}"}


@contextmanager
def naming(what: str) -> Iterator[None]:
    """Prefix a definition or template error raised inside with ``what`` (the function,
    the event source), so the user learns where the mistake is."""
    try:
        yield
    except (ServiceDefinitionError, TemplateError) as error:
        message = str(error)
        if message.startswith(what):
            raise
        raise type(error)(f"{what}: {message}") from error


def marshal_function(
    ctx: ProvisionContext, template: Template, function: LambdaFunction, code: dict[str, Any]
) -> FunctionWiring:
    """Add one function, its log group, its role and its event sources to ``template``;
    return its wiring (discovery is added once the components are in, too)."""
    service = ctx.service
    ids = function_ids(function)
    physical = service.physical_name(function)
    owner = f"function '{function.key}'"

    add_log_group(template, ids["log_group"], physical, owner, log_retention(ctx, function))
    statements: list[dict[str, Any]] = [logs_statement(physical)]
    wiring = FunctionWiring(
        ctx=ctx, function=function, logical_id=ids["function"], template=template,
        statements=statements, custom_resources=partial(add_custom_resource, ctx, template),
        invoke_target=invoke_target(ctx, function),
    )
    properties: dict[str, Any] = {
        "FunctionName": physical,
        "Handler": function.handler,
        "Runtime": service.runtime,
        "Architectures": [service.architecture_of(function)],
        "MemorySize": function.memory_size,
        "Timeout": function.timeout,
        "Code": dict(code),  # one dict per function: a decorator may change its own
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
        # Resolved like an event source's target (imported here: most services have none).
        from sparta_core.model.sources._common import (
            destination_statement,
            queue_or_topic_arn,
            resolve,
        )

        with naming(owner):
            target = resolve(wiring, function.dead_letter_arn)
            arn = queue_or_topic_arn(target)
            statements.append(destination_statement(target, arn, "dead_letter_arn"))
        properties["DeadLetterConfig"] = {"TargetArn": arn}
    if function.tracing:
        properties["TracingConfig"] = {"Mode": function.tracing}
        statements.append({"Effect": "Allow", "Action": XRAY_ACTIONS, "Resource": "*"})
    if function.ephemeral_storage is not None:
        properties["EphemeralStorage"] = {"Size": function.ephemeral_storage}

    # Every value above is already in template form (the user's through ``to_cfn``),
    # and every dict and list is this function's own: placed as it is, without the
    # copy ``add_resource`` makes, which a thousand functions would pay for.
    function_resource = {"Type": "AWS::Lambda::Function", "Properties": properties,
                         "DependsOn": [ids["log_group"]]}
    template.place_resource(ids["function"], function_resource, owner)

    add_function_url(template, function, owner, wiring.invoke_target)

    seen: dict[type, int] = {}
    for event in function.events:
        index = seen.get(type(event), 0)
        seen[type(event)] = index + 1
        with naming(f"{owner}: {type(event).__name__}"):
            event.contribute(wiring, index)

    if function.existing_role:
        function_resource["Properties"]["Role"] = existing_role_arn(ctx, function.existing_role)
        needed = sorted({action for statement in statements[1:]
                         for action in _actions(statement)})
        if needed:
            ctx.reporter.warn(
                f"{owner} uses the existing role {function.existing_role}; it must already "
                f"allow what its options and event sources need: {', '.join(needed)}"
            )
    else:
        definition = function.role
        managed: list[Any] = []
        if definition is not None and not isinstance(definition, str):
            statements.extend(privilege.to_statement() for privilege in definition.privileges)
            managed = to_cfn(list(definition.managed_policy_arns))
        add_execution_role(
            template, ids["role"], statements, policy_name=f"{function.key}-policy",
            owner=owner, managed_policy_arns=managed,
        )
        function_resource["Properties"]["Role"] = {"Fn::GetAtt": [ids["role"], "Arn"]}

    template.add_output(
        ids["output"], {"Fn::GetAtt": [ids["function"], "Arn"]},
        description=f"ARN of function {function.key}",
    )
    return wiring


def _actions(statement: dict[str, Any]) -> list[str]:
    actions = statement.get("Action", [])
    return [actions] if isinstance(actions, str) else list(actions)


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
    wirings = []
    for function in service.functions.values():
        function_code = codes.get(service.architecture_of(function), code)
        wirings.append(marshal_function(ctx, template, function, function_code))
    exposed = marshal_components(ctx, template)
    for wiring in wirings:
        for resource_id, values in exposed.get(wiring.function.key, {}).items():
            wiring.expose(resource_id, values)
        add_discovery(wiring, template.resources[wiring.logical_id])
    add_dependency_layers(ctx, template, code)
    for output in service.outputs.values():
        template.add_output(output.name, output.value, output.description, output.export)
    return template


@hookimpl(tryfirst=True)
def sparta_post_marshall(ctx: ProvisionContext, template: Template) -> None:
    """Before any other plugin's post-marshall: discovery sees what decorators added."""
    refresh_discovery(ctx, template)
