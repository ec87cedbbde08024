"""``S3Event``: object events of a bucket.

A bucket the stack declares gets the notification in its own
``NotificationConfiguration``. S3 checks that it may invoke the function when that
configuration is written, so the bucket must ``DependsOn`` the permission; the permission
therefore cannot ``Ref`` the bucket (that would make a cycle: bucket, permission,
function... bucket), and its ``SourceArn`` is built from the bucket's *name* with
``Fn::Sub``. A bucket without a ``BucketName`` gets one, derived from the service and the
bucket's logical ID plus the account and region, so that it is known before the bucket
exists. For the same reason the function's discovery entry for the bucket carries
that name rather than a ``Ref``.

An existing bucket (a name or ARN string, or a reference to something the stack does not
declare) is configured through the ``SpartaS3BucketNotification`` custom resource,
which merges this function's configuration into the bucket's notifications and removes
it again on delete.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import KW_ONLY, dataclass
from typing import Any, ClassVar

from sparta_core.model.events import EventSource, FunctionWiring
from sparta_core.model.refs import Value, to_cfn
from sparta_core.model.sources._common import (
    SourceError,
    brief,
    check_target,
    expect_type,
    permission,
    resolve,
)

S3_BUCKET = "AWS::S3::Bucket"
NOTIFICATION_TYPE = "SpartaS3BucketNotification"
#: The event types S3 can send to Lambda (S3 User Guide, "Supported event types").
S3_EVENT_TYPES = (
    "s3:ObjectCreated:*", "s3:ObjectCreated:Put", "s3:ObjectCreated:Post",
    "s3:ObjectCreated:Copy", "s3:ObjectCreated:CompleteMultipartUpload",
    "s3:ObjectRemoved:*", "s3:ObjectRemoved:Delete", "s3:ObjectRemoved:DeleteMarkerCreated",
    "s3:ObjectRestore:*", "s3:ObjectRestore:Post", "s3:ObjectRestore:Completed",
    "s3:ObjectRestore:Delete", "s3:ReducedRedundancyLostObject",
    "s3:Replication:*", "s3:Replication:OperationFailedReplication",
    "s3:Replication:OperationMissedThreshold", "s3:Replication:OperationReplicatedAfterThreshold",
    "s3:Replication:OperationNotTracked", "s3:LifecycleExpiration:*",
    "s3:LifecycleExpiration:Delete", "s3:LifecycleExpiration:DeleteMarkerCreated",
    "s3:LifecycleTransition", "s3:IntelligentTiering", "s3:ObjectTagging:*",
    "s3:ObjectTagging:Put", "s3:ObjectTagging:Delete", "s3:ObjectAcl:Put",
)
BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
BUCKET_ARN = re.compile(r"arn:aws[a-z-]*:s3:::([^/]+)")


def _sub_fragment(value: Any, what: str) -> str:
    """A bucket name as text inside ``Fn::Sub`` (literal, Sub string or parameter Ref)."""
    if isinstance(value, str):
        return value.replace("${", "${!")
    sub = value.get("Fn::Sub") if isinstance(value, Mapping) and len(value) == 1 else None
    if isinstance(sub, str):
        return sub
    if isinstance(value, Mapping) and set(value) == {"Ref"} and isinstance(value["Ref"], str):
        return "${" + value["Ref"] + "}"
    raise SourceError(
        f"{what}: its BucketName must be a string, a Sub or a parameter Ref, so that the "
        "permission can name the bucket without referring to it"
    )


def generated_bucket_name(service: str, bucket_id: str) -> str:
    """A deterministic, valid name for a bucket the user left unnamed (Fn::Sub text)."""
    stem = re.sub(r"[^a-z0-9-]+", "-", f"{service}-{bucket_id}".lower()).strip("-")
    # 63 at most: 12 for the account, up to 14 for the region, two hyphens.
    return f"{stem[:35].rstrip('-')}-${{AWS::AccountId}}-${{AWS::Region}}"


@dataclass
class S3Event(EventSource):
    """Object events (``events``, default ``s3:ObjectCreated:*``) of ``bucket``, for keys
    starting with ``prefix`` and ending with ``suffix``.

    ``bucket``: ``Ref``/``GetAtt`` to an ``AWS::S3::Bucket`` of the stack, or the name or
    ARN of an existing bucket.
    """

    bucket: Value
    _: KW_ONLY
    events: Sequence[str] = ("s3:ObjectCreated:*",)
    prefix: str | None = None
    suffix: str | None = None

    kind: ClassVar[str] = "S3"

    def describe(self) -> str:
        return f"S3Event(bucket={brief(self.bucket)})"

    def existing_resources(self) -> list[tuple[str, str]]:
        if isinstance(self.bucket, str):
            return [("s3-bucket", self._literal_name(self.bucket))]
        return []

    def validate(self) -> None:
        check_target(self.bucket, "bucket")
        if isinstance(self.bucket, str):
            name = self._literal_name(self.bucket)
            if not BUCKET_NAME.fullmatch(name):
                raise SourceError(f"bucket {self.bucket!r} is not a valid S3 bucket name or ARN")
        events = (self.events,) if isinstance(self.events, str) else self.events
        if not isinstance(events, Sequence) or not events:
            raise SourceError("events must name at least one S3 event type")
        for event in events:
            if event not in S3_EVENT_TYPES:
                raise SourceError(
                    f"events: {event!r} is not an S3 event type (such as s3:ObjectCreated:*)"
                )
        self.events = tuple(events)
        for option in ("prefix", "suffix"):
            value = getattr(self, option)
            if value is not None and (not isinstance(value, str) or not value or len(value) > 1024):
                raise SourceError(f"{option} must be a non-empty string of at most 1024 characters")

    @staticmethod
    def _literal_name(bucket: str) -> str:
        match = BUCKET_ARN.fullmatch(bucket)
        return match.group(1) if match else bucket

    def _filter(self) -> dict[str, Any] | None:
        rules = [{"Name": option, "Value": getattr(self, option)}
                 for option in ("prefix", "suffix") if getattr(self, option)]
        return {"S3Key": {"Rules": rules}} if rules else None

    def contribute(self, wiring: FunctionWiring, index: int) -> None:
        target = resolve(wiring, self.bucket)
        expect_type(target, [S3_BUCKET], "bucket")
        if target.owned and target.logical_id:
            self._owned_bucket(wiring, index, target.logical_id)
        else:
            self._existing_bucket(wiring, index, target.literal, target.value)

    # -- a bucket of this stack ------------------------------------------------------------

    def _owned_bucket(self, wiring: FunctionWiring, index: int, bucket_id: str) -> None:
        owner = f"{self.describe()} of function '{wiring.function.key}'"
        bucket = wiring.template.resources[bucket_id]
        properties = bucket.setdefault("Properties", {})
        if "BucketName" not in properties:
            service = wiring.ctx.service.name if wiring.ctx is not None else "sparta"
            properties["BucketName"] = {"Fn::Sub": generated_bucket_name(service, bucket_id)}
        name = _sub_fragment(properties["BucketName"], f"bucket '{bucket_id}'")
        source_arn = {"Fn::Sub": f"arn:${{AWS::Partition}}:s3:::{name}"}
        permission_id = wiring.child_id(self.kind, str(index), "Permission")
        permission(wiring, permission_id, "s3.amazonaws.com", source_arn,
                   source_account=True, owner=owner)
        notifications = properties.setdefault("NotificationConfiguration", {})
        lambdas = notifications.setdefault("LambdaConfigurations", [])
        for event in self.events:
            configuration: dict[str, Any] = {"Event": event, "Function": wiring.function_arn}
            key_filter = self._filter()
            if key_filter:
                configuration["Filter"] = key_filter
            _check_overlap(lambdas, configuration, bucket_id)
            lambdas.append(configuration)
        depends = bucket.get("DependsOn", [])
        depends = [depends] if isinstance(depends, str) else list(depends)
        bucket["DependsOn"] = [*depends, permission_id]
        wiring.expose(bucket_id, {"Ref": name, "Arn": f"arn:${{AWS::Partition}}:s3:::{name}"})

    # -- an existing bucket -----------------------------------------------------------------

    def _existing_bucket(
        self, wiring: FunctionWiring, index: int, literal: str | None, value: Any
    ) -> None:
        if wiring.ctx is None:
            raise SourceError("an S3Event on an existing bucket needs the run's context")
        owner = f"{self.describe()} of function '{wiring.function.key}'"
        bucket_name: Any = self._literal_name(literal) if literal is not None else to_cfn(value)
        source_arn = {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":s3:::", bucket_name]]}
        permission_id = wiring.child_id(self.kind, str(index), "Permission")
        permission(wiring, permission_id, "s3.amazonaws.com", source_arn,
                   source_account=True, owner=owner)
        properties: dict[str, Any] = {
            "Bucket": bucket_name,
            "Id": {"Fn::Sub": f"${{AWS::StackName}}-{wiring.child_id(self.kind, str(index))}"},
            "FunctionArn": wiring.function_arn,
            "Events": list(self.events),
        }
        for option in ("prefix", "suffix"):
            if getattr(self, option):
                properties[option.capitalize()] = getattr(self, option)
        # Notifications of one bucket are read, changed and written whole: resources
        # on the same bucket go one after the other, never in parallel.
        depends = [permission_id, *wiring.after_the_last(
            NOTIFICATION_TYPE, "Bucket", bucket_name)]
        wiring.add_custom_resource(
            NOTIFICATION_TYPE,
            wiring.child_id(self.kind, str(index), "Notification"), properties,
            owner=owner, DependsOn=depends,
        )


def _check_overlap(existing: list[dict[str, Any]], new: dict[str, Any], bucket_id: str) -> None:
    """S3 refuses two configurations of one bucket whose event types and key filters
    overlap; say so here, naming the bucket, instead of at deploy time."""

    def rules(configuration: dict[str, Any]) -> dict[str, str]:
        found = configuration.get("Filter", {}).get("S3Key", {}).get("Rules", [])
        return {rule["Name"]: rule["Value"] for rule in found}

    def events_overlap(a: str, b: str) -> bool:
        return a == b or (a.endswith("*") and b.startswith(a[:-1])) or (
            b.endswith("*") and a.startswith(b[:-1]))

    def affix_overlap(a: str | None, b: str | None, prefix: bool) -> bool:
        if a is None or b is None:
            return True
        return a.startswith(b) or b.startswith(a) if prefix else a.endswith(b) or b.endswith(a)

    new_rules = rules(new)
    for configuration in existing:
        if not isinstance(configuration.get("Event"), str):
            continue
        old_rules = rules(configuration)
        if events_overlap(configuration["Event"], new["Event"]) and affix_overlap(
            old_rules.get("prefix"), new_rules.get("prefix"), True
        ) and affix_overlap(old_rules.get("suffix"), new_rules.get("suffix"), False):
            raise SourceError(
                f"bucket '{bucket_id}' already sends {configuration['Event']} for overlapping "
                "keys to a function; S3 refuses overlapping notifications (use distinct "
                "prefix/suffix filters)"
            )


__all__ = ["S3Event"]
