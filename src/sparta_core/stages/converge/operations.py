"""The stack operations behind ``provision``, ``plan``, ``delete`` and ``status``.

The template goes to S3 under a content-addressed key (``<service>/<sha256>.json``) and
is passed by ``TemplateURL``. Then the planner
(:mod:`sparta_core.stages.converge.planner`) decides and the executor
(:mod:`sparta_core.stages.converge.executor`) acts.
Stack tags are ``sparta:version`` and the ``tags`` setting (``--tag``); the build id is
in the template's ``Metadata`` (``sparta:build-id``), since CloudFormation copies stack
tags onto every resource and a tag that changes on every build would touch them all;
parameters come from the ``params`` setting (``--param``).

:func:`converge` serves the built-in ``sparta_converge`` and ``sparta plan``
(``execute=False``); :func:`delete_stack` and :func:`read_status` serve ``sparta delete``
and ``sparta status``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from sparta_core.aws import clients as aws_module
from sparta_core.aws import errors as aws_errors
from sparta_core.engine.context import ProvisionContext
from sparta_core.engine.template import Template
from sparta_core.errors import DeployError, SpartaError
from sparta_core.stages.converge.approval import Approval
from sparta_core.stages.converge.consent import Consent
from sparta_core.stages.converge.executor import Executor
from sparta_core.stages.converge.locking import Contended, Guard
from sparta_core.stages.converge.nested import nested_uploads
from sparta_core.stages.converge.outcome import Outcome
from sparta_core.stages.converge.planner import (
    ContinueRollback,
    DesiredStack,
    RemoteState,
    UploadTemplate,
    WaitForStack,
    plan,
)
from sparta_core.stages.converge.state import StackState, read_stack

OUTCOME_KEY = "sparta.converge"
#: Plans made at most in one run: each new one follows another run's change.
MAX_ROUNDS = 20


def stack_tags(ctx: ProvisionContext) -> dict[str, str]:
    """The user's tags, then sparta's own (which the user cannot override)."""
    from sparta_core import __version__

    return {
        **dict(ctx.settings.tags),
        "sparta:version": __version__,
    }


def desired_stack(ctx: ProvisionContext, template: Template, aws: aws_module.Aws) -> DesiredStack:
    body = template.to_compact_json()
    digest = hashlib.sha256(body.encode()).hexdigest()
    bucket = aws_module.artifact_bucket(ctx)
    key = f"{ctx.service.name}/{digest}.json"
    return DesiredStack(
        name=ctx.stack_name,
        template=template.to_dict(),
        template_body=body,
        template_bucket=bucket,
        template_key=key,
        template_url=aws.s3_https_url(bucket, key),
        parameters=dict(ctx.settings.params),
        tags=stack_tags(ctx),
        nested=tuple(nested_uploads(template, ctx.service.name)),
    )


def converge(
    ctx: ProvisionContext,
    template: Template,
    *,
    execute: bool = True,
    show: Callable[[str], None] | None = None,
    ask: Callable[[str], bool] | None = None,
) -> Outcome:
    """Plan and run: read the remote state, plan, run the steps; after waiting for an
    operation in progress, read and plan again. ``execute=False`` shows the change set
    and deletes it instead of executing it."""
    from sparta_core.stages.upload.plugin import object_exists

    aws = aws_module.for_context(ctx)
    desired = desired_stack(ctx, template, aws)
    cloudformation = aws.client("cloudformation")
    approval = Approval(ctx.settings.require_approval, desired.template)
    executor = Executor(aws, ctx.reporter, Consent(ctx.settings.yes, ask), show=show,
                        approval=approval)
    executor.nested = dict(template.nested)
    outcome = Outcome(stack_name=desired.name)
    guard = executor.guard = Guard(cloudformation, ctx.reporter, desired.name)
    try:
        for _ in range(MAX_ROUNDS):
            remote = RemoteState(
                stack=read_stack(cloudformation, desired.name),
                template_present=object_exists(
                    aws.client("s3"), desired.template_bucket, desired.template_key
                ),
                region=aws.region,
            )
            steps = plan(desired, remote, execute=execute)
            if len(steps) == 1 and isinstance(steps[0], (WaitForStack, ContinueRollback)):
                if isinstance(steps[0], ContinueRollback):
                    ctx.background.join()
                executor.run(steps, outcome)
                continue
            # The templates go up while the artifacts may still be going up (S3 only,
            # under content addresses: harmless whatever happens next); nothing in
            # CloudFormation changes (an orphan change set deleted, a failed stack
            # deleted, a change set made) before the artifacts are all there.
            try:
                executor.run([step for step in steps if isinstance(step, UploadTemplate)],
                             outcome)
            except Exception:
                # An artifact that failed too (the bucket is gone, access is refused) is
                # the first failure in the pipeline's order: it is the one to report.
                ctx.background.join()
                raise
            steps = [step for step in steps if not isinstance(step, UploadTemplate)]
            ctx.background.join()
            if take_turn(guard):
                continue
            ctx.stash[OUTCOME_KEY] = outcome
            try:
                return executor.run(steps, outcome)
            except Contended as contention:
                if contention.first is not None:
                    guard.wait_for(contention.first)
                outcome = Outcome(stack_name=desired.name)
        raise DeployError(f"stack {desired.name} kept changing under sparta (other runs?); "
                          "nothing was executed: provision again")
    except SpartaError:
        raise
    except Exception as error:
        if aws_errors.error_code(error) or "botocore" in type(error).__module__:
            raise aws_errors.explain(error, f"stack {desired.name}", aws) from None
        raise
    finally:
        guard.close()


def take_turn(guard: Guard) -> bool:
    """Before a change set is made: delete orphans, wait for another live run's change
    set; True if the stack must be read and planned again."""
    if guard.clear_orphans():
        return True
    first = guard.contender()
    if first is not None:
        guard.wait_for(first)
        return True
    return False


def delete_stack(ctx: ProvisionContext, ask: Callable[[str], bool] | None = None) -> bool:
    """Delete the stack and wait, streaming events; waits for an operation in progress
    first. Returns False if there was no stack (which is not an error)."""
    aws = aws_module.for_context(ctx)
    cloudformation = aws.client("cloudformation")
    executor = Executor(aws, ctx.reporter, Consent(ctx.settings.yes, ask))
    try:
        # The command's first call: an unreachable endpoint fails in seconds.
        state = read_stack(aws.probe_client("cloudformation"), ctx.stack_name)
        if state is not None and state.in_progress:
            state = executor.wait_for(state)
            state = read_stack(cloudformation, ctx.stack_name) if state else None
        if state is None:
            return False
        executor.consent(
            f"Delete stack {state.name} and everything in it?",
            f"stack {state.name} not deleted",
        )
        ctx.reporter.info(f"deleting stack {state.name} ({state.status})")
        executor.delete(state)
    except SpartaError:
        raise
    except Exception as error:
        raise aws_errors.explain(error, f"deleting stack {ctx.stack_name}", aws) from None
    return True


def read_status(ctx: ProvisionContext, last_events: int = 8) -> tuple[StackState | None,
                                                                        list[Any]]:
    """The stack's state and its last few events, newest last."""
    from sparta_core.stages.converge.events import StackEvent

    aws = aws_module.for_context(ctx)
    cloudformation = aws.client("cloudformation")
    try:
        # The command's first call: an unreachable endpoint fails in seconds.
        state = read_stack(aws.probe_client("cloudformation"), ctx.stack_name)
        if state is None:
            return None, []
        page = cloudformation.describe_stack_events(StackName=state.stack_id)
    except Exception as error:
        raise aws_errors.explain(error, f"reading stack {ctx.stack_name}", aws) from None
    events = [StackEvent.from_api(raw) for raw in page.get("StackEvents", [])[:last_events]]
    events.reverse()
    return state, events


