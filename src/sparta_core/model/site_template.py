"""The template an ``S3Site`` becomes; :meth:`S3Site.contribute` calls :func:`add_site`.

For ``S3Site("site/")`` (logical IDs start with the site's name, ``Site``):

- ``SiteBucket``: encrypted, ACLs off; with ``public=True`` a website configuration and
  Block Public Access relaxed for its bucket policy only;
- ``SiteBucketPolicy`` (public sites only): anyone may read the objects;
- ``SiteContents``, a ``Custom::SpartaS3Site`` whose provider copies the site's zip (the
  asset ``site``, uploaded beside the code archive) into the bucket;
- outputs ``SiteURL`` (public sites only) and ``SiteBucketName``.

With ``public=False`` the bucket stays private: no website, no policy, all of Block
Public Access on. Template building is data: no I/O here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sparta_core.model.naming import logical_id
from sparta_core.model.refs import to_cfn

if TYPE_CHECKING:
    from sparta_core.model.component import ComponentWiring
    from sparta_core.model.site import S3Site

#: The custom resource type that copies a site's files (registered by the built-in
#: ``custom-resources`` plugin).
TYPE_NAME = "SpartaS3Site"


def bucket_arn(bucket: Any, suffix: str = "") -> dict[str, Any]:
    parts: list[Any] = ["arn:", {"Ref": "AWS::Partition"}, ":s3:::", bucket]
    if suffix:
        parts.append(suffix)
    return {"Fn::Join": ["", parts]}


def bucket_properties(service_name: str, site: S3Site) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "BucketEncryption": {"ServerSideEncryptionConfiguration": [
            {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]},
        # Objects belong to the bucket owner and ACLs are ignored: only the bucket policy
        # decides who reads.
        "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
        "Tags": [{"Key": "sparta:service", "Value": service_name}],
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


def add_site(wiring: ComponentWiring, site: S3Site) -> None:
    """Write ``site`` into ``wiring.template`` (see the module docstring)."""
    prefix = site.logical_id
    bucket_id = logical_id(prefix, "Bucket")
    policy_id = logical_id(prefix, "BucketPolicy")
    wiring.add_resource(
        bucket_id, "AWS::S3::Bucket", bucket_properties(wiring.service.name, site)
    )
    bucket = {"Ref": bucket_id}
    depends_on: list[str] = []
    if site.public:
        wiring.add_resource(policy_id, "AWS::S3::BucketPolicy", {
            "Bucket": bucket,
            "PolicyDocument": {"Version": "2012-10-17", "Statement": [{
                "Sid": "PublicReadForWebsite",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": bucket_arn(bucket, "/*"),
            }]},
        })
        # The files arrive once they are readable, so the site never serves 403s.
        depends_on.append(policy_id)
    source_bucket, source_key = wiring.location(site.name)
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
    wiring.add_custom_resource(
        TYPE_NAME, logical_id(prefix, "Contents"), properties, **attributes
    )
    if site.public:
        wiring.add_output(logical_id(prefix, "URL"), {"Fn::GetAtt": [bucket_id, "WebsiteURL"]},
                          description="URL of the static site")
    wiring.add_output(logical_id(prefix, "BucketName"), bucket,
                      description="S3 bucket of the static site")
