"""What is deployed now: the stack's status and what can be done from it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: A stack that runs and can be updated through a change set.
UPDATABLE = frozenset(
    {
        "CREATE_COMPLETE",
        "UPDATE_COMPLETE",
        "UPDATE_ROLLBACK_COMPLETE",
        "IMPORT_COMPLETE",
        "IMPORT_ROLLBACK_COMPLETE",
        "UPDATE_FAILED",
    }
)
#: A failed first create: the stack holds nothing and must be deleted before a create.
FAILED_CREATE = frozenset({"ROLLBACK_COMPLETE", "CREATE_FAILED"})
#: Created by a change set that was never executed: no resources, create again.
REVIEW = "REVIEW_IN_PROGRESS"
#: An update failed and so did its rollback: recovered with ContinueUpdateRollback.
ROLLBACK_FAILED = "UPDATE_ROLLBACK_FAILED"
SUCCESS = frozenset({"CREATE_COMPLETE", "UPDATE_COMPLETE", "IMPORT_COMPLETE"})


@dataclass(frozen=True)
class StackState:
    """One stack as ``DescribeStacks`` shows it."""

    name: str
    stack_id: str
    status: str
    reason: str = ""
    parameters: dict[str, str] = field(default_factory=dict)
    outputs: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    last_updated: Any = None

    @classmethod
    def from_api(cls, stack: dict[str, Any]) -> StackState:
        return cls(
            name=stack["StackName"],
            stack_id=stack["StackId"],
            status=stack["StackStatus"],
            reason=stack.get("StackStatusReason") or "",
            parameters={
                p["ParameterKey"]: p.get("ParameterValue", "")
                for p in stack.get("Parameters", [])
            },
            outputs={o["OutputKey"]: o.get("OutputValue", "") for o in stack.get("Outputs", [])},
            tags={t["Key"]: t["Value"] for t in stack.get("Tags", [])},
            last_updated=stack.get("LastUpdatedTime") or stack.get("CreationTime"),
        )

    @property
    def in_progress(self) -> bool:
        """An operation is running; it must be waited for, not fought."""
        return self.status.endswith("_IN_PROGRESS") and self.status != REVIEW

    @property
    def exists(self) -> bool:
        """The stack holds (or held) resources: not gone, not an unexecuted review."""
        return self.status not in ("DELETE_COMPLETE", REVIEW)


def read_stack(cloudformation: Any, name: str) -> StackState | None:
    """The stack called (or with the id) ``name``, or ``None`` if there is none."""
    from sparta_core.aws.errors import error_code, error_message

    try:
        stacks = cloudformation.describe_stacks(StackName=name)["Stacks"]
    except Exception as error:
        if error_code(error) == "ValidationError" and "does not exist" in error_message(error):
            return None
        raise
    if not stacks:
        return None
    state = StackState.from_api(stacks[0])
    return None if state.status == "DELETE_COMPLETE" and not name.startswith("arn:") else state


def continue_rollback_command(state: StackState, region: str) -> str:
    """The AWS CLI command that resumes a failed update rollback."""
    return (
        f"aws cloudformation continue-update-rollback --stack-name {state.name} "
        f"--region {region}"
    )


def blocked_reason(state: StackState, region: str) -> str | None:
    """Why nothing can be deployed to ``state`` until a human acts, or ``None``."""
    if state.status == "UPDATE_ROLLBACK_FAILED":
        return (
            f"stack {state.name} is in UPDATE_ROLLBACK_FAILED: an update failed and so did its "
            "rollback, so CloudFormation will not touch it; fix what blocked the rollback "
            "(see `sparta status`), then run `"
            f"{continue_rollback_command(state, region)}` (add --resources-to-skip ID to skip "
            "a resource that cannot roll back) and provision again"
        )
    if state.status in ("ROLLBACK_FAILED", "DELETE_FAILED"):
        return (
            f"stack {state.name} is in {state.status}: it can only be deleted; fix what "
            "blocked it (see `sparta status`), then run `sparta delete` and provision again"
        )
    return None
