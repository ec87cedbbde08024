"""The executor: runs the planner's steps against CloudFormation and S3.

Consent: a change set is printed before it is executed, with what it broadens in IAM;
whether executing it needs a yes is decided by the run's
:class:`~sparta_core.stages.converge.approval.Approval` (``--require-approval``; without
one, every change set needs it). Deleting a stack whose
first create failed always needs consent. ``--yes`` gives it. Otherwise sparta asks
on the terminal; without a terminal (CI, pipes) it never waits for input: it deletes
the change set it made, changes nothing, and fails with a message that says to re-run
with ``--yes``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from sparta_core.aws.clients import Aws
from sparta_core.aws.errors import error_code, error_message, explain
from sparta_core.engine.reporter import Reporter
from sparta_core.errors import DeployError, InterruptedWaitError
from sparta_core.stages.converge.approval import Approval
from sparta_core.stages.converge.consent import Consent
from sparta_core.stages.converge.events import (
    EventStream,
    StackEvent,
    describe_cause,
    format_event,
    root_cause,
    slowest,
)
from sparta_core.stages.converge.locking import Contended, Guard, contended, unexecuted_on
from sparta_core.stages.converge.nested import NestedEvents, child_outputs
from sparta_core.stages.converge.outcome import Outcome
from sparta_core.stages.converge.planner import (
    ContinueRollback,
    CreateChangeSet,
    DeleteFailedStack,
    DiscardChangeSet,
    ExecuteChangeSet,
    ResourceChange,
    ShowNewStack,
    Step,
    UploadTemplate,
    WaitForStack,
    format_change_set,
)
from sparta_core.stages.converge.state import SUCCESS, StackState, read_stack

#: StatusReason of a change set that changes nothing (AWS, MiniStack and moto agree).
EMPTY_MARKERS = ("didn't contain changes", "no updates are to be performed")
POLL_FIRST = 1.0
POLL_MAX = 5.0
#: Nested stacks' templates (each a single small PutObject) in flight at once.
TEMPLATE_UPLOADS = 8


class Executor:
    """Runs steps with ``aws``'s clients, reporting through ``reporter``; change sets are
    shown through ``show`` (the reporter's info lines unless told otherwise)."""

    def __init__(
        self,
        aws: Aws,
        reporter: Reporter,
        consent: Consent,
        show: Callable[[str], None] | None = None,
        approval: Approval | None = None,
    ) -> None:
        self.aws = aws
        self.approval = approval
        #: The run's ticket on the stack (see :mod:`~sparta_core.stages.converge.locking`).
        self.guard: Guard | None = None
        self.cloudformation = aws.client("cloudformation")
        self.reporter = reporter
        self.consent = consent
        self.show = show or reporter.info
        self._empty = False
        #: The nested stacks' templates by logical ID (empty for a flat template).
        self.nested: dict[str, Any] = {}

    # -- running a plan --------------------------------------------------------------------

    def run(self, steps: list[Step], outcome: Outcome) -> Outcome:
        """Run ``steps`` in order, filling ``outcome``; consecutive uploads run in
        parallel, the last (the root template) after the others."""
        index = 0
        while index < len(steps):
            step = steps[index]
            index += 1
            self.reporter.detail(str(step))
            if isinstance(step, UploadTemplate):
                batch = [step]
                while index < len(steps) and isinstance(steps[index], UploadTemplate):
                    batch.append(steps[index])  # type: ignore[arg-type]
                    index += 1
                self.upload_templates(batch)
            elif isinstance(step, WaitForStack):
                self.wait_for(step.stack)
            elif isinstance(step, DeleteFailedStack):
                self.delete_failed(step.stack)
            elif isinstance(step, ContinueRollback):
                from sparta_core.stages.converge.recovery import continue_rollback

                continue_rollback(self, step.stack)
            elif isinstance(step, CreateChangeSet):
                self.create_change_set(step, outcome)
            elif isinstance(step, ExecuteChangeSet):
                self.execute_change_set(step.change_set, outcome)
            elif isinstance(step, DiscardChangeSet):
                self.discard_change_set(step.change_set, outcome)
            elif isinstance(step, ShowNewStack):
                self.show_new_stack(step, outcome)
            else:  # pragma: no cover - the planner makes only the steps above
                raise TypeError(f"unknown step {step!r}")
        return outcome

    # -- waiting ---------------------------------------------------------------------------

    def wait_for(self, stack: StackState) -> StackState | None:
        """Wait for the operation in progress on ``stack``, showing its events from now."""
        self.reporter.info(f"stack {stack.name} is in {stack.status}: waiting for it to finish")
        stream = EventStream(self.cloudformation, stack.stack_id)
        stream.mark()
        return self.wait(stack, stream, require_event=False)

    def wait(self, stack: StackState, stream: EventStream | NestedEvents, *,
             require_event: bool = True) -> StackState | None:
        """Poll until ``stack``'s operation ends; print each new event once.

        With ``require_event``, a final status counts only once the stack's own event
        for it has been seen, so a status left over from the previous operation (AWS
        may report it for a moment after the call) is never taken for the result.
        Returns the final state, or ``None`` once the stack is gone.
        """
        interval = POLL_FIRST
        try:
            while True:
                new = self._poll(stream)
                state = read_stack(self.cloudformation, stack.stack_id)
                if state is None:
                    return None
                if not state.in_progress:
                    new += self._poll(stream)
                    root = stream.root if isinstance(stream, NestedEvents) else stream
                    seen = any(e.is_stack and e.status == state.status for e in root.events)
                    if seen or not require_event or state.status == "DELETE_COMPLETE":
                        return state
                time.sleep(interval)
                interval = min(interval * 1.5, POLL_MAX)
        except KeyboardInterrupt:
            raise InterruptedWaitError(
                f"interrupted: CloudFormation goes on with stack {stack.name} without sparta; "
                "run the same command again to attach to it, or `sparta status` to see it"
            ) from None

    def _poll(self, stream: EventStream | NestedEvents) -> list[StackEvent]:
        try:
            new = stream.poll()
        except Exception as error:
            if error_code(error) == "ValidationError":
                return []  # the stack is gone; its state says so next
            raise
        started = stream.root.started if isinstance(stream, NestedEvents) else stream.started
        for event in new:
            self.reporter.info(format_event(event, started))
        return new

    # -- the steps ---------------------------------------------------------------------

    def delete_failed(self, stack: StackState) -> None:
        stream = EventStream(self.cloudformation, stack.stack_id)
        stream.poll()
        earlier = describe_cause(root_cause(stream.events))
        self.reporter.info(
            f"stack {stack.name} is in {stack.status}: its first create failed ({earlier}); "
            "it holds nothing and must be deleted before it can be created again"
        )
        self.consent(
            f"Delete stack {stack.name} and create it again?",
            f"stack {stack.name} is in {stack.status} (its first create failed: {earlier}); "
            "nothing was changed; `sparta provision --yes` deletes it and creates it again",
        )
        self.delete(stack)

    def delete(self, stack: StackState) -> None:
        """Delete ``stack`` and wait, streaming its events; raise if it is not gone."""
        stream = EventStream(self.cloudformation, stack.stack_id)
        stream.mark()
        self.cloudformation.delete_stack(StackName=stack.stack_id)
        state = self.wait(stack, stream)
        if state is not None and state.status != "DELETE_COMPLETE":
            cause = describe_cause(root_cause(stream.events))
            raise DeployError(f"deleting stack {stack.name} failed ({state.status}): {cause}")

    def upload_templates(self, batch: list[UploadTemplate]) -> None:
        """Upload the nested stacks' templates side by side (a bounded pool, see
        :func:`sparta_core.aws.transfer.run_parallel`), then the last one (the root,
        which names them): a root at its key always means its children are at theirs."""
        from sparta_core.aws.transfer import run_parallel

        started = time.perf_counter()
        *children, root = batch
        run_parallel([lambda child=child: self.upload_template(child) for child in children],
                     limit=TEMPLATE_UPLOADS)
        self.upload_template(root)
        self.reporter.detail(f"{len(batch)} template(s) uploaded in "
                             f"{(time.perf_counter() - started) * 1000:.1f} ms")

    def upload_template(self, step: UploadTemplate) -> None:
        try:
            self.aws.client("s3").put_object(
                Bucket=step.bucket, Key=step.key, Body=step.body.encode(),
                ServerSideEncryption="AES256", ContentType="application/json",
            )
        except Exception as error:
            doing = f"uploading the template {step.key} to s3://{step.bucket}"
            raise explain(error, doing, self.aws) from None
        self.reporter.detail(f"template uploaded to s3://{step.bucket}/{step.key}")

    def create_change_set(self, step: CreateChangeSet, outcome: Outcome) -> None:
        """Create the change set and wait until CloudFormation has computed it."""
        from sparta_core import __version__

        try:
            response = self.cloudformation.create_change_set(
                StackName=step.stack_name,
                ChangeSetName=step.change_set_name,
                ChangeSetType=step.change_set_type,
                TemplateURL=step.template_url,
                Parameters=step.api_parameters(),
                Tags=[{"Key": key, "Value": value} for key, value in step.tags],
                Capabilities=list(step.capabilities),
                Description=self.guard.description if self.guard else f"sparta {__version__}",
                **({"IncludeNestedStacks": True} if step.include_nested else {}),
            )
        except Exception as error:
            if self.guard is not None and contended(error):
                raise Contended() from None  # the stack changed since it was read
            if error_code(error) == "ValidationError":
                raise DeployError(
                    f"CloudFormation refused the template of stack {step.stack_name}: "
                    f"{error_message(error)}"
                ) from None
            raise explain(error, f"creating a change set for stack {step.stack_name}",
                          self.aws) from None
        outcome.stack_id = response["StackId"]
        outcome.change_set_id = response["Id"]
        outcome.change_set_type = step.change_set_type
        try:
            description = self._wait_for_change_set(response["Id"], response["StackId"])
            if self.guard is not None and description.get("Status") == "CREATE_COMPLETE":
                self.guard.check(response["Id"], response["StackId"])
        except BaseException as error:
            # Interrupted, cut off, or another run goes first: the change set goes.
            self.discard_quietly(response["Id"], step, response["StackId"])
            if self.guard is not None and contended(error):
                raise Contended() from None
            raise
        outcome.changes = self._changes(description)
        status = description.get("Status")
        reason = description.get("StatusReason") or ""
        if status == "FAILED" and any(marker in reason.lower() for marker in EMPTY_MARKERS):
            outcome.changes = []
            self._empty = True
            return
        self._empty = False
        if status != "CREATE_COMPLETE":
            self._discard(response["Id"], step, response["StackId"])
            raise DeployError(
                f"the change set for stack {step.stack_name} failed: {reason or status}"
            )

    def _wait_for_change_set(self, change_set_id: str, stack_id: str) -> dict[str, Any]:
        interval = 0.2
        while True:
            description = self.cloudformation.describe_change_set(
                ChangeSetName=change_set_id, StackName=stack_id
            )
            if description.get("Status") in ("CREATE_COMPLETE", "FAILED", "DELETE_COMPLETE",
                                              "DELETE_FAILED"):
                return description
            time.sleep(interval)
            interval = min(interval * 1.5, 2.0)

    def _changes(self, description: dict[str, Any]) -> list[ResourceChange]:
        changes = [ResourceChange.from_api(change) for change in description.get("Changes", [])]
        token = description.get("NextToken")
        while token:
            page = self.cloudformation.describe_change_set(
                ChangeSetName=description["ChangeSetId"], StackName=description["StackId"],
                NextToken=token,
            )
            changes.extend(ResourceChange.from_api(c) for c in page.get("Changes", []))
            token = page.get("NextToken")
        return changes

    def _discard(self, change_set_id: str, step: CreateChangeSet, stack_id: str) -> None:
        """Delete the change set and, for a CREATE, the empty stack it made."""
        try:
            self.cloudformation.delete_change_set(ChangeSetName=change_set_id)
        except Exception as error:  # the change set may already be gone
            self.reporter.detail(f"deleting change set {step.change_set_name}: {error}")
        if step.change_set_type == "CREATE":
            state = read_stack(self.cloudformation, stack_id)
            # Not while another run's change set waits on it: that run creates it.
            if (state is not None and state.status == "REVIEW_IN_PROGRESS"
                    and not unexecuted_on(self.cloudformation, step.stack_name,
                                          state.stack_id)):
                self.cloudformation.delete_stack(StackName=state.stack_id)

    def _no_changes(self, step: CreateChangeSet, outcome: Outcome) -> None:
        self._discard(outcome.change_set_id, step, outcome.stack_id or step.stack_name)
        self.show(f"stack {step.stack_name}: no changes")
        state = read_stack(self.cloudformation, outcome.stack_id or step.stack_name)
        if state is not None:
            outcome.status = state.status
            outcome.outputs = self.outputs(state)
        outcome.changed = False

    def discard_change_set(self, step: CreateChangeSet, outcome: Outcome) -> None:
        if self._empty:
            self._no_changes(step, outcome)
            return
        inside = self.nested_changes(outcome)
        for line in format_change_set(step, outcome.changes):
            self.show(line)
        if inside:
            self.show(f"inside the nested stacks, {len(inside)} change(s):")
            for change in inside:
                self.show(str(change))
        outcome.changes = outcome.changes + inside
        if self.approval is not None:
            outcome.broadening = self.approval.show(self.cloudformation, outcome.stack_id,
                                                    step.change_set_type, self.show)
        self._discard(outcome.change_set_id, step, outcome.stack_id or step.stack_name)
        state = read_stack(self.cloudformation, step.stack_name)
        outcome.status = state.status if state else "DOES_NOT_EXIST"

    def nested_changes(self, outcome: Outcome) -> list[ResourceChange]:
        """What the change set would change inside each nested stack (``plan``)."""
        if not self.nested or outcome.stack_id is None:
            return []
        from sparta_core.stages.converge.nested import child_changes

        return [ResourceChange(*row)
                for row in child_changes(self.cloudformation, outcome.stack_id, self.nested)]

    def show_new_stack(self, step: ShowNewStack, outcome: Outcome) -> None:
        self.show(
            f"stack {step.stack.name} is in {step.stack.status} (its first create failed); "
            "`sparta provision --yes` deletes it and creates it again with:"
        )
        outcome.changes = [ResourceChange("Add", logical_id, kind)
                           for logical_id, kind in step.resources]
        for change in outcome.changes:
            self.show(str(change))
        outcome.status = step.stack.status

    def execute_change_set(self, step: CreateChangeSet, outcome: Outcome) -> None:
        """Show the change set, get consent, execute it and wait; raise on failure."""
        if self._empty:
            self._no_changes(step, outcome)
            return
        assert outcome.stack_id is not None
        for line in format_change_set(step, outcome.changes):
            self.show(line)
        try:
            self.approve(step, outcome)
            if self.guard is not None:
                self.guard.check(outcome.change_set_id, outcome.stack_id)
        except BaseException:
            # Refused, interrupted, or the connection is gone: the change set sparta
            # made must not outlive the run (best effort: the connection may be cut).
            self.discard_quietly(outcome.change_set_id, step, outcome.stack_id)
            raise
        root_stream = EventStream(self.cloudformation, outcome.stack_id)
        root_stream.mark()
        stream: EventStream | NestedEvents = (
            NestedEvents(self.cloudformation, root_stream) if self.nested else root_stream
        )
        try:
            self.cloudformation.execute_change_set(ChangeSetName=outcome.change_set_id)
        except Exception as error:
            if self.guard is not None and contended(error):
                raise Contended() from None  # another run executed first
            self.discard_quietly(outcome.change_set_id, step, outcome.stack_id)
            raise
        stack = StackState(step.stack_name, outcome.stack_id, "EXECUTING")
        state = self.wait(stack, stream)
        outcome.events = stream.events
        outcome.slowest = slowest(stream.events)
        outcome.changed = True
        if state is None:
            raise DeployError(f"stack {step.stack_name} disappeared while it was deployed")
        outcome.status = state.status
        outcome.outputs = self.outputs(state)
        if state.status not in SUCCESS:
            raise DeployError(self.failure_message(step, state, stream.events))

    def approve(self, step: CreateChangeSet, outcome: Outcome) -> None:
        """Show what the change set broadens and get the yes it needs (or raise)."""
        question = f"Execute change set {step.change_set_name} on stack {step.stack_name}?"
        refusal = f"change set for stack {step.stack_name} not executed; nothing changed"
        if self.approval is not None:
            outcome.broadening = self.approval.show(self.cloudformation, outcome.stack_id,
                                                    step.change_set_type, self.show)
            if not self.approval.needed():
                return
            question, refusal = self.approval.question_and_refusal(step.stack_name,
                                                                   step.change_set_name)
        self.consent(question, refusal)

    def discard_quietly(self, change_set_id: str, step: CreateChangeSet,
                        stack_id: str | None) -> None:
        """:meth:`_discard`, reporting (not raising) what stops it."""
        try:
            self._discard(change_set_id, step, stack_id or step.stack_name)
        except Exception as error:
            self.reporter.warn(
                f"could not delete change set {step.change_set_name} of stack "
                f"{step.stack_name} ({type(error).__name__}: {error}); the next sparta run "
                "deletes it"
            )

    def outputs(self, state: StackState) -> dict[str, str]:
        """The stack's outputs and, for a split template, its nested stacks' (where each
        function's ARN output lives)."""
        if not self.nested:
            return state.outputs
        return {**child_outputs(self.cloudformation, state.stack_id), **state.outputs}

    def failure_message(self, step: CreateChangeSet, state: StackState,
                        events: list[StackEvent]) -> str:
        """One line: what failed, the root cause, the state left, what to do next."""
        from sparta_core.stages.converge.recovery import failure_message

        return failure_message(step.stack_name, state, events, self.aws.region)
