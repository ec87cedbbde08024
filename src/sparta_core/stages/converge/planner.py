"""The planner: from the desired stack and the remote state, the steps to converge.

Steps are inert, frozen data that print themselves (``str(step)``); the executor runs
them. The planner itself calls no AWS API, so every decision it makes is testable with
plain objects.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sparta_core.errors import (
    ConfigError,
    StackBlockedError,
)
from sparta_core.stages.converge.state import (
    FAILED_CREATE,
    REVIEW,
    ROLLBACK_FAILED,
    UPDATABLE,
    StackState,
    blocked_reason,
)

#: Properties of IAM resources that give them a custom name (CAPABILITY_NAMED_IAM).
IAM_NAME_PROPERTIES = {
    "AWS::IAM::Role": "RoleName",
    "AWS::IAM::User": "UserName",
    "AWS::IAM::Group": "GroupName",
    "AWS::IAM::ManagedPolicy": "ManagedPolicyName",
    "AWS::IAM::InstanceProfile": "InstanceProfileName",
}


def capabilities(template: Mapping[str, Any]) -> tuple[str, ...]:
    """The capabilities CloudFormation will ask for to deploy ``template``."""
    found: set[str] = set()
    for resource in (template.get("Resources") or {}).values():
        kind = resource.get("Type", "")
        if kind.startswith("AWS::IAM::"):
            found.add("CAPABILITY_IAM")
            name_property = IAM_NAME_PROPERTIES.get(kind)
            if name_property and name_property in (resource.get("Properties") or {}):
                found.add("CAPABILITY_NAMED_IAM")
        if kind.startswith("AWS::Serverless::") or kind == "AWS::CloudFormation::Macro":
            found.add("CAPABILITY_AUTO_EXPAND")
    if template.get("Transform") or _has_key(template, "Fn::Transform"):
        found.add("CAPABILITY_AUTO_EXPAND")
    return tuple(sorted(found))


def _has_key(value: Any, key: str) -> bool:
    if isinstance(value, dict):
        return key in value or any(_has_key(item, key) for item in value.values())
    if isinstance(value, list):
        return any(_has_key(item, key) for item in value)
    return False


@dataclass(frozen=True)
class DesiredStack:
    """What the stack should become."""

    name: str
    template: Mapping[str, Any]
    template_body: str
    template_bucket: str
    template_key: str
    template_url: str
    parameters: Mapping[str, str] = field(default_factory=dict)
    tags: Mapping[str, str] = field(default_factory=dict)
    #: ``(S3 key, body)`` of the nested stacks' templates, innermost first.
    nested: tuple[tuple[str, str], ...] = ()

    @property
    def capabilities(self) -> tuple[str, ...]:
        return capabilities(self.template)


@dataclass(frozen=True)
class RemoteState:
    """What the planner knows of the world: the stack (``None`` if there is none) and
    whether the template is already at its content-addressed key."""

    stack: StackState | None
    template_present: bool
    region: str


# -- the steps ---------------------------------------------------------------------------


@dataclass(frozen=True)
class WaitForStack:
    """An operation is in progress on the stack: wait for it, showing its events."""

    stack: StackState

    def __str__(self) -> str:
        return f"wait for {self.stack.status} on stack {self.stack.name} to finish"


@dataclass(frozen=True)
class ContinueRollback:
    """An update and its rollback failed: explain it, and with consent continue the
    rollback (``ContinueUpdateRollback``); the caller then plans the update again."""

    stack: StackState

    def __str__(self) -> str:
        return f"continue the failed rollback of stack {self.stack.name}, then update it"


@dataclass(frozen=True)
class DeleteFailedStack:
    """The stack's first create failed: delete it (with consent) so it can be created."""

    stack: StackState

    def __str__(self) -> str:
        return (
            f"delete stack {self.stack.name} ({self.stack.status}: its first create failed "
            "and it holds nothing)"
        )


