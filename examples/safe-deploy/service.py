"""Orders taken from a queue and a REST route by a function that deploys safely: callers
invoke its ``live`` alias, CodeDeploy moves the alias to each new version as a canary
(10 % for 5 minutes) after the ``check`` hook passes, and rolls back if the function's
error or throttle alarm fires. A dashboard shows both functions.

Needs the plugins sparta-cloudwatch and sparta-codedeploy (``pip install`` them, from
``plugins/`` in sparta's repository).
"""

import json

import sparta_core as sparta
from sparta_cloudwatch import Alarms, Dashboard
from sparta_codedeploy import SafeDeploy

service = sparta.Service("safe-orders", description="Orders, deployed as a canary")
service.resource("Orders", "AWS::SQS::Queue")
api = service.add(sparta.RestAPI("shop", stage="v1"))
service.add(Dashboard("ops"))


@service.function()
def check(event, context):
    """CodeDeploy's pre-traffic hook: say the new version may take traffic."""
    import boto3

    boto3.client("codedeploy").put_lifecycle_event_hook_execution_status(
        deploymentId=event["DeploymentId"],
        lifecycleEventHookExecutionId=event["LifecycleEventHookExecutionId"],
        status="Succeeded",
    )


@service.function(
    events=[sparta.SQSEvent(sparta.Ref("Orders"), batch_size=5)],
    decorators=[
        Alarms(errors=1, throttles=1, duration_p99_ms=1000),
        SafeDeploy("Canary10Percent5Minutes",
                   alarms=[sparta.Ref("TakeFunctionErrorsAlarm"),
                           sparta.Ref("TakeFunctionThrottlesAlarm")],
                   pre_traffic=check),
    ],
)
def take(event, context):
    """An order from the queue (``Records``) or from ``POST /orders``."""
    orders = [json.loads(r["body"]) for r in event.get("Records", [])] or [
        json.loads(event.get("body") or "{}")]
    return {"statusCode": 200, "body": json.dumps({"taken": len(orders)})}


api.route("/orders", methods=["POST"], function=take)
