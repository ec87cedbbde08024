"""An order pipeline wired by event sources, with every queue, table, stream, topic,
bucket and log group it uses declared in the same stack.

- ``take_order``: messages of the ``Orders`` queue (SQS, partial batch responses) are
  written to the ``OrdersTable`` DynamoDB table.
- ``audit``: the table's stream (DynamoDB) is logged, with failed batches sent to
  ``Failures``.
- ``import_receipt``: JSON files put in the ``Receipts`` bucket (S3) become orders.
- ``page_oncall``: alerts published to the ``Alerts`` topic (SNS).
- ``count_clicks``: records of the ``Clicks`` stream (Kinesis).
- ``watch_errors``: ERROR lines of the ``AppLogs`` log group (CloudWatch Logs).
- ``on_shipped``: ``order.shipped`` events on the ``OrdersBus`` bus (EventBridge).
- ``hourly_report``: every hour (Schedule).

Every function finds the physical names of what it uses with
``sparta_runtime.discover()``; each role allows exactly what its sources and its
privileges need.
"""

import sparta_core as sparta

service = sparta.Service("orders", description="Order pipeline: the sparta event sources example")

service.resource("Orders", "AWS::SQS::Queue", {"VisibilityTimeout": 60})
service.resource("Failures", "AWS::SQS::Queue")
service.resource("OrdersTable", "AWS::DynamoDB::Table", {
    "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
    "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
    "BillingMode": "PAY_PER_REQUEST",
    "StreamSpecification": {"StreamViewType": "NEW_IMAGE"},
})
# Named explicitly so privileges can name it too: a Ref or GetAtt to a bucket that
# notifies a function would make a dependency cycle (see docs/events/s3.md).
RECEIPTS = "orders-receipts-${AWS::AccountId}-${AWS::Region}"
service.resource("Receipts", "AWS::S3::Bucket", {"BucketName": sparta.Sub(RECEIPTS)})
service.resource("Alerts", "AWS::SNS::Topic")
service.resource("Clicks", "AWS::Kinesis::Stream", {"ShardCount": 1})
service.resource("AppLogs", "AWS::Logs::LogGroup", {"LogGroupName": "/orders/app",
                                                    "RetentionInDays": 7})
service.resource("OrdersBus", "AWS::Events::EventBus", {"Name": "orders-bus"})

WRITE_ORDERS = sparta.Privilege(
    actions=["dynamodb:PutItem"], resources=[sparta.GetAtt("OrdersTable", "Arn")]
)


@service.function(
    timeout=30,
    environment={"TABLE": sparta.Ref("OrdersTable")},
    role=sparta.IAMRoleDefinition(privileges=[WRITE_ORDERS]),
    events=[sparta.SQSEvent(sparta.Ref("Orders"), batch_size=10,
                            report_batch_item_failures=True)],
)
def take_order(event, context):
    """Store each message's JSON body as an order; report the ones that fail."""
    from orders.handlers import take_order

    return take_order(event, context)


@service.function(
    events=[sparta.DynamoDBStream(sparta.Ref("OrdersTable"), starting_position="TRIM_HORIZON",
                                  maximum_retry_attempts=2, bisect_on_error=True,
                                  on_failure=sparta.Ref("Failures"))],
)
def audit(event, context):
    """Log every change of the orders table."""
    from orders.handlers import audit

    return audit(event, context)


@service.function(
    role=sparta.IAMRoleDefinition(privileges=[
        WRITE_ORDERS,
        sparta.Privilege(actions=["s3:GetObject"],
                         resources=[sparta.Sub(f"arn:${{AWS::Partition}}:s3:::{RECEIPTS}/*")]),
    ]),
    environment={"TABLE": sparta.Ref("OrdersTable")},
    events=[sparta.S3Event(sparta.Ref("Receipts"), suffix=".json")],
)
def import_receipt(event, context):
    """Turn each JSON receipt put in the bucket into an order."""
    from orders.handlers import import_receipt

    return import_receipt(event, context)


@service.function(events=[sparta.SNSEvent(sparta.Ref("Alerts"))])
def page_oncall(event, context):
    """Print each alert (a real service would page someone)."""
    from orders.handlers import page_oncall

    return page_oncall(event, context)


@service.function(events=[sparta.KinesisStream(sparta.Ref("Clicks"), batch_size=100)])
def count_clicks(event, context):
    """Count the click records of each batch."""
    from orders.handlers import count_clicks

    return count_clicks(event, context)


@service.function(
    events=[sparta.CloudWatchLogsSubscription(sparta.Ref("AppLogs"), filter_pattern="ERROR")],
)
def watch_errors(event, context):
    """Decode the subscription's payload and print the error lines."""
    from orders.handlers import watch_errors

    return watch_errors(event, context)


@service.function(
    events=[sparta.EventBridgeRule({"source": ["orders"], "detail-type": ["order.shipped"]},
                                   bus=sparta.Ref("OrdersBus"), input_path="$.detail")],
)
def on_shipped(event, context):
    """Receive the detail of each shipped order."""
    return {"shipped": event}


@service.function(events=[sparta.Schedule("rate(1 hour)", input={"report": "hourly"})])
def hourly_report(event, context):
    """Say which report runs; the input is the rule's constant."""
    return {"report": event.get("report")}
