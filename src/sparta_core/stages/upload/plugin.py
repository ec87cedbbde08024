"""Built-in plugin ``upload``: artifacts to S3 under content-addressed keys.

The archive goes to ``s3://<bucket>/<service>/<sha256>.zip``, other artifacts to
``<service>/<sha256><suffix>``, always with server-side encryption. A key that is
already there holds the same bytes (its name is their hash), so it is not uploaded
again; the report says which were uploaded and which skipped.

Whether each key is there is asked first, side by side, before the stage returns: so
``ctx.locations`` (and each :class:`S3Location`'s ``uploaded``) and the report in
``ctx.stash["sparta.upload"]`` are final when it returns. The artifacts to send (the
archive of each architecture, the layer, each component's asset zip) are independent of
each other and of the template: they go up in ``ctx.background``, side by side, at most
:data:`sparta_core.aws.transfer.PARALLEL_UPLOADS` at once, each large one in multipart
pieces through boto3's transfer manager (see :mod:`sparta_core.aws.transfer`), while the
pipeline marshals, checks and uploads the template; the workflow (or the built-in
converge, just before its first CloudFormation call that changes anything) joins them.
When one fails, the run fails at the join with one line naming that file, after the
others have ended, and nothing in CloudFormation has changed. When the run ends without
them (a failure elsewhere, Ctrl-C), the artifacts not begun are not sent, and a warning
says which.
"""

from __future__ import annotations

from sparta_core.aws import clients as aws_module
from sparta_core.aws import errors as aws_errors
from sparta_core.aws import transfer
from sparta_core.engine.context import Artifact, ProvisionContext, S3Location
from sparta_core.errors import SpartaError, StoppedError
from sparta_core.hookspecs import hookimpl
from sparta_core.stages.marshall.functions import CODE_ARTIFACT, archive_key


def artifact_key(ctx: ProvisionContext, artifact: Artifact) -> str:
    if artifact.name == CODE_ARTIFACT:
        return archive_key(ctx.service.name, artifact.sha256)
    return f"{ctx.service.name}/{artifact.sha256}{artifact.path.suffix}"


#: HeadObject answers that mean "not known to be there". S3 answers 403, not 404, for a
#: missing key when the caller may not s3:ListBucket; the caller may still s3:PutObject.
NOT_KNOWN_THERE = ("404", "NoSuchKey", "NotFound", "403", "AccessDenied", "Forbidden")


def object_exists(s3: object, bucket: str, key: str) -> bool:
    """True if ``s3://bucket/key`` is known to exist. ``False`` for a 404 and for a 403
    (which may hide a missing key): keys are content-addressed, so putting an object
    that was there after all only writes the same bytes again. Anything else raises."""
    try:
        s3.head_object(Bucket=bucket, Key=key)  # type: ignore[attr-defined]
    except Exception as error:
        if aws_errors.error_code(error) in NOT_KNOWN_THERE:
            return False
        raise
    return True


def is_there(ctx: ProvisionContext, aws: aws_module.Aws, bucket: str,
             artifact: Artifact) -> S3Location:
    """Where ``artifact`` goes, and whether it must be sent (``uploaded``) or is there."""
    key = artifact_key(ctx, artifact)
    try:
        there = object_exists(aws.client("s3"), bucket, key)
    except Exception as error:
        doing = f"checking s3://{bucket}/{key} for {artifact.path.name} ({artifact.name})"
        raise aws_errors.explain(error, doing, aws) from None
    if there:
        ctx.reporter.info(f"  upload {artifact.name}: skipped, already at s3://{bucket}/{key}")
    return S3Location(bucket, key, uploaded=not there)


def upload_one(ctx: ProvisionContext, aws: aws_module.Aws, artifact: Artifact,
               location: S3Location) -> None:
    """Send one artifact to its content-addressed ``location``. A file that goes up in
    multipart pieces reports each quarter sent."""
    url = location.url
    try:
        size = artifact.path.stat().st_size
        progress = (transfer.Progress(artifact.name, size, ctx.reporter.info)
                    if size >= transfer.tuning().threshold else None)
        aws.upload_file(artifact.path, location.bucket, location.key, {
            "ContentType": artifact.content_type, "ServerSideEncryption": "AES256",
            "Metadata": {"sparta-sha256": artifact.sha256},
        }, progress=progress)
    except SpartaError:
        raise
    except Exception as error:
        doing = f"uploading {artifact.path.name} ({artifact.name}) to {url}"
        raise aws_errors.explain(error, doing, aws) from None
    ctx.reporter.info(f"  upload {artifact.name}: uploaded {size:,} bytes to {url}")


def send_all(ctx: ProvisionContext, aws: aws_module.Aws,
             sending: list[tuple[Artifact, S3Location]]) -> None:
    """Send ``sending`` side by side (the background work of the stage). Once the run
    is ending without them (``ctx.background.stopping``), an artifact not begun yet is
    not sent: that raises :class:`StoppedError` naming every one of them (when another
    upload failed too, that failure is raised, and they are named in a warning)."""
    stopped: list[str] = []

    def one(artifact: Artifact, location: S3Location) -> None:
        if ctx.background.stopping:
            stopped.append(f"{artifact.path.name} ({artifact.name})")
            return
        upload_one(ctx, aws, artifact, location)

    failure: Exception | None = None
    try:
        transfer.run_parallel([lambda a=artifact, where=location: one(a, where)
                               for artifact, location in sending])
    except Exception as error:
        failure = error
    if stopped:
        left = (f"{', '.join(sorted(stopped))} not uploaded: the run stopped first; the "
                "next run uploads "
                + ("it" if len(stopped) == 1 else "them"))
        if failure is None:
            raise StoppedError(left)
        ctx.reporter.warn(left)
    if failure is not None:
        raise failure


@hookimpl(trylast=True)
def sparta_upload(ctx: ProvisionContext, artifacts: list[Artifact]) -> dict[str, S3Location]:
    """Every artifact's location, known before it is sent; the ones not there yet go up
    in ``ctx.background``, side by side (each large one in parallel multipart pieces)."""
    aws = aws_module.for_context(ctx)
    bucket = aws_module.artifact_bucket(ctx)
    aws.client("s3")  # made once, before the threads share it (clients are thread-safe)
    transfer.tuning()  # a bad SPARTA_MULTIPART_THRESHOLD fails here, before anything is sent
    found = transfer.run_parallel(
        [lambda a=artifact: is_there(ctx, aws, bucket, a) for artifact in artifacts])
    locations = {artifact.name: location
                 for artifact, location in zip(artifacts, found, strict=True)}
    sending = [(artifact, location) for artifact, location in zip(artifacts, found,
                                                                   strict=True)
               if location.uploaded]
    if sending:
        ctx.background.start("artifact uploads", lambda: send_all(ctx, aws, sending))
    ctx.stash["sparta.upload"] = {
        name: ("uploaded" if location.uploaded else "skipped")
        for name, location in locations.items()
    }
    return locations
