"""``CodeCommitTrigger``: pushes to a CodeCommit repository.

CloudFormation can set a repository's triggers only on a repository it creates, and then
replaces all of them; sparta adds its trigger to any repository, beside the triggers it
already has, through the ``SpartaCodeCommitTrigger`` custom resource (merged by trigger
name, removed on delete), plus the permission for that repository to invoke the
function.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import KW_ONLY, dataclass
from typing import Any, ClassVar

from sparta_core.model.events import EventSource, FunctionWiring
from sparta_core.model.refs import Value, to_cfn
from sparta_core.model.sources._common import (
    SourceError,
    brief,
    check_target,
    expect_type,
    permission,
    resolve,
    string_list,
)

TRIGGER_TYPE = "SpartaCodeCommitTrigger"
REPOSITORY = "AWS::CodeCommit::Repository"
TRIGGER_EVENTS = ("all", "updateReference", "createReference", "deleteReference")
REPOSITORY_NAME = re.compile(r"[\w.-]{1,100}")
REPOSITORY_ARN = re.compile(r"arn:[^:]+:codecommit:[^:]*:[^:]*:([\w.-]+)")


@dataclass
class CodeCommitTrigger(EventSource):
    """Reference events (``events``: ``all``, or any of ``createReference``,
    ``updateReference``, ``deleteReference``) on ``branches`` (empty: all) of
    ``repository`` (a name or ARN, or ``Ref`` to an ``AWS::CodeCommit::Repository`` of the
    stack). ``custom_data`` is passed to the function with each event."""

    repository: Value
    _: KW_ONLY
    branches: Sequence[str] = ()
    events: Sequence[str] = ("all",)
    name: str | None = None
    custom_data: str | None = None

    kind: ClassVar[str] = "CodeCommit"

    def describe(self) -> str:
        return f"CodeCommitTrigger(repository={brief(self.repository)})"

    def validate(self) -> None:
        check_target(self.repository, "repository")
        if isinstance(self.repository, str):
            match = REPOSITORY_ARN.fullmatch(self.repository)
            name = match.group(1) if match else self.repository
            if not REPOSITORY_NAME.fullmatch(name) or name.endswith(".git"):
                raise SourceError(f"repository {self.repository!r} is not a repository name or ARN")
        self.branches = string_list(self.branches, "branches") if self.branches else ()
        if len(self.branches) > 100:
            raise SourceError("branches holds more than 100 names (a CodeCommit limit)")
        self.events = string_list(self.events, "events", allowed=TRIGGER_EVENTS)
        if "all" in self.events and len(self.events) > 1:
            raise SourceError("events: 'all' cannot be combined with other events")
        if self.name is not None and (
            not isinstance(self.name, str) or not 1 <= len(self.name) <= 100
        ):
            raise SourceError("name must be a string of 1 to 100 characters")
        if self.custom_data is not None and (
            not isinstance(self.custom_data, str) or len(self.custom_data) > 1000
        ):
            raise SourceError("custom_data must be a string of at most 1000 characters")

    def contribute(self, wiring: FunctionWiring, index: int) -> None:
        if wiring.ctx is None:
            raise SourceError("a CodeCommitTrigger needs the run's context")
        owner = f"{self.describe()} of function '{wiring.function.key}'"
        target = resolve(wiring, self.repository)
        expect_type(target, [REPOSITORY], "repository")
        if target.literal is not None:
            match = REPOSITORY_ARN.fullmatch(target.literal)
            name: Any = match.group(1) if match else target.literal
        elif target.owned:
            # A repository's Ref is its ID; triggers are set by name.
            name = {"Fn::GetAtt": [target.logical_id, "Name"]}
            wiring.expose(target.logical_id or "")
        else:
            name = to_cfn(target.value)
        repository_arn = {"Fn::Join": ["", [
            "arn:", {"Ref": "AWS::Partition"}, ":codecommit:", {"Ref": "AWS::Region"}, ":",
            {"Ref": "AWS::AccountId"}, ":", name,
        ]]}
        permission_id = wiring.child_id(self.kind, str(index), "Permission")
        permission(wiring, permission_id, "codecommit.amazonaws.com", repository_arn,
                   source_account=True, owner=owner)
        trigger_name: Any = self.name or {
            "Fn::Sub": f"${{AWS::StackName}}-{wiring.child_id(self.kind, str(index))}"
        }
        properties: dict[str, Any] = {
            "Repository": name,
            "Name": trigger_name,
            "DestinationArn": wiring.function_arn,
            "Branches": list(self.branches),
            "Events": list(self.events),
        }
        if self.custom_data:
            properties["CustomData"] = self.custom_data
        # Triggers of one repository are read, changed and written whole: one at a time.
        depends = [permission_id, *wiring.after_the_last(
            TRIGGER_TYPE, "Repository", name)]
        wiring.add_custom_resource(
            TRIGGER_TYPE,
            wiring.child_id(self.kind, str(index), "Trigger"), properties,
            owner=owner, DependsOn=depends,
        )


__all__ = ["CodeCommitTrigger"]
