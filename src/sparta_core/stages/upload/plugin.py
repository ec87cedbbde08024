"""Built-in plugin ``upload``: artifacts to S3 under content-addressed keys.

The archive goes to ``s3://<bucket>/<service>/<sha256>.zip``, other artifacts to
``<service>/<sha256><suffix>``, always with server-side encryption. A key that is
already there holds the same bytes (its name is their hash), so it is not uploaded
again; the report says which were uploaded and which skipped.

The artifacts (the archive of each architecture, the layer, each component's asset zip)
are independent: they go up side by side, at most
:data:`sparta_core.aws.transfer.PARALLEL_UPLOADS` at once, each large one in multipart
pieces through boto3's transfer manager (see :mod:`sparta_core.aws.transfer`). When one
fails, the stage fails with one line naming that file, after the others have ended, and
records nothing: no locations, no report.
"""

from __future__ import annotations

from sparta_core.aws import clients as aws_module
from sparta_core.aws import errors as aws_errors
from sparta_core.aws import transfer
from sparta_core.engine.context import Artifact, ProvisionContext, S3Location
from sparta_core.errors import SpartaError
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


def upload_one(ctx: ProvisionContext, aws: aws_module.Aws, bucket: str,
               artifact: Artifact) -> S3Location:
    """One artifact to its content-addressed key, unless it is already there. A file
    that goes up in multipart pieces reports each quarter sent."""
    key = artifact_key(ctx, artifact)
    url = f"s3://{bucket}/{key}"
    try:
        if object_exists(aws.client("s3"), bucket, key):
            ctx.reporter.info(f"  upload {artifact.name}: skipped, already at {url}")
            return S3Location(bucket, key, uploaded=False)
        size = artifact.path.stat().st_size
        progress = (transfer.Progress(artifact.name, size, ctx.reporter.info)
                    if size >= transfer.tuning().threshold else None)
        aws.upload_file(artifact.path, bucket, key, {
            "ContentType": artifact.content_type, "ServerSideEncryption": "AES256",
            "Metadata": {"sparta-sha256": artifact.sha256},
        }, progress=progress)
    except SpartaError:
        raise
    except Exception as error:
        doing = f"uploading {artifact.path.name} ({artifact.name}) to {url}"
        raise aws_errors.explain(error, doing, aws) from None
    ctx.reporter.info(f"  upload {artifact.name}: uploaded {size:,} bytes to {url}")
    return S3Location(bucket, key, uploaded=True)


@hookimpl(trylast=True)
def sparta_upload(ctx: ProvisionContext, artifacts: list[Artifact]) -> dict[str, S3Location]:
    """Every artifact, side by side (each large one in parallel multipart pieces)."""
    aws = aws_module.for_context(ctx)
    bucket = aws_module.artifact_bucket(ctx)
    aws.client("s3")  # made once, before the threads share it (clients are thread-safe)
    results = transfer.run_parallel(
        [lambda a=artifact: upload_one(ctx, aws, bucket, a) for artifact in artifacts])
    locations = {artifact.name: location for artifact, location in zip(artifacts, results,
                                                                         strict=True)}
    ctx.stash["sparta.upload"] = {
        name: ("uploaded" if location.uploaded else "skipped")
        for name, location in locations.items()
    }
    return locations
