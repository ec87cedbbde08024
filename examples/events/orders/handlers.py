"""Handlers of the order pipeline. boto3 is the Lambda runtime's; it is imported inside
the functions so that importing the service on the build host stays light."""

from __future__ import annotations

import base64
import gzip
import json
from typing import Any


def _table() -> Any:
    import boto3
    import sparta_runtime

    name = sparta_runtime.resource("OrdersTable")["Ref"]
    return boto3.resource("dynamodb").Table(name)


def take_order(event: dict[str, Any], context: Any) -> dict[str, Any]:
    table = _table()
    failures = []
    for record in event.get("Records", []):
        try:
            order = json.loads(record["body"])
            table.put_item(Item={"id": str(order["id"]), "source": "queue",
                                 "body": record["body"]})
        except (ValueError, KeyError):
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}


def audit(event: dict[str, Any], context: Any) -> dict[str, Any]:
    changes = [r.get("eventName") for r in event.get("Records", [])]
    print("orders table changes:", changes)
    return {"changes": len(changes)}


def import_receipt(event: dict[str, Any], context: Any) -> dict[str, Any]:
    import boto3

    s3 = boto3.client("s3")
    table = _table()
    imported = []
    for record in event.get("Records", []):
        bucket = record["s3"]["bucket"]["name"]
        key = record["s3"]["object"]["key"]
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        order = json.loads(body)
        table.put_item(Item={"id": str(order["id"]), "source": f"s3://{bucket}/{key}"})
        imported.append(key)
    return {"imported": imported}


def page_oncall(event: dict[str, Any], context: Any) -> dict[str, Any]:
    messages = [r["Sns"]["Message"] for r in event.get("Records", [])]
    print("ALERT:", messages)
    return {"alerts": len(messages)}


def count_clicks(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"clicks": len(event.get("Records", []))}


def watch_errors(event: dict[str, Any], context: Any) -> dict[str, Any]:
    payload = json.loads(gzip.decompress(base64.b64decode(event["awslogs"]["data"])))
    lines = [e["message"] for e in payload.get("logEvents", [])]
    print("errors:", lines)
    return {"errors": len(lines)}
