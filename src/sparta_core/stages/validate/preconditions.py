"""Built-in plugin ``preconditions``: what AWS must already hold, checked before anything
is built or changed (skipped with ``--noop``, which touches no AWS).

* The artifact bucket exists and is reachable, in the stack's region (also on an
  endpoint override that reports bucket regions). A missing bucket is an error that
  names it; sparta never creates one on AWS or on an endpoint override. With ``--local``
  a missing bucket (the default one, or a configured one) is created on the local
  endpoint instead, since that endpoint is sparta's own sandbox; a configured one is
  reported with a warning.
* Every role named by string (``role="name-or-arn"``) exists; each is looked up once,
  and the answers are kept in ``ctx.stash["sparta.roles"]`` (name -> ARN).
* What event sources name outside the stack exists (a bucket an ``S3Event`` notifies
  from), so that the stack does not fail half-way through its create.
* The stack's current state is known (``ctx.stash["sparta.stack"]``, ``None`` if there is
  no stack), and a stack that needs a human first (``DELETE_FAILED``...) stops the run
  here; so does ``UPDATE_ROLLBACK_FAILED``, explained, unless ``provision`` can get
  consent to continue the rollback (``--yes`` or a terminal). So does a failed first create
  (``ROLLBACK_COMPLETE``) when ``provision`` could not get consent to replace it.
"""

from __future__ import annotations

from sparta_core.aws import clients as aws_module
from sparta_core.aws import errors as aws_errors
from sparta_core.engine.context import ProvisionContext
from sparta_core.errors import (
    PreconditionError,
    )
from sparta_core.hookspecs import hookimpl

ROLES_KEY = "sparta.roles"
STACK_KEY = "sparta.stack"


def role_name(role: str) -> str:
    """The role name from a name or an ARN (``arn:aws:iam::1:role/path/name`` -> ``name``)."""
    if role.startswith("arn:"):
        return role.rsplit("/", 1)[-1]
    return role


MISSING_BUCKET = ("404", "NoSuchBucket", "NotFound")


def check_bucket(ctx: ProvisionContext, aws: aws_module.Aws) -> str:
    """The artifact bucket, checked to exist in the stack's region (created with
    ``--local`` only, on the local endpoint). This is a command's first AWS call, so it
    is made with :meth:`~sparta_core.aws.clients.Aws.probe_client`: an unreachable endpoint
    fails in seconds."""
    bucket = aws_module.artifact_bucket(ctx)
    s3 = aws.probe_client("s3")
    try:
        response = s3.head_bucket(Bucket=bucket)
    except Exception as error:
        code = aws_errors.error_code(error)
        if code in MISSING_BUCKET and aws.local:
            return create_local_bucket(ctx, aws, bucket)
        if code in MISSING_BUCKET:
            raise PreconditionError(
                f"artifact bucket '{bucket}' does not exist on {aws.describe_target()}; "
                "create it (sparta does not) or set s3-bucket to one that exists"
            ) from None
        if code in ("403", "AccessDenied", "Forbidden"):
            raise PreconditionError(
                f"artifact bucket '{bucket}' is not reachable with these credentials "
                "(403 Forbidden)"
            ) from None
        raise aws_errors.explain(error, f"checking artifact bucket '{bucket}'", aws) from None
    found = bucket_region(aws, bucket, response)
    if found and found != aws.region:
        raise PreconditionError(
            f"artifact bucket '{bucket}' is in {found}, the stack in {aws.region}; "
            "Lambda reads code only from a bucket in the function's region"
        )
    return bucket


def bucket_region(aws: aws_module.Aws, bucket: str, head: dict[str, object]) -> str | None:
    """The bucket's region: from HeadBucket's ``x-amz-bucket-region`` header (AWS always
    sends it), else, on an endpoint override, from GetBucketLocation; ``None`` if the
    endpoint says neither."""
    metadata = head.get("ResponseMetadata")
    headers = metadata.get("HTTPHeaders", {}) if isinstance(metadata, dict) else {}
    region = headers.get("x-amz-bucket-region")
    if region:
        return str(region)
    if not aws.endpoint_url:
        return None
    try:
        constraint = aws.client("s3").get_bucket_location(Bucket=bucket).get(
            "LocationConstraint")
    except Exception:
        # An emulator without GetBucketLocation: nothing to check against.
        return None
    # No constraint means us-east-1; "EU" is the legacy name of eu-west-1.
    return {None: "us-east-1", "": "us-east-1", "EU": "eu-west-1"}.get(constraint, constraint)