def read_build_id(ctx: ProvisionContext, state: StackState) -> str | None:
    """The build id of the deployed stack: the ``sparta:build-id`` of its template's
    ``Metadata`` (one ``GetTemplate`` call); ``None`` for a stack sparta did not make."""
    from sparta_core.stages.converge.deployed import build_id_of, deployed_template

    aws = aws_module.for_context(ctx)
    try:
        return build_id_of(deployed_template(aws.client("cloudformation"), state.stack_id))
    except Exception as error:
        raise aws_errors.explain(error, f"reading stack {ctx.stack_name}", aws) from None


def read_nested(ctx: ProvisionContext, state: StackState) -> list[tuple[str, StackState]]:
    """The nested stacks of the deployed ``state``: (logical ID, their state)."""
    from sparta_core.stages.converge.nested import child_stacks

    aws = aws_module.for_context(ctx)
    cloudformation = aws.client("cloudformation")
    try:
        found = []
        for logical_id, stack_id in sorted(child_stacks(cloudformation, state.stack_id).items()):
            child = read_stack(cloudformation, stack_id)
            if child is not None:
                found.append((logical_id, child))
    except Exception as error:
        raise aws_errors.explain(error, f"reading stack {ctx.stack_name}", aws) from None
    return found


__all__ = ["DeployError", "converge", "delete_stack", "read_nested", "read_status"]
