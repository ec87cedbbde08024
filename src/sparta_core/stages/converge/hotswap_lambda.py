"""Built-in plugin ``hotswap-lambda``: a Lambda function whose only change is its
``Code`` gets the new code through ``UpdateFunctionCode``, without CloudFormation.

The function's name is its ``FunctionName`` when the template gives it literally (sparta
always does), else the stack's physical ID for it. The action returns once Lambda
reports the update ``Successful``; ``Failed`` (or no answer within
:data:`DEADLINE` seconds) is an error naming the function and Lambda's reason.
"""

from __future__ import annotations

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
#: How often the function's state is read while the update runs (seconds, growing).
POLL_FIRST = 0.05
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


#: Calls in flight at once (botocore keeps 10 connections per client).
WORKERS = 10


def update_functions(aws: aws_module.Aws, stack_id: str,
                     targets: list[tuple[str, str | None, dict[str, str]]]) -> None:
    """Point each function ``(logical ID, name or None, source)`` at its new code, then
    wait until Lambda has switched every one of them to it.

    All updates are sent first, then their states are read together in rounds:
    Lambda takes a while to finish each update (MiniStack half a second, AWS seconds),
    and waiting for them one by one would add those waits up."""
    from concurrent.futures import ThreadPoolExecutor

    lambda_client = aws.client("lambda")

    def start(target: tuple[str, str | None, dict[str, str]]) -> tuple[str, str | None]:
        logical_id, name, source = target
        if name is None:
            described = aws.client("cloudformation").describe_stack_resource(
                StackName=stack_id, LogicalResourceId=logical_id)
            name = described["StackResourceDetail"]["PhysicalResourceId"]
        response = lambda_client.update_function_code(FunctionName=name, **source)
        return name, response.get("LastUpdateStatus")

    def state(name: str) -> tuple[str, str | None, str]:
        response = lambda_client.get_function_configuration(FunctionName=name)
        return name, response.get("LastUpdateStatus"), response.get(
            "LastUpdateStatusReason") or ""

    with ThreadPoolExecutor(min(WORKERS, max(len(targets), 1))) as pool:
        # Read back in the order the updates were sent: the first ones finish first.
        pending = [name for name, status in pool.map(start, targets)
                   if status in ("InProgress", None)]
        deadline = time.monotonic() + DEADLINE
        interval = POLL_FIRST
        while pending:
            if time.monotonic() > deadline:
                raise DeployError(f"function {pending[0]}: its code update was still "
                                  f"in progress after {DEADLINE:.0f} s")
            time.sleep(interval)
            interval = min(interval * 1.5, POLL_MAX)
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
    from sparta_core.stages.converge.state import read_stack

    aws = aws_module.for_context(ctx)
    targets: list[tuple[str, str | None, dict[str, str]]] = []
    for change in changes:
        if change.resource_type != FUNCTION_TYPE or change.properties != ("Code",):
            continue
        properties = change.new.get("Properties") or {}
        source = code_source(properties.get("Code"))
        if source is None:
            continue
        name = properties.get("FunctionName")
        targets.append((change.logical_id, name if isinstance(name, str) else None, source))
    if not targets:
        return []
    stack_id = ctx.stack_name
    if any(name is None for _, name, _ in targets):
        state = read_stack(aws.client("cloudformation"), ctx.stack_name)
        stack_id = state.stack_id if state else ctx.stack_name
    keys = sorted({f"s3://{source['S3Bucket']}/{source['S3Key']}" for *_, source in targets})
    # One action for them all: the updates are sent together and waited for together.
    return [HotswapAction(
        logical_ids=tuple(logical_id for logical_id, _, _ in targets),
        description=f"{len(targets)} function(s): code from {', '.join(keys)}",
        apply=lambda: update_functions(aws, stack_id, targets),
    )]
