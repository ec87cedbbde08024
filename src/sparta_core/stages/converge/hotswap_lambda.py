"""Built-in plugin ``hotswap-lambda``: a Lambda function whose only change is its
``Code`` gets the new code through ``UpdateFunctionCode``, without CloudFormation.

Only the functions that can run an archive entry that changed are updated
(:mod:`sparta_core.stages.converge.hotswap_select`); the others are claimed as ``kept``:
they keep the archive they run, which holds the same code for everything they can run.

The function's name is its ``FunctionName`` when the template gives it literally (sparta
always does), else the stack's physical ID for it. The action returns once Lambda
reports the update ``Successful``; ``Failed`` (or no answer within
:data:`DEADLINE` seconds) is an error naming the function and Lambda's reason.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from sparta_core.aws import clients as aws_module
from sparta_core.engine.context import ProvisionContext
from sparta_core.engine.hotswap import HotswapAction, ResourceDifference
from sparta_core.engine.template import Template
from sparta_core.errors import DeployError
from sparta_core.hookspecs import hookimpl

FUNCTION_TYPE = "AWS::Lambda::Function"
DEADLINE = 120.0
#: How often the functions' states are read while the updates run: every
#: :data:`POLL_STEADY` seconds for the first :data:`POLL_STEADY_FOR` seconds when few are
#: pending (an update often ends within a second: MiniStack's after 0.5 s), then less
#: and less often, up to :data:`POLL_MAX` (Lambda's control plane allows about 15
#: reads a second per account, so many pending functions are read less often).
POLL_FIRST = 0.05
POLL_STEADY = 0.1
POLL_STEADY_FOR = 2.0
POLL_FEW = 10
POLL_MAX = 1.0


def code_source(code: Any) -> dict[str, str] | None:
    """The ``UpdateFunctionCode`` arguments for a ``Code`` given as literal S3 location
    (``S3Bucket``, ``S3Key``, optionally ``S3ObjectVersion``), else ``None``."""
    names = {"S3Bucket": "S3Bucket", "S3Key": "S3Key", "S3ObjectVersion": "S3ObjectVersion"}
    if not isinstance(code, dict) or not {"S3Bucket", "S3Key"} <= set(code) \
            or not set(code) <= set(names):
        return None
    if not all(isinstance(value, str) for value in code.values()):
        return None  # a Ref or Sub: only CloudFormation can resolve it
    return {names[key]: value for key, value in code.items()}


#: Calls in flight at once (botocore keeps 10 connections per client), across every
#: action of the run (one per nested stack, applied side by side).
WORKERS = 10
_IN_FLIGHT = threading.BoundedSemaphore(WORKERS)
#: ``ctx.stash`` key: the reasons already said for updating every function.
SAID_KEY = "sparta.hotswap.lambda.said"


def update_functions(aws: aws_module.Aws, stack_id: Any,
                     targets: list[tuple[str, str | None, dict[str, str]]]) -> None:
    """Point each function ``(logical ID, name or None, source)`` at its new code, then
    wait until Lambda has switched every one of them to it.

    All updates are sent first, then their states are read together in rounds:
    Lambda takes a while to finish each update (MiniStack half a second, AWS seconds),
    and waiting for them one by one would add those waits up. ``stack_id`` is the stack
    that holds them, or a callable giving it (a nested stack is looked up only if a
    function's name must be read from it)."""
    from concurrent.futures import ThreadPoolExecutor

    lambda_client = aws.client("lambda")

    def start(target: tuple[str, str | None, dict[str, str]]) -> tuple[str, str | None]:
        logical_id, name, source = target
        with _IN_FLIGHT:
            if name is None:
                stack = stack_id() if callable(stack_id) else stack_id
                described = aws.client("cloudformation").describe_stack_resource(
                    StackName=stack, LogicalResourceId=logical_id)
                name = described["StackResourceDetail"]["PhysicalResourceId"]
            response = lambda_client.update_function_code(FunctionName=name, **source)
        return name, response.get("LastUpdateStatus")

    def state(name: str) -> tuple[str, str | None, str]:
        with _IN_FLIGHT:
            response = lambda_client.get_function_configuration(FunctionName=name)
        return name, response.get("LastUpdateStatus"), response.get(
            "LastUpdateStatusReason") or ""

    with ThreadPoolExecutor(min(WORKERS, max(len(targets), 1))) as pool:
        # Read back in the order the updates were sent: the first ones finish first.
        pending = [name for name, status in pool.map(start, targets)
                   if status in ("InProgress", None)]
        started = time.monotonic()
        deadline = started + DEADLINE
        interval = POLL_FIRST
        while pending:
            if time.monotonic() > deadline:
                raise DeployError(f"function {pending[0]}: its code update was still "
                                  f"in progress after {DEADLINE:.0f} s")
            time.sleep(interval)
            steady = (len(pending) <= POLL_FEW
                      and time.monotonic() < started + POLL_STEADY_FOR)
            interval = POLL_STEADY if steady else min(max(interval, POLL_STEADY) * 1.5,
                                                      POLL_MAX)
            still = []
            for name, status, reason in pool.map(state, pending):
                if status in ("InProgress", None):
                    still.append(name)
                elif status != "Successful":
                    raise DeployError(
                        f"function {name}: Lambda refused the new code: {reason or status}")
            pending = still


@hookimpl(trylast=True)
def sparta_hotswap(
    ctx: ProvisionContext, template: Template, deployed: dict[str, Any],
    changes: list[ResourceDifference],
) -> list[HotswapAction]:
    from sparta_core.stages.converge.hotswap_select import Target, select

    aws = aws_module.for_context(ctx)
    targets: list[tuple[str, str | None, dict[str, str]]] = []
    wanted: list[Target] = []
    stack = ""
    for change in changes:
        if change.resource_type != FUNCTION_TYPE or change.properties != ("Code",):
            continue
        properties = change.new.get("Properties") or {}
        source = code_source(properties.get("Code"))
        if source is None:
            continue
        old = code_source((change.old.get("Properties") or {}).get("Code")) or {}
        name = properties.get("FunctionName")
        targets.append((change.logical_id, name if isinstance(name, str) else None, source))
        environment = (properties.get("Environment") or {}).get("Variables") or {}
        wanted.append(Target(change.logical_id, str(properties.get("Handler") or ""),
                             old.get("S3Key", ""), source["S3Key"],
                             environment if isinstance(environment, dict) else {}))
        stack = change.stack
    if not targets:
        return []
    selection = select(ctx, wanted)
    if selection.kept:
        selection = _checked(ctx, aws, selection, wanted, targets)
    _report(ctx, selection, stack)
    chosen = [target for target in targets if target[0] in set(selection.update)]
    keys = sorted({f"s3://{source['S3Bucket']}/{source['S3Key']}" for *_, source in chosen})
    where = f" of nested stack {stack}" if stack else ""
    # One action for them all: the updates are sent together and waited for together.
    return [HotswapAction(
        logical_ids=tuple(logical_id for logical_id, _, _ in chosen),
        description=f"{len(chosen)} function(s){where}: code from {', '.join(keys) or '-'}",
        apply=lambda: update_functions(aws, _stack_of(ctx, aws, stack), chosen),
        kept=selection.kept,
    )]


#: Past this many functions to check, one paged ``ListFunctions`` instead of one
#: ``GetFunctionConfiguration`` each.
LIST_PAST = 50


def _checked(ctx: ProvisionContext, aws: aws_module.Aws, selection: Any, wanted: list[Any],
             targets: list[tuple[str, str | None, dict[str, str]]]) -> Any:
    """``selection`` with every function it would keep checked against Lambda: a function
    keeps its archive only if it really runs the archive the selection assumed (its
    ``CodeSha256`` is that archive's, as its manifest records). What is on record may be
    wrong (another machine's hotswap, a record lost or cut short); such a function is
    updated instead."""
    from dataclasses import replace

    from sparta_core.stages.converge.hotswap_select import archive_sha
    from sparta_core.stages.package import manifest

    names = {logical_id: name for logical_id, name, _ in targets}
    expected: dict[str, str | None] = {}
    for target in wanted:
        if target.logical_id in selection.kept:
            expected[target.logical_id] = manifest.code_sha256(ctx.work_dir,
                                                               archive_sha(target.old_key))
    asked = {names[lid]: lid for lid, sha in expected.items() if sha and names.get(lid)}
    running = _code_hashes(aws, sorted(asked))
    wrong = [lid for lid, sha in expected.items()
             if not sha or not names.get(lid) or running.get(names[lid]) != sha]
    if not wrong:
        return selection
    ctx.reporter.detail(f"hotswap: {len(wrong)} function(s) run other code than on record "
                        f"({', '.join(sorted(wrong)[:3])}...): they get the new code")
    return replace(selection, update=(*selection.update, *sorted(wrong)),
                   kept=tuple(lid for lid in selection.kept if lid not in set(wrong)))


def _code_hashes(aws: aws_module.Aws, names: list[str]) -> dict[str, str]:
    """Function name -> the ``CodeSha256`` Lambda reports, for ``names`` (missing when the
    function cannot be read)."""
    lambda_client = aws.client("lambda")
    if len(names) > LIST_PAST:
        wanted, found = set(names), {}
        for page in lambda_client.get_paginator("list_functions").paginate():
            for function in page.get("Functions", []):
                if function.get("FunctionName") in wanted:
                    found[function["FunctionName"]] = function.get("CodeSha256", "")
            if len(found) == len(wanted):
                break
        return found
    from concurrent.futures import ThreadPoolExecutor

    def read(name: str) -> tuple[str, str]:
        with _IN_FLIGHT:
            try:
                return name, lambda_client.get_function_configuration(
                    FunctionName=name).get("CodeSha256", "")
            except Exception:  # unreadable: not known to run what was assumed
                return name, ""

    with ThreadPoolExecutor(min(WORKERS, max(len(names), 1))) as pool:
        return dict(pool.map(read, names)) if names else {}


def _stack_of(ctx: ProvisionContext, aws: aws_module.Aws, stack: str) -> Any:
    """What holds the functions: the root stack's name, or a callable that finds the
    nested stack ``stack`` (asked only when a function's name is not in the template)."""
    if not stack:
        return ctx.stack_name

    def find() -> str:
        from sparta_core.stages.converge.nested import child_stacks
        from sparta_core.stages.converge.state import read_stack

        cloudformation = aws.client("cloudformation")
        state = read_stack(cloudformation, ctx.stack_name)
        root = state.stack_id if state else ctx.stack_name
        return child_stacks(cloudformation, root).get(stack, stack)

    return find


def _report(ctx: ProvisionContext, selection: Any, stack: str) -> None:
    where = f" in nested stack {stack}" if stack else ""
    changed = ", ".join(selection.changed[:3]) + (
        f" and {len(selection.changed) - 3} more" if len(selection.changed) > 3 else "")
    if selection.why_all:
        said = ctx.stash.setdefault(SAID_KEY, set())
        if selection.why_all not in said:
            said.add(selection.why_all)
            ctx.reporter.info(f"hotswap: every function whose code changed gets it "
                              f"({selection.why_all})")
        return
    total = len(selection.update) + len(selection.kept)
    ctx.reporter.detail(f"hotswap: {changed or 'nothing'} changed; {len(selection.update)} "
                        f"of {total} function(s){where} can run it")
