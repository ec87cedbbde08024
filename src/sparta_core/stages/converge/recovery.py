"""Failed stack operations: the one line that explains them, and the recovery of
``UPDATE_ROLLBACK_FAILED`` (DESIGN §6).

A stack in ``UPDATE_ROLLBACK_FAILED`` had an update fail and then its rollback fail too;
CloudFormation touches it again only after ``ContinueUpdateRollback``. sparta explains
it from the stack's events (each resource that did not roll back, and why), and with
consent (``--yes``, or a yes at the terminal) continues the rollback, waits for
``UPDATE_ROLLBACK_COMPLETE`` and then retries the update. Without consent it changes
nothing and says what to run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sparta_core.errors import DeployError
from sparta_core.stages.converge.events import (
    EventStream,
    StackEvent,
    describe_cause,
    root_cause,
)
from sparta_core.stages.converge.state import StackState, continue_rollback_command

if TYPE_CHECKING:
    from sparta_core.stages.converge.executor import Executor

ROLLBACK_FAILED = "UPDATE_ROLLBACK_FAILED"


def failure_message(name: str, state: StackState, events: list[StackEvent], region: str) -> str:
    """One line: what failed, the root cause, the state left, what to do next."""
    cause = describe_cause(root_cause(events))
    if state.status in ("ROLLBACK_COMPLETE", "CREATE_FAILED"):
        return (
            f"creating stack {name} failed: {cause}; the stack is left in "
            f"{state.status} and runs nothing: fix the cause, then `sparta provision "
            "--yes` deletes it and creates it again"
        )
    if state.status == "UPDATE_ROLLBACK_COMPLETE":
        return (
            f"updating stack {name} failed: {cause}; CloudFormation rolled it back "
            "(UPDATE_ROLLBACK_COMPLETE): the previous version still runs"
        )
    if state.status == ROLLBACK_FAILED:
        return (
            f"updating stack {name} failed: {cause}; the rollback failed too "
            f"({ROLLBACK_FAILED}: {rollback_failures(events)}): fix what blocks it, then "
            f"`sparta provision --yes` continues the rollback and retries (or run `"
            f"{continue_rollback_command(state, region)}`)"
        )
    return f"stack {name} ended in {state.status}: {cause}"


def last_rollback(events: list[StackEvent]) -> list[StackEvent]:
    """The events of the stack's last failed rollback, oldest first: from its last
    ``UPDATE_ROLLBACK_IN_PROGRESS`` to the ``UPDATE_ROLLBACK_FAILED`` after it."""
    start = max((i for i, e in enumerate(events)
                 if e.is_stack and e.status == "UPDATE_ROLLBACK_IN_PROGRESS"), default=0)
    return events[start:]


def rollback_failures(events: list[StackEvent]) -> str:
    """``Fn (AWS::Lambda::Function): reason; ...``: what did not roll back, and why."""
    failed: dict[str, StackEvent] = {}
    for event in last_rollback(events):
        if event.failed and not event.is_stack:
            failed.setdefault(event.logical_id, event)
    if not failed:
        return "CloudFormation named no resource"
    return "; ".join(f"resource {e.logical_id} ({e.resource_type}) did not roll back: "
                     f"{(e.reason or e.status).strip().rstrip('.')}" for e in failed.values())


def explain(cloudformation: object, state: StackState, region: str) -> str:
    """Why the stack is in ``UPDATE_ROLLBACK_FAILED``, and what to do, in one line."""
    stream = EventStream(cloudformation, state.stack_id)
    stream.poll()
    return (
        f"stack {state.name} is in {ROLLBACK_FAILED}: an update failed and so did its "
        f"rollback ({rollback_failures(stream.events)}); fix what blocks it, then `sparta "
        "provision --yes` continues the rollback (ContinueUpdateRollback) and retries the "
        f"update, or run `{continue_rollback_command(state, region)}` (add "
        "--resources-to-skip ID to skip a resource that cannot roll back)"
    )


def continue_rollback(executor: Executor, state: StackState) -> None:
    """Explain, get consent, ``ContinueUpdateRollback`` and wait; raise if the rollback
    fails again. The caller then reads the stack again and retries the update."""
    cloudformation = executor.cloudformation
    region = executor.aws.region
    why = explain(cloudformation, state, region)
    executor.reporter.info(why)
    executor.consent(
        f"Continue the rollback of stack {state.name} (ContinueUpdateRollback), then retry "
        "the update?",
        f"{why}; nothing was changed",
    )
    stream = EventStream(cloudformation, state.stack_id)
    stream.mark()
    executor.reporter.info(f"continuing the rollback of stack {state.name}")
    cloudformation.continue_update_rollback(StackName=state.stack_id)
    final = executor.wait(state, stream)
    if final is not None and final.status == ROLLBACK_FAILED:
        raise DeployError(
            f"continuing the rollback of stack {state.name} failed "
            f"({rollback_failures(stream.events)}); fix what blocks it, or skip what cannot "
            f"roll back: `{continue_rollback_command(state, region)} --resources-to-skip ID`"
        )
    executor.reporter.info(f"stack {state.name} is back in "
                           f"{final.status if final else 'no state'}; retrying the update")
