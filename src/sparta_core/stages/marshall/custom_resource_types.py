"""Built-in plugin ``custom-resources``: the custom resource types sparta's own event
sources need, registered through the same hook any plugin uses.

- ``SpartaS3BucketNotification``: adds one function's notification to a bucket the stack
  does not own (``sparta_runtime.s3_notification``).
- ``SpartaCodeCommitTrigger``: adds one trigger to a repository
  (``sparta_runtime.codecommit_trigger``).
- ``SpartaS3Site``: copies an ``S3Site``'s zip into its bucket (``sparta_runtime.s3_site``);
  its provider's role may read the one site zip and write, list and delete in the one
  site bucket.

Each type's statements are scoped to the one bucket or repository a resource names.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sparta_core.hookspecs import hookimpl
from sparta_core.model.site_template import bucket_arn
from sparta_core.stages.marshall.custom_resources import CustomResourceRegistry, CustomResourceType


def _s3_statements(properties: Mapping[str, Any]) -> list[dict[str, Any]]:
    bucket_arn = {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":s3:::",
                                    properties["Bucket"]]]}
    return [{
        "Effect": "Allow",
        "Action": ["s3:GetBucketNotification", "s3:PutBucketNotification"],
        "Resource": bucket_arn,
    }]


def _codecommit_statements(properties: Mapping[str, Any]) -> list[dict[str, Any]]:
    repository_arn = {"Fn::Join": ["", [
        "arn:", {"Ref": "AWS::Partition"}, ":codecommit:", {"Ref": "AWS::Region"}, ":",
        {"Ref": "AWS::AccountId"}, ":", properties["Repository"],
    ]]}
    return [{
        "Effect": "Allow",
        "Action": ["codecommit:GetRepositoryTriggers", "codecommit:PutRepositoryTriggers"],
        "Resource": repository_arn,
    }]


def _site_statements(properties: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Read the one site zip; list, put and delete in the one site bucket."""
    bucket = properties["Bucket"]
    return [
        {"Effect": "Allow", "Action": "s3:GetObject",
         "Resource": bucket_arn(properties["SourceBucket"], "/" + properties["SourceKey"])},
        {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": bucket_arn(bucket)},
        {"Effect": "Allow", "Action": ["s3:PutObject", "s3:DeleteObject"],
         "Resource": bucket_arn(bucket, "/*")},
    ]


S3_BUCKET_NOTIFICATION = CustomResourceType(
    name="SpartaS3BucketNotification",
    handler="sparta_runtime.s3_notification.handler",
    statements=_s3_statements,
    description="sparta: Lambda notifications on buckets the stack does not own",
    timeout=120,
)
CODECOMMIT_TRIGGER = CustomResourceType(
    name="SpartaCodeCommitTrigger",
    handler="sparta_runtime.codecommit_trigger.handler",
    statements=_codecommit_statements,
    description="sparta: CodeCommit repository triggers",
    timeout=120,
)

S3_SITE = CustomResourceType(
    name="SpartaS3Site",
    handler="sparta_runtime.s3_site.handler",
    statements=_site_statements,
    description="sparta: copies the static site's files into its bucket",
    timeout=300,
    memory_size=512,
)


@hookimpl
def sparta_custom_resource_types(register: CustomResourceRegistry) -> None:
    register.add(S3_BUCKET_NOTIFICATION)
    register.add(CODECOMMIT_TRIGGER)
    register.add(S3_SITE)