@dataclass(frozen=True)
class UploadTemplate:
    bucket: str
    key: str
    body: str

    def __str__(self) -> str:
        return f"upload the template to s3://{self.bucket}/{self.key}"


@dataclass(frozen=True)
class CreateChangeSet:
    stack_name: str
    change_set_name: str
    change_set_type: str  # CREATE or UPDATE
    template_url: str
    parameters: tuple[tuple[str, str | None], ...]  # (key, value); None: previous value
    tags: tuple[tuple[str, str], ...]
    capabilities: tuple[str, ...]
    #: The template has nested stacks (AWS then makes a change set for each).
    include_nested: bool = False

    def __str__(self) -> str:
        caps = f", capabilities {', '.join(self.capabilities)}" if self.capabilities else ""
        return (
            f"create change set {self.change_set_name} ({self.change_set_type}) for stack "
            f"{self.stack_name} from {self.template_url}{caps}"
        )

    def api_parameters(self) -> list[dict[str, Any]]:
        return [
            {"ParameterKey": key, "UsePreviousValue": True}
            if value is None
            else {"ParameterKey": key, "ParameterValue": value}
            for key, value in self.parameters
        ]


@dataclass(frozen=True)
class ExecuteChangeSet:
    """Print the change set; if it is empty, delete it ("no changes"); else, with
    consent, execute it and wait for the stack, streaming its events."""

    change_set: CreateChangeSet

    def __str__(self) -> str:
        return f"review and execute change set {self.change_set.change_set_name}"


@dataclass(frozen=True)
class DiscardChangeSet:
    """Print the change set, then delete it (and the empty stack a CREATE change set
    made): what ``sparta plan`` does instead of executing."""

    change_set: CreateChangeSet

    def __str__(self) -> str:
        return f"show and delete change set {self.change_set.change_set_name}"


@dataclass(frozen=True)
class ShowNewStack:
    """``plan`` on a stack that must be deleted first: show the template's resources
    as additions (no change set can be made against a failed create)."""

    stack: StackState
    resources: tuple[tuple[str, str], ...]

    def __str__(self) -> str:
        return f"show the {len(self.resources)} resources a new stack {self.stack.name} would have"


Step = (
    WaitForStack | ContinueRollback | DeleteFailedStack | UploadTemplate | CreateChangeSet
    | ExecuteChangeSet | DiscardChangeSet | ShowNewStack
)


# -- the planner ------------------------------------------------------------------------


def change_set_name(desired: DesiredStack, now: float | None = None) -> str:
    """A change set name unique per run: time, the template's content hash, and a
    random part (two runs in the same second must not collide)."""
    stamp = time.strftime("%Y%m%d%H%M%S", time.gmtime(now if now is not None else time.time()))
    digest = desired.template_key.rsplit("/", 1)[-1].split(".", 1)[0][:8]
    return f"sparta-{stamp}-{digest}-{uuid.uuid4().hex[:6]}"


def resolve_parameters(
    desired: DesiredStack, stack: StackState | None
) -> tuple[tuple[str, str | None], ...]:
    """Template parameters as the change set gets them: the given value, else the
    stack's previous value, else the template's default. An unknown or missing
    parameter is an error before anything changes."""
    declared: Mapping[str, Any] = desired.template.get("Parameters") or {}
    for key in desired.parameters:
        if key not in declared:
            known = ", ".join(sorted(declared)) or "none"
            raise ConfigError(
                f"--param {key}: the template declares no parameter {key} (it has: {known})"
            )
    resolved: list[tuple[str, str | None]] = []
    for key, spec in declared.items():
        if key in desired.parameters:
            resolved.append((key, desired.parameters[key]))
        elif stack is not None and stack.exists and key in stack.parameters:
            resolved.append((key, None))
        elif "Default" not in (spec or {}):
            raise ConfigError(f"template parameter {key} needs a value: --param {key}=VALUE")
    return tuple(resolved)


