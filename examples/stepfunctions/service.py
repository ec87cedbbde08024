"""An order workflow: a Step Functions state machine of three Lambda functions.

``validate_order`` checks the order; a Choice ships it (``ship_order``) when it is
valid, else the execution fails with ``InvalidOrder``. ``place_order`` starts an
execution: it names the machine in its environment, so ``sparta_runtime.discover()``
gives it the machine's ARN. ``sparta provision`` prints the ARN (output
``OrdersStateMachineArn``)::

    aws stepfunctions start-execution --state-machine-arn ARN \\
        --input '{"order_id": "A-1", "items": 2}'
"""

from sparta_stepfunctions import Choice, Fail, StateMachine, Task

import sparta_core as sparta

service = sparta.Service("fulfilment", description="The sparta Step Functions example")


@service.function(timeout=5)
def validate_order(event, context):
    """Marks the order valid when it has an id and at least one item."""
    valid = bool(event.get("order_id")) and int(event.get("items", 0)) > 0
    return {**event, "valid": valid}


@service.function(timeout=5)
def ship_order(event, context):
    """Ships a valid order: its return value is the execution's output."""
    return {"order_id": event["order_id"], "status": "shipped", "items": event["items"]}


@service.function(
    timeout=10,
    environment={"ORDERS": sparta.Ref("OrdersStateMachine")},
    role=sparta.IAMRoleDefinition(privileges=[
        sparta.Privilege(actions=["states:StartExecution"],
                         resources=[sparta.Ref("OrdersStateMachine")]),
    ]),
)
def place_order(event, context):
    """Starts the workflow for ``event`` and returns the execution's ARN."""
    import json

    import boto3
    from sparta_runtime import resource

    machine = resource("OrdersStateMachine")["Arn"]
    started = boto3.client("stepfunctions").start_execution(
        stateMachineArn=machine, input=json.dumps(event))
    return {"execution": started["executionArn"]}


check = Task(validate_order, retry=[{"error_equals": ["Lambda.TooManyRequestsException"],
                                     "interval_seconds": 1, "max_attempts": 3,
                                     "backoff_rate": 2.0}])
check.next(
    Choice()
    .when(Choice.equals("$.valid", True), Task(ship_order))
    .otherwise(Fail(error="InvalidOrder", cause="the order has no id or no items"))
)

service.add(StateMachine("orders", start=check))
