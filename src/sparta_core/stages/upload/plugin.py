"""Built-in plugin ``upload``: artifacts to S3 under content-addressed keys.

The archive goes to ``s3://<bucket>/<service>/<sha256>.zip``, other artifacts to
``<service>/<sha256><suffix>``, always with server-side encryption. A key that is
already there holds the same bytes (its name is their hash), so it is not uploaded
again; the report says which were uploaded and which skipped.
"""

from __future__ import annotations

from sparta_core.aws import clients as aws_module
from sparta_core.aws import errors as aws_errors
from sparta_core.engine.context import Artifact, ProvisionContext, S3Location
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


@hookimpl(trylast=True)
def sparta_upload(ctx: ProvisionContext, artifacts: list[Artifact]) -> dict[str, S3Location]:
    aws = aws_module.for_context(ctx)
    bucket = aws_module.artifact_bucket(ctx)
    s3 = aws.client("s3")
    locations: dict[str, S3Location] = {}
    for artifact in artifacts:
        key = artifact_key(ctx, artifact)
        url = f"s3://{bucket}/{key}"
        try:
            if object_exists(s3, bucket, key):
                locations[artifact.name] = S3Location(bucket, key, uploaded=False)
                ctx.reporter.info(f"  upload {artifact.name}: skipped, already at {url}")
                continue
            upload = aws.client("s3", wait=aws_module.upload_wait(artifact.path.stat().st_size))
            with artifact.path.open("rb") as body:
                upload.put_object(
                    Bucket=bucket, Key=key, Body=body, ContentType=artifact.content_type,
                    ServerSideEncryption="AES256",
                    Metadata={"sparta-sha256": artifact.sha256},
                )
        except Exception as error:
            raise aws_errors.explain(error, f"uploading {artifact.name} to {url}", aws) from None
        size = artifact.path.stat().st_size
        locations[artifact.name] = S3Location(bucket, key, uploaded=True)
        ctx.reporter.info(f"  upload {artifact.name}: uploaded {size:,} bytes to {url}")
    ctx.stash["sparta.upload"] = {
        name: ("uploaded" if location.uploaded else "skipped")
        for name, location in locations.items()
    }
    return locations
