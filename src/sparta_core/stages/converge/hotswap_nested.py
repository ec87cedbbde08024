"""A hotswap of a service split into nested stacks (DESIGN §6): the code edit is in the
children, so they are compared one by one.

When only code changes, what changes in the root is the ``TemplateURL`` of the nested
stacks whose functions got a new code location: a child's template is named in S3 by
its content, and the code's S3 key is written in it. Its ``Parameters`` stay the same
(the artifact bucket and the references across stacks do not depend on the code). So a
root difference is hotswappable when it is the ``TemplateURL`` of a nested stack and
nothing else; the child is then read back (``GetTemplate`` on its ARN, found among the
root's resources) and compared with the child that was built, exactly as the root is.
Anything else (a child's ``Parameters`` or attributes, a child added or removed, a
child CloudFormation does not list) is a full provision, named.

The record of what runs (``.sparta/<stack>-hotswap.json``) keys a nested stack's
resources as ``<Child>/<LogicalId>``.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from sparta_core.engine.hotswap import ResourceDifference
from sparta_core.engine.template import Template
from sparta_core.stages.converge.deployed import deployed_template
from sparta_core.stages.converge.events import STACK_TYPE
from sparta_core.stages.converge.hotswap_compare import Fallback, compare, overlay

#: Children read at once.
WORKERS = 8


@dataclass
class StackPlan:
    """One stack of a hotswap: ``stack`` is ``""`` for the root, else the child's
    logical ID; ``effective`` is what runs (deployed, with earlier hotswaps laid over)."""

    stack: str
    template: Template
    effective: dict[str, Any]
    changes: list[ResourceDifference]


def record_key(stack: str, logical_id: str) -> str:
    return f"{stack}/{logical_id}" if stack else logical_id


def record_of(record: dict[str, dict[str, Any]], stack: str) -> dict[str, dict[str, Any]]:
    """The part of ``record`` about ``stack``, by plain logical ID."""
    if not stack:
        return {key: value for key, value in record.items() if "/" not in key}
    prefix = f"{stack}/"
    return {key[len(prefix):]: value for key, value in record.items() if key.startswith(prefix)}


def split_changes(changes: list[ResourceDifference]
                  ) -> tuple[list[ResourceDifference], list[str]]:
    """The root's own differences, and the nested stacks to look into; raise
    :class:`Fallback` for a nested stack whose change is not its ``TemplateURL`` alone."""
    own: list[ResourceDifference] = []
    children: list[str] = []
    for change in changes:
        if change.resource_type != STACK_TYPE:
            own.append(change)
        elif change.properties == ("TemplateURL",):
            children.append(change.logical_id)
        else:
            changed = ", ".join(name for name in change.properties if name != "TemplateURL")
            raise Fallback(f"nested stack {change.logical_id}: its {changed} changed")
    return own, children


def child_plans(cloudformation: Any, children: dict[str, str], template: Template,
                record: dict[str, dict[str, Any]], wanted: list[str]) -> list[StackPlan]:
    """Compare each nested stack in ``wanted`` (``children``: logical ID -> ARN) with
    the child built; raise :class:`Fallback` naming the first difference that is not a
    resource's properties."""
    for logical_id in wanted:
        if logical_id not in children:
            raise Fallback(f"nested stack {logical_id} is not among the stack's resources")
        if logical_id not in template.nested:
            raise Fallback(f"nested stack {logical_id} is not a stack sparta built")

    def read(logical_id: str) -> dict[str, Any] | None:
        return deployed_template(cloudformation, children[logical_id])

    with ThreadPoolExecutor(min(WORKERS, max(len(wanted), 1))) as pool:
        deployed = dict(zip(wanted, pool.map(read, wanted), strict=True))
    plans: list[StackPlan] = []
    for logical_id in wanted:
        body = deployed[logical_id]
        if body is None:
            raise Fallback(f"the template of nested stack {logical_id} cannot be read")
        effective = overlay(body, record_of(record, logical_id))
        child = template.nested[logical_id]
        new = _as_json(child)
        try:
            changes = compare(new, effective)
        except Fallback as reason:
            raise Fallback(f"nested stack {logical_id}: {reason}") from None
        plans.append(StackPlan(logical_id, child, effective, [
            ResourceDifference(c.logical_id, c.resource_type, c.properties, c.old, c.new,
                               stack=logical_id) for c in changes]))
    return plans


def _as_json(template: Template) -> dict[str, Any]:
    """The child as uploaded (its compact JSON, parsed): what CloudFormation keeps."""
    import json

    return json.loads(template.to_compact_json())


def deployed_children(cloudformation: Any, stack_id: str,
                      record: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The deployed templates of the nested stacks ``record`` names (before a full
    provision, for :func:`sparta_core.stages.converge.hotswap.reconcile`)."""
    from sparta_core.stages.converge.nested import child_stacks

    wanted = sorted({key.split("/", 1)[0] for key in record if "/" in key})
    if not wanted:
        return {}
    children = child_stacks(cloudformation, stack_id)
    found: dict[str, dict[str, Any]] = {}
    for logical_id in wanted:
        if logical_id in children:
            found[logical_id] = deployed_template(cloudformation, children[logical_id]) or {}
    return found
