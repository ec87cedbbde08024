"""Nested stacks as converge sees them: their templates to upload, their events to
stream, their outputs, and what a plan would change inside each of them.

The split itself is marshall's (:mod:`sparta_core.stages.marshall.nesting`); here the
children are found the way CloudFormation reports them: the root's
``ListStackResources`` rows of type ``AWS::CloudFormation::Stack``, whose physical ID is
the child's stack ARN (MiniStack, like AWS, names children
``<root>-<LogicalId>-<random>``, and does not report ``ParentId``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sparta_core.engine.template import Template
from sparta_core.stages.converge.events import STACK_TYPE, EventStream, StackEvent
from sparta_core.stages.marshall.nesting import template_key


def nested_uploads(template: Template, service_name: str) -> list[tuple[str, str]]:
    """``(S3 key, compact body)`` of every nested stack's template, innermost first
    (a parent names its children's keys, so they must be there before it)."""
    uploads: list[tuple[str, str]] = []
    for logical_id, stack in reversed(list(template.stacks())):
        if logical_id:
            body = stack.to_compact_json()
            uploads.append((template_key(service_name, body), body))
    return uploads


def child_stacks(cloudformation: Any, stack_id: str) -> dict[str, str]:
    """Logical ID -> stack ARN of the nested stacks of ``stack_id`` (those created so far)."""
    children: dict[str, str] = {}
    kwargs: dict[str, Any] = {"StackName": stack_id}
    while True:
        page = cloudformation.list_stack_resources(**kwargs)
        for row in page.get("StackResourceSummaries", []):
            if row.get("ResourceType") == STACK_TYPE and row.get("PhysicalResourceId"):
                children[row["LogicalResourceId"]] = row["PhysicalResourceId"]
        token = page.get("NextToken")
        if not token:
            return children
        kwargs["NextToken"] = token


def child_outputs(cloudformation: Any, stack_id: str) -> dict[str, str]:
    """The outputs of every nested stack of ``stack_id`` (a function's ARN output lives
    in its child), merged."""
    from sparta_core.stages.converge.state import read_stack

    outputs: dict[str, str] = {}
    for _, child in sorted(child_stacks(cloudformation, stack_id).items()):
        state = read_stack(cloudformation, child)
        if state is not None:
            outputs.update(state.outputs)
    return outputs


class NestedEvents:
    """The events of a root stack and of its nested stacks, each once, oldest first per
    stack. Children are discovered from the root's events about them (their physical ID
    is the child's ARN); a child's events older than the root's first event about it in
    this operation belong to an earlier operation and are skipped."""

    def __init__(self, cloudformation: Any, root: EventStream) -> None:
        self.cloudformation = cloudformation
        self.root = root
        self.children: dict[str, EventStream] = {}
        self.since: dict[str, datetime] = {}
        self.events: list[StackEvent] = []

    def poll(self) -> list[StackEvent]:
        new = self.root.poll()
        for event in new:
            if not event.is_stack or event.logical_id == self.root_name(event):
                continue
            # The first event about a child dates this operation's part of its history;
            # its ARN comes with a later one (MiniStack leaves it out of IN_PROGRESS).
            self.since.setdefault(event.logical_id, event.timestamp)
            if (event.physical_id.startswith("arn:") and event.physical_id != self.root.stack_id
                    and event.logical_id not in self.children):
                stream = EventStream(self.cloudformation, event.physical_id)
                stream.since = self.since[event.logical_id]
                self.children[event.logical_id] = stream
        found = list(new)
        for logical_id, stream in self.children.items():
            try:
                fresh = stream.poll()
            except Exception:  # a child being deleted may already be gone
                continue
            found.extend(_in_child(event, logical_id) for event in fresh)
        self.events.extend(found)
        return found

    def root_name(self, event: StackEvent) -> str:
        """The root's own logical ID in its events (its stack name)."""
        return event.logical_id if event.physical_id == self.root.stack_id else ""


def _in_child(event: StackEvent, child: str) -> StackEvent:
    """The event with its resource named ``<child>/<LogicalId>``."""
    return StackEvent(
        event_id=event.event_id, timestamp=event.timestamp,
        logical_id=f"{child}/{event.logical_id}", resource_type=event.resource_type,
        status=event.status, reason=event.reason, physical_id=event.physical_id,
    )


def child_changes(cloudformation: Any, stack_id: str,
                  desired: Mapping[str, Template]) -> list[tuple[str, str, str, str]]:
    """``(action, child/LogicalId, type, "")`` for what updating the root would change
    inside each existing child: its deployed template against the one built, resource
    by resource. (CloudFormation's own nested change sets exist on AWS only; this works
    wherever ``GetTemplate`` does.)"""
    changes: list[tuple[str, str, str, str]] = []
    deployed = child_stacks(cloudformation, stack_id)
    for logical_id, template in sorted(desired.items()):
        wanted = template.to_dict().get("Resources", {})
        if logical_id not in deployed:
            changes += [("Add", f"{logical_id}/{rid}", r.get("Type", ""), "")
                        for rid, r in wanted.items()]
            continue
        body = cloudformation.get_template(StackName=deployed[logical_id])["TemplateBody"]
        current = (json.loads(body) if isinstance(body, str) else body).get("Resources", {})
        for rid, resource in wanted.items():
            if rid not in current:
                changes.append(("Add", f"{logical_id}/{rid}", resource.get("Type", ""), ""))
            elif _canonical(current[rid]) != _canonical(resource):
                changes.append(("Modify", f"{logical_id}/{rid}", resource.get("Type", ""), ""))
        for rid, resource in current.items():
            if rid not in wanted:
                changes.append(("Remove", f"{logical_id}/{rid}", resource.get("Type", ""), ""))
    return changes


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)