def create_local_bucket(ctx: ProvisionContext, aws: aws_module.Aws, bucket: str) -> str:
    """Create a missing artifact bucket on the local endpoint (``--local`` only), and
    say so: the local endpoint is a sandbox, so a project keeps its real bucket name in
    its configuration and gets a bucket of that name there."""
    from sparta_core.aws import local

    local.ensure_bucket(aws, bucket)
    if ctx.settings.s3_bucket:
        ctx.reporter.warn(
            f"artifact bucket '{bucket}' did not exist on the local endpoint; created it "
            f"there, in {aws.region} (--local only: sparta never creates a bucket on AWS)"
        )
    else:
        ctx.reporter.info(f"  created artifact bucket {bucket} on the local endpoint")
    return bucket


def check_roles(ctx: ProvisionContext, aws: aws_module.Aws) -> dict[str, str]:
    known: dict[str, str] = ctx.stash.setdefault(ROLES_KEY, {})
    for function in ctx.service.functions.values():
        role = function.existing_role
        if role is None:
            continue
        name = role_name(role)
        if name in known:
            continue
        try:
            known[name] = aws.client("iam").get_role(RoleName=name)["Role"]["Arn"]
        except Exception as error:
            if aws_errors.error_code(error) == "NoSuchEntity":
                raise PreconditionError(
                    f"function '{function.key}': role '{role}' does not exist on "
                    f"{aws.describe_target()}"
                ) from None
            raise aws_errors.explain(
                error, f"function '{function.key}': looking up role '{role}'", aws
            ) from None
    return known


def check_existing_targets(ctx: ProvisionContext, aws: aws_module.Aws) -> None:
    """What event sources name outside the stack (a bucket to notify from) exists: else
    the stack would fail, and roll back, half-way through its create."""
    checked: set[tuple[str, str]] = set()
    needs: list[tuple[str, str, str]] = []  # (who, kind, name), in declaration order
    for function in ctx.service.functions.values():
        for event in function.events:
            who = f"function '{function.key}': {type(event).__name__}"
            needs.extend((who, kind, name) for kind, name in event.existing_resources())
    for component in ctx.service.components:
        needs.extend((component.what, kind, name) for kind, name in component.existing_resources())
    for who, kind, name in needs:
        if kind != "s3-bucket" or (kind, name) in checked:
            continue
        checked.add((kind, name))
        try:
            aws.client("s3").head_bucket(Bucket=name)
        except Exception as error:
            if aws_errors.error_code(error) in MISSING_BUCKET:
                raise PreconditionError(
                    f"{who} bucket '{name}' does not exist on {aws.describe_target()} "
                    "(declare it with service.resource(...) for the stack to own it)"
                ) from None
            if aws_errors.error_code(error) in ("403", "AccessDenied", "Forbidden"):
                continue  # someone else's bucket: CloudFormation will tell
            raise aws_errors.explain(error, f"checking bucket '{name}'", aws) from None


def check_stack(ctx: ProvisionContext, aws: aws_module.Aws) -> None:
    from sparta_core.stages.converge.executor import interactive
    from sparta_core.stages.converge.state import (
        FAILED_CREATE,
        ROLLBACK_FAILED,
        blocked_reason,
        read_stack,
    )

    try:
        state = read_stack(aws.client("cloudformation"), ctx.stack_name)
    except Exception as error:
        raise aws_errors.explain(error, f"reading stack {ctx.stack_name}", aws) from None
    ctx.stash[STACK_KEY] = state
    if state is None:
        return
    if state.status == ROLLBACK_FAILED:
        # provision recovers it with consent; without a way to get one, say what to run.
        if ctx.command == "provision" and (ctx.settings.yes or interactive()):
            return
        from sparta_core.stages.converge.recovery import explain

        try:
            why = explain(aws.client("cloudformation"), state, aws.region)
        except Exception as error:
            raise aws_errors.explain(error, f"reading stack {ctx.stack_name}", aws) from None
        raise PreconditionError(why)
    blocked = blocked_reason(state, aws.region)
    if blocked:
        raise PreconditionError(blocked)
    if (
        ctx.command == "provision"
        and state.status in FAILED_CREATE
        and not ctx.settings.yes
        and not interactive()
    ):
        raise PreconditionError(
            f"stack {state.name} is in {state.status} (its first create failed and it runs "
            "nothing); `sparta provision --yes` deletes it and creates it again, "
            "`sparta status` shows why it failed"
        )


# trylast: AWS is asked only once the model checks (tryfirst) and every plugin's checks
# have passed, so a malformed service fails without a network call.
@hookimpl(trylast=True)
def sparta_validate_service(ctx: ProvisionContext) -> None:
    if ctx.settings.noop:
        return
    aws = aws_module.for_context(ctx)
    check_bucket(ctx, aws)
    check_roles(ctx, aws)
    check_existing_targets(ctx, aws)
    check_stack(ctx, aws)
