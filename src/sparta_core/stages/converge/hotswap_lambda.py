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


def update_code(aws: aws_module.Aws, stack_id: str, logical_id: str, name: str | None,
                source: dict[str, str]) -> None:
    """Point the function at the new code and wait until Lambda has switched to it."""
    lambda_client = aws.client("lambda")
    if name is None:
        described = aws.client("cloudformation").describe_stack_resource(
            StackName=stack_id, LogicalResourceId=logical_id)
        name = described["StackResourceDetail"]["PhysicalResourceId"]
    response = lambda_client.update_function_code(FunctionName=name, **source)
    deadline = time.monotonic() + DEADLINE
    interval = POLL_FIRST
    status = response.get("LastUpdateStatus")
    while status == "InProgress" or status is None:
        if time.monotonic() > deadline:
            raise DeployError(f"function {name}: its code update was still in progress "
                              f"after {DEADLINE:.0f} s")
        time.sleep(interval)
        interval = min(interval * 2, POLL_MAX)
        response = lambda_client.get_function_configuration(FunctionName=name)
        status = response.get("LastUpdateStatus")
    if status != "Successful":
        reason = response.get("LastUpdateStatusReason") or status
        raise DeployError(f"function {name}: Lambda refused the new code: {reason}")


@hookimpl(trylast=True)
def sparta_hotswap(
    ctx: ProvisionContext, template: Template, deployed: dict[str, Any],
    changes: list[ResourceDifference],
) -> list[HotswapAction]:
    from sparta_core.stages.converge.state import read_stack

    aws = aws_module.for_context(ctx)
    actions: list[HotswapAction] = []
    stack_id: str | None = None
    for change in changes:
        if change.resource_type != FUNCTION_TYPE or change.properties != ("Code",):
            continue
        properties = change.new.get("Properties") or {}
        source = code_source(properties.get("Code"))
        if source is None:
            continue
        name = properties.get("FunctionName")
        if not isinstance(name, str):
            if stack_id is None:
                state = read_stack(aws.client("cloudformation"), ctx.stack_name)
                stack_id = state.stack_id if state else ctx.stack_name
            name = None
        where = f"s3://{source['S3Bucket']}/{source['S3Key']}"
        actions.append(HotswapAction(
            logical_ids=(change.logical_id,),
            description=f"function {name or change.logical_id}: code from {where}",
            apply=_bind(aws, stack_id or ctx.stack_name, change.logical_id, name, source),
        ))
    return actions


def _bind(aws: aws_module.Aws, stack_id: str, logical_id: str, name: str | None,
          source: dict[str, str]) -> Any:
    return lambda: update_code(aws, stack_id, logical_id, name, source)
