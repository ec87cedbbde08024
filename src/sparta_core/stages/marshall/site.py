"""Built-in plugin ``site``: ``Service(..., site=sparta.S3Site("site/"))``.

As Sparta does it: the site's folder is zipped, the zip is uploaded beside the code
archive, and a custom resource copies its files into a bucket the stack owns.

- ``sparta_validate_service``: the ``S3Site`` is checked against the project (the
  folder exists and holds the index document), before anything is built.
- ``sparta_post_build``: the site's folder leaves the code archive (it is not code, and
  a changed stylesheet must not redeploy every function) and is written as its own
  deterministic zip, ``.sparta/<service>-site.zip``, added to ``ctx.extra_artifacts``
  as ``site``; the upload stage puts it at ``<service>/<sha256>.zip`` and skips it when
  it is already there.
- ``sparta_decorate_service``: the bucket (``SiteBucket``: website configuration, Block
  Public Access relaxed for its bucket policy only, ACLs off), the public-read policy
  (``SiteBucketPolicy``), the ``Custom::SpartaS3Site`` resource (``SiteContents``)
  whose provider copies the zip into the bucket, and the outputs ``SiteURL`` and
  ``SiteBucketName``. With ``public=False`` the bucket stays private: no website, no
  policy, all of Block Public Access on.
- ``sparta_custom_resource_types``: registers ``SpartaS3Site``; its provider's role may
  read the one site zip and write, list and delete in the one site bucket.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sparta_core.engine.context import Artifact, BuildResult, ProvisionContext
from sparta_core.engine.template import Template
from sparta_core.errors import ServiceDefinitionError, StageError
from sparta_core.hookspecs import hookimpl
from sparta_core.model.refs import to_cfn
from sparta_core.model.site import S3Site
from sparta_core.stages.marshall.custom_resources import (
    CustomResourceRegistry,
    CustomResourceType,
    add_custom_resource,
)

SITE_ARTIFACT = "site"
TYPE_NAME = "SpartaS3Site"
BUCKET_ID = "SiteBucket"
POLICY_ID = "SiteBucketPolicy"
CONTENTS_ID = "SiteContents"
URL_OUTPUT = "SiteURL"
BUCKET_OUTPUT = "SiteBucketName"
OWNER = "the site (S3Site)"
STASH_KEY = "sparta.site"
#: The provider downloads the zip to Lambda's /tmp (512 MB by default).
MAX_ZIPPED = 400 * 1024 * 1024


def site_of(ctx: ProvisionContext) -> S3Site | None:
    """The service's site; anything but an ``S3Site`` is a definition error."""
    site = ctx.service.site
    if site is None or isinstance(site, S3Site):
        return site
    raise ServiceDefinitionError(
        f"service '{ctx.service.name}': site must be a sparta.S3Site, got "
        f"{type(site).__name__}"
    )


def site_archive_path(ctx: ProvisionContext) -> Any:
    return ctx.work_dir / f"{ctx.service.name}-site.zip"


def _bucket_arn(bucket: Any, suffix: str = "") -> dict[str, Any]:
    parts: list[Any] = ["arn:", {"Ref": "AWS::Partition"}, ":s3:::", bucket]
    if suffix:
        parts.append(suffix)
    return {"Fn::Join": ["", parts]}


