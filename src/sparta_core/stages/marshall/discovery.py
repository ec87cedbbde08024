"""Discovery: each function's environment names the resources it depends on.

``SPARTA_RESOURCES`` is a JSON object, resolved by CloudFormation through ``Fn::Sub``,
mapping the logical ID of every template resource the function depends on (its event
sources' targets, and what its environment, privileges and dead-letter target refer to)
to ``{"Type": ..., "Ref": <physical id>, "Arn": ...}``. ``SPARTA_STACK_NAME`` says
which stack the function belongs to. ``sparta_runtime.discover()`` reads both inside
Lambda and in ``sparta invoke --remote``; a local ``sparta invoke`` knows the stack name
but not the physical names (pass them with ``--env SPARTA_RESOURCES='{...}'``).

Discovery is computed twice: when each function is marshalled, and again once the
decorators have run (``refresh_discovery``, first thing in ``sparta_post_marshall``), so
that a resource a plugin adds in ``sparta_decorate_function`` or
``sparta_decorate_service`` is found when the function's environment refers to it.

Referring to a resource makes the function depend on it in CloudFormation's order, so an
event source whose target already depends on the function (an owned S3 bucket) exposes
Sub fragments built from names instead of a ``Ref`` (see :meth:`FunctionWiring.expose`).
"""

from __future__ import annotations

import json
from typing import Any

from sparta_core.engine.context import ProvisionContext
from sparta_core.engine.template import Template, referenced_ids
from sparta_core.model.events import FunctionWiring
from sparta_core.model.iam import IAMRoleDefinition
from sparta_core.model.refs import to_cfn

RESOURCES_VARIABLE = "SPARTA_RESOURCES"
#: ``ctx.stash`` key: ``[(wiring, the value marshal set)]`` for each marshalled function.
WIRINGS_STASH_KEY = "sparta.marshall.discovery"

#: Attributes worth discovering besides Ref, by resource type (GetAtt names).
ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "AWS::SQS::Queue": ("Arn", "QueueName"),
    "AWS::SNS::Topic": ("TopicName",),
    "AWS::DynamoDB::Table": ("Arn",),
    "AWS::Kinesis::Stream": ("Arn",),
    "AWS::S3::Bucket": ("Arn",),
    "AWS::Logs::LogGroup": ("Arn",),
    "AWS::Events::EventBus": ("Arn",),
    "AWS::CodeCommit::Repository": ("Arn", "Name"),
    "AWS::Lambda::Function": ("Arn",),
    "AWS::StepFunctions::StateMachine": ("Name",),
}


def dependencies(wiring: FunctionWiring) -> dict[str, dict[str, str]]:
    """Logical ID to discovery fragments for everything the function depends on."""
    function = wiring.function
    found: dict[str, dict[str, str]] = {key: dict(value) for key, value in wiring.resources.items()}
    values: list[Any] = [to_cfn(dict(function.environment))]
    if isinstance(function.role, IAMRoleDefinition):
        values.extend(privilege.to_statement() for privilege in function.role.privileges)
    if function.dead_letter_arn is not None:
        values.append(to_cfn(function.dead_letter_arn))
    own = {wiring.logical_id}
    for value in values:
        for name in referenced_ids(value):
            if name not in own and name in wiring.template.resources:
                found.setdefault(name, {})
    return found


def discovery_json(wiring: FunctionWiring) -> dict[str, Any] | None:
    """The ``Fn::Sub`` value of ``SPARTA_RESOURCES``, or None when there is nothing."""
    entries: dict[str, dict[str, str]] = {}
    for resource_id, fragments in sorted(dependencies(wiring).items()):
        resource_type = wiring.template.resources[resource_id].get("Type", "")
        entry = {"Type": resource_type}
        if fragments:
            entry.update(fragments)
        else:
            entry["Ref"] = "${" + resource_id + "}"
            attributes = list(ATTRIBUTES.get(resource_type, ()))
            properties = wiring.template.resources[resource_id].get("Properties", {})
            if resource_type == "AWS::DynamoDB::Table" and "StreamSpecification" in properties:
                attributes.append("StreamArn")
            for attribute in attributes:
                entry[attribute] = "${" + resource_id + "." + attribute + "}"
        entries[resource_id] = entry
    if not entries:
        return None
    return {"Fn::Sub": json.dumps(entries, sort_keys=True, separators=(",", ":"))}


def add_discovery(wiring: FunctionWiring, function_resource: dict[str, Any]) -> None:
    """Set ``SPARTA_RESOURCES`` on the function's resource, when it depends on anything,
    and remember the wiring for :func:`refresh_discovery`."""
    value = discovery_json(wiring)
    if value is not None:
        variables = function_resource["Properties"]["Environment"]["Variables"]
        variables[RESOURCES_VARIABLE] = value
    if wiring.ctx is not None:
        wiring.ctx.stash.setdefault(WIRINGS_STASH_KEY, []).append((wiring, value))


def refresh_discovery(ctx: ProvisionContext, template: Template) -> None:
    """Recompute ``SPARTA_RESOURCES`` of every function marshalled into ``template``,
    now that decorators have added their resources. A value a plugin changed itself is
    left as the plugin made it."""
    for wiring, marshalled in ctx.stash.get(WIRINGS_STASH_KEY, []):
        if wiring.template is not template:
            continue  # a plugin replaced the marshalled template
        resource = template.resources.get(wiring.logical_id)
        variables = (resource or {}).get("Properties", {}).get("Environment", {}) \
            .get("Variables")
        if not isinstance(variables, dict) or variables.get(RESOURCES_VARIABLE) != marshalled:
            continue
        value = discovery_json(wiring)
        if value is not None:
            variables[RESOURCES_VARIABLE] = value