def plan(desired: DesiredStack, remote: RemoteState, *, execute: bool = True,
         now: float | None = None) -> list[Step]:
    """The steps that take ``remote`` to ``desired``.

    An operation in progress gives only ``[WaitForStack]``, a failed update rollback only
    ``[ContinueRollback]``: the caller runs it, reads the state again and plans again.
    ``execute=False`` (``sparta plan``) ends in a :class:`DiscardChangeSet` instead of an
    :class:`ExecuteChangeSet`.
    """
    stack = remote.stack
    if stack is not None and stack.in_progress:
        return [WaitForStack(stack)]
    if stack is not None and stack.status == ROLLBACK_FAILED and execute:
        return [ContinueRollback(stack)]
    if stack is not None:
        blocked = blocked_reason(stack, remote.region)
        if blocked:
            raise StackBlockedError(blocked)
    steps: list[Step] = []
    change_set_type = "UPDATE"
    if stack is None or stack.status == REVIEW:
        change_set_type = "CREATE"
    elif stack.status in FAILED_CREATE:
        if not execute:
            resources = tuple(
                (logical_id, resource.get("Type", ""))
                for logical_id, resource in (desired.template.get("Resources") or {}).items()
            )
            return [ShowNewStack(stack, resources)]
        steps.append(DeleteFailedStack(stack))
        change_set_type = "CREATE"
        stack = None
    elif stack.status not in UPDATABLE:
        raise StackBlockedError(
            f"stack {stack.name} is in {stack.status}, from which sparta cannot deploy"
        )
    if not remote.template_present:
        # The children first: a root at its key means its children are at theirs.
        steps.extend(UploadTemplate(desired.template_bucket, key, body)
                     for key, body in desired.nested)
        steps.append(UploadTemplate(desired.template_bucket, desired.template_key,
                                    desired.template_body))
    change_set = CreateChangeSet(
        stack_name=desired.name,
        change_set_name=change_set_name(desired, now),
        change_set_type=change_set_type,
        template_url=desired.template_url,
        parameters=resolve_parameters(desired, stack),
        tags=tuple(sorted(desired.tags.items())),
        capabilities=desired.capabilities,
        include_nested=bool(desired.nested),
    )
    steps.append(change_set)
    steps.append(ExecuteChangeSet(change_set) if execute else DiscardChangeSet(change_set))
    return steps


# -- showing a change set ----------------------------------------------------------------


@dataclass(frozen=True)
class ResourceChange:
    """One line of a change set."""

    action: str
    logical_id: str
    resource_type: str
    replacement: str = ""

    @classmethod
    def from_api(cls, change: dict[str, Any]) -> ResourceChange:
        detail = change.get("ResourceChange", {})
        return cls(
            action=detail.get("Action", "?"),
            logical_id=detail.get("LogicalResourceId", "?"),
            resource_type=detail.get("ResourceType", ""),
            replacement=detail.get("Replacement", "") if detail.get("Action") == "Modify" else "",
        )

    def __str__(self) -> str:
        return self.line()

    def line(self, id_width: int = 32) -> str:
        """The change as one line, the logical ID padded to ``id_width`` (the longest
        ID of the change set, so that the types stay in one column)."""
        mark = {"Add": "+", "Modify": "~", "Remove": "-"}.get(self.action, "*")
        line = f"  {mark} {self.action:<7} {self.logical_id:<{id_width}} {self.resource_type}"
        if self.action == "Modify":
            line += f"  replacement: {self.replacement or 'False'}"
        return line


def format_change_set(step: CreateChangeSet, changes: list[ResourceChange]) -> list[str]:
    """The change set as the lines sparta prints before executing it."""
    verb = "create" if step.change_set_type == "CREATE" else "update"
    lines = [
        f"change set {step.change_set_name}: {verb} stack {step.stack_name}, "
        f"{len(changes)} change(s)"
    ]
    width = max([32, *(len(change.logical_id) for change in changes)])
    lines.extend(change.line(width) for change in changes)
    return lines