def site_statements(properties: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Read the one site zip; list, put and delete in the one site bucket."""
    bucket = properties["Bucket"]
    return [
        {"Effect": "Allow", "Action": "s3:GetObject",
         "Resource": _bucket_arn(properties["SourceBucket"], "/" + properties["SourceKey"])},
        {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": _bucket_arn(bucket)},
        {"Effect": "Allow", "Action": ["s3:PutObject", "s3:DeleteObject"],
         "Resource": _bucket_arn(bucket, "/*")},
    ]


SITE_TYPE = CustomResourceType(
    name=TYPE_NAME,
    handler="sparta_runtime.s3_site.handler",
    statements=site_statements,
    description="sparta: copies the static site's files into its bucket",
    timeout=300,
    memory_size=512,
)


@hookimpl
def sparta_custom_resource_types(register: CustomResourceRegistry) -> None:
    register.add(SITE_TYPE)


@hookimpl
def sparta_validate_service(ctx: ProvisionContext) -> None:
    site = site_of(ctx)
    if site is not None:
        site.validate(ctx.project_dir)


@hookimpl
def sparta_post_build(ctx: ProvisionContext, build: BuildResult) -> None:
    from sparta_core.stages.package.archive import ArchiveWriter

    site = site_of(ctx)
    if site is None:
        return
    prefix = site.path + "/"
    for name in [name for name in build.sources if name.startswith(prefix)]:
        del build.sources[name]
    writer = ArchiveWriter(site_archive_path(ctx))
    files = site.files(ctx.project_dir)
    for name, path in files.items():
        writer.add_file(name, path, origin=f"site file {prefix}{name}")
    archive = writer.close()
    if archive.size > MAX_ZIPPED:
        raise StageError(
            "build", f"{archive.path.name} is {archive.size / 1e6:.1f} MB; the site's "
            f"provider unpacks it in Lambda's /tmp, so at most {MAX_ZIPPED // 2**20} MB"
        )
    ctx.stash[STASH_KEY] = archive
    ctx.extra_artifacts.append(Artifact(SITE_ARTIFACT, archive.path, archive.sha256))
    ctx.reporter.detail(f"site: {len(files)} files of {prefix} zipped")


def site_location(ctx: ProvisionContext, template: Template) -> tuple[Any, str]:
    """Bucket and key of the site's zip: the uploaded location, else where the upload
    stage will put it, in the code archive's bucket (or its ``ArtifactBucket``
    parameter when no bucket is configured)."""
    from sparta_core.stages.marshall.functions import archive_key, code_location

    location = ctx.locations.get(SITE_ARTIFACT)
    if location is not None:
        return location.bucket, location.key
    archive = ctx.stash.get(STASH_KEY)
    if archive is None:
        raise StageError("marshall", "the site's zip was not built (sparta_post_build)")
    bucket = code_location(ctx, template)["S3Bucket"]
    return bucket, archive_key(ctx.service.name, archive.sha256)


def bucket_properties(ctx: ProvisionContext, site: S3Site) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "BucketEncryption": {"ServerSideEncryptionConfiguration": [
            {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]},
        # Objects belong to the bucket owner and ACLs are ignored: only the bucket policy
        # decides who reads.
        "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
        "Tags": [{"Key": "sparta:service", "Value": ctx.service.name}],
    }
    if site.bucket_name:
        properties["BucketName"] = site.bucket_name
    if site.public:
        website: dict[str, Any] = {"IndexDocument": site.index_document}
        if site.error_document:
            website["ErrorDocument"] = site.error_document
        properties["WebsiteConfiguration"] = website
        # New buckets block public access by default; the website's bucket policy is
        # public on purpose, so only the policy settings are relaxed.
        properties["PublicAccessBlockConfiguration"] = {
            "BlockPublicAcls": True, "IgnorePublicAcls": True,
            "BlockPublicPolicy": False, "RestrictPublicBuckets": False,
        }
    else:
        properties["PublicAccessBlockConfiguration"] = {
            "BlockPublicAcls": True, "IgnorePublicAcls": True,
            "BlockPublicPolicy": True, "RestrictPublicBuckets": True,
        }
    return properties


@hookimpl
def sparta_decorate_service(ctx: ProvisionContext, template: Template) -> None:
    site = site_of(ctx)
    if site is None:
        return
    template.add_resource(BUCKET_ID, "AWS::S3::Bucket", bucket_properties(ctx, site),
                          owner=OWNER)
    bucket = {"Ref": BUCKET_ID}
    depends_on: list[str] = []
    if site.public:
        template.add_resource(POLICY_ID, "AWS::S3::BucketPolicy", {
            "Bucket": bucket,
            "PolicyDocument": {"Version": "2012-10-17", "Statement": [{
                "Sid": "PublicReadForWebsite",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": _bucket_arn(bucket, "/*"),
            }]},
        }, owner=OWNER)
        # The files arrive once they are readable, so the site never serves 403s.
        depends_on.append(POLICY_ID)
    source_bucket, source_key = site_location(ctx, template)
    properties: dict[str, Any] = {
        "Bucket": bucket,
        "SourceBucket": source_bucket,
        "SourceKey": source_key,
    }
    if site.cache_control:
        properties["CacheControl"] = [
            {"Pattern": pattern, "Value": value}
            for pattern, value in site.cache_control.items()  # type: ignore[union-attr]
        ]
    if site.config is not None:
        properties["Config"] = to_cfn(dict(site.config))
        properties["ConfigFile"] = site.config_file
    attributes: dict[str, Any] = {"DependsOn": depends_on} if depends_on else {}
    add_custom_resource(ctx, template, TYPE_NAME, CONTENTS_ID, properties, owner=OWNER,
                        **attributes)
    if site.public:
        template.add_output(URL_OUTPUT, {"Fn::GetAtt": [BUCKET_ID, "WebsiteURL"]},
                            description="URL of the static site")
    template.add_output(BUCKET_OUTPUT, bucket, description="S3 bucket of the static site")
