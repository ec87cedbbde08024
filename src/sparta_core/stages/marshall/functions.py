"""What every Lambda function sparta deploys is made of, besides the function itself.

The user's functions (built-in ``marshall``) and sparta's own provider functions
(``custom_resources``) share these parts: where the code archive is, the explicit log
group, and an execution role whose only base privilege is writing to that log group.
Keeping them in one place keeps the two kinds of function equally least-privileged, and
lets core modules (``workflow``, ``describe``, ``upload``) know the names without
depending on a built-in plugin that a project may have replaced.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sparta_core.model.naming import logical_id

if TYPE_CHECKING:
    from sparta_core.engine.context import ProvisionContext
    from sparta_core.engine.template import Template
    from sparta_core.model.function import LambdaFunction

#: Name of the code archive artifact (``code-<architecture>`` for the others).
CODE_ARTIFACT = "code"
#: Template parameter for the artifact bucket when none is configured (``sparta build``).
ARTIFACT_BUCKET_PARAMETER = "ArtifactBucket"

ASSUME_ROLE_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


def function_ids(function: LambdaFunction) -> dict[str, str]:
    """The logical IDs of a function's resources, derived from its key alone."""
    return {
        "function": function.logical_id,
        "role": logical_id(function.key, "Role"),
        "log_group": logical_id(function.key, "LogGroup"),
        "output": logical_id(function.key, "Function", "Arn"),
    }


def archive_key(service_name: str, sha256: str) -> str:
    """The content-addressed S3 key of an archive."""
    return f"{service_name}/{sha256}.zip"


def code_location(ctx: ProvisionContext, template: Template) -> dict[str, Any]:
    """``Code`` of the service's archive: the uploaded location, else where it will be
    uploaded, with a template parameter for the bucket when none is configured."""
    location = ctx.locations.get(CODE_ARTIFACT)
    if location is not None:
        return {"S3Bucket": location.bucket, "S3Key": location.key}
    assert ctx.archive is not None, "the workflow packages before it marshalls"
    bucket: Any = ctx.settings.s3_bucket
    if not bucket:
        if ARTIFACT_BUCKET_PARAMETER not in template.parameters:
            template.add_parameter(
                ARTIFACT_BUCKET_PARAMETER, Description="S3 bucket that holds the code archive"
            )
        bucket = {"Ref": ARTIFACT_BUCKET_PARAMETER}
    return {"S3Bucket": bucket, "S3Key": archive_key(ctx.service.name, ctx.archive.sha256)}


def logs_statement(physical_name: str) -> dict[str, Any]:
    """Writing to the function's own log group, and nothing else."""
    return {
        "Effect": "Allow",
        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": {
            "Fn::Sub": "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:"
            f"log-group:/aws/lambda/{physical_name}:*"
        },
    }


def add_log_group(
    template: Template, log_group_id: str, physical_name: str, owner: str,
    retention_days: int | None = None,
) -> None:
    """The function's log group, declared so that it is created before the function (and
    deleted with the stack) rather than created by Lambda on first run; its events
    expire after ``retention_days`` (``None``: never)."""
    properties: dict[str, Any] = {"LogGroupName": f"/aws/lambda/{physical_name}"}
    if retention_days is not None:
        properties["RetentionInDays"] = retention_days
    template.add_resource(log_group_id, "AWS::Logs::LogGroup", properties, owner=owner)


def log_retention(ctx: ProvisionContext, function: LambdaFunction | None = None) -> int | None:
    """How long ``function``'s logs are kept: its own ``log_retention_days``, else the
    ``log-retention-days`` setting (sparta's own functions always use the setting)."""
    from sparta_core.model.function import FROM_SETTINGS

    if function is not None and function.log_retention_days is not FROM_SETTINGS:
        return function.log_retention_days
    return ctx.settings.log_retention_days


def add_execution_role(
    template: Template,
    role_id: str,
    statements: list[dict[str, Any]],
    *,
    policy_name: str,
    owner: str,
    managed_policy_arns: Sequence[Any] = (),
) -> dict[str, Any]:
    """An execution role with one inline policy of ``statements``; returns the role's
    dict, whose statement list the caller may still extend."""
    properties: dict[str, Any] = {
        "AssumeRolePolicyDocument": ASSUME_ROLE_POLICY,
        "Policies": [
            {
                "PolicyName": policy_name,
                "PolicyDocument": {"Version": "2012-10-17", "Statement": statements},
            }
        ],
    }
    if managed_policy_arns:
        properties["ManagedPolicyArns"] = list(managed_policy_arns)
    return template.add_resource(role_id, "AWS::IAM::Role", properties, owner=owner)


def role_statements(role: dict[str, Any]) -> list[dict[str, Any]]:
    """The statement list of a role made by :func:`add_execution_role`."""
    return role["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]


#: ``ctx.stash`` key: function key -> what its callers invoke (see :func:`invoke_target`).
INVOKE_TARGETS_KEY = "sparta.invoke_targets"


def invoke_target(ctx: ProvisionContext | None, function: LambdaFunction) -> Any:
    """What callers invoke ``function`` through: the first plugin's answer to
    ``sparta_invoke_target`` (an alias ARN, say), else ``None`` (the function itself).
    Asked once per function and run."""
    if ctx is None:
        return None
    from sparta_core.engine.hookcall import call_hook

    targets = ctx.stash.setdefault(INVOKE_TARGETS_KEY, {})
    if function.key not in targets:
        answers = call_hook(
            ctx.pluginmanager, "marshall", "sparta_invoke_target", firstresult=True,
            ctx=ctx, function=function, logical_id=function.logical_id,
        )
        targets[function.key] = answers[0][1] if answers else None
    return targets[function.key]
