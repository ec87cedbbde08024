"""Custom resource ``SpartaS3BucketNotification``: one function's notification on a
bucket the stack does not own.

Properties: ``Bucket``, ``Id`` (unique per stack and function), ``FunctionArn``,
``Events`` (list), optional ``Prefix`` and ``Suffix``. The bucket's notification
configuration is read, this ``Id``'s entry replaced, and written back, so the bucket's
other notifications are kept. Delete removes the entry (a bucket already gone is fine).
The physical ID is ``<bucket>/<id>``: a new bucket or id replaces the resource, and
CloudFormation then deletes the old entry with the old properties.
"""

from __future__ import annotations

from typing import Any

from .custom_resource import Outcome, Request, handle

#: The keys of a notification configuration that PutBucketNotificationConfiguration takes.
CONFIGURATION_KEYS = (
    "TopicConfigurations",
    "QueueConfigurations",
    "LambdaFunctionConfigurations",
    "EventBridgeConfiguration",
)


def _client() -> Any:
    import boto3  # the Lambda runtime's own; imported here so the module loads without it

    return boto3.client("s3")


def _current(s3: Any, bucket: str) -> dict[str, Any]:
    found = s3.get_bucket_notification_configuration(Bucket=bucket)
    return {key: found[key] for key in CONFIGURATION_KEYS if key in found}


def _entry(properties: dict[str, Any]) -> dict[str, Any]:
    events = properties["Events"]
    entry: dict[str, Any] = {
        "Id": properties["Id"],
        "LambdaFunctionArn": properties["FunctionArn"],
        "Events": [events] if isinstance(events, str) else list(events),
    }
    rules = [{"Name": name.lower(), "Value": properties[name]}
             for name in ("Prefix", "Suffix") if properties.get(name)]
    if rules:
        entry["Filter"] = {"Key": {"FilterRules": rules}}
    return entry


def _without(configuration: dict[str, Any], notification_id: str) -> dict[str, Any]:
    lambdas = [c for c in configuration.get("LambdaFunctionConfigurations", [])
               if c.get("Id") != notification_id]
    result = dict(configuration)
    if lambdas:
        result["LambdaFunctionConfigurations"] = lambdas
    else:
        result.pop("LambdaFunctionConfigurations", None)
    return result


def put(request: Request) -> Outcome:
    properties = request.properties
    bucket, notification_id = properties["Bucket"], properties["Id"]
    s3 = _client()
    configuration = _without(_current(s3, bucket), notification_id)
    configuration.setdefault("LambdaFunctionConfigurations", []).append(_entry(properties))
    s3.put_bucket_notification_configuration(
        Bucket=bucket, NotificationConfiguration=configuration
    )
    return Outcome(physical_id=f"{bucket}/{notification_id}", data={"Bucket": bucket})


def delete(request: Request) -> Outcome:
    properties = request.properties
    bucket, notification_id = properties["Bucket"], properties["Id"]
    s3 = _client()
    try:
        configuration = _current(s3, bucket)
    except s3.exceptions.NoSuchBucket:
        return Outcome()
    if any(c.get("Id") == notification_id
           for c in configuration.get("LambdaFunctionConfigurations", [])):
        s3.put_bucket_notification_configuration(
            Bucket=bucket, NotificationConfiguration=_without(configuration, notification_id)
        )
    return Outcome()


def handler(event: dict[str, Any], context: Any) -> Any:
    """The Lambda entry point of the provider function."""
    return handle(event, context, create=put, update=put, delete=delete)
