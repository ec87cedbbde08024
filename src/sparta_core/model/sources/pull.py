"""Pull sources: Lambda polls a queue or a stream through an event source mapping.

Each becomes an ``AWS::Lambda::EventSourceMapping`` plus the statements the function's
role needs to read that one queue or stream (never ``"*"``): Lambda checks them when
the mapping is created, and the role is created before the function it belongs to.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import KW_ONLY, dataclass
from typing import Any, ClassVar

from sparta_core.model.events import EventSource, FunctionWiring
from sparta_core.model.refs import Value, to_cfn
from sparta_core.model.sources._common import (
    ACCOUNT,
    PARTITION,
    REGION,
    SourceError,
    Target,
    allow,
    arn_from_name,
    brief,
    check_bool,
    check_choice,
    check_int,
    check_pattern,
    check_target,
    destination_statement,
    expect_type,
    queue_or_topic_arn,
    resolve,
)

SQS_ACTIONS = ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes")
DYNAMODB_STREAM_ACTIONS = (
    "dynamodb:DescribeStream",
    "dynamodb:GetRecords",
    "dynamodb:GetShardIterator",
)
#: AWS's service authorization reference lists no resource type for ListStreams: it
#: takes only ``"*"``, so it gets a statement of its own rather than widening the rest.
DYNAMODB_LIST_STREAMS = {"Effect": "Allow", "Action": ["dynamodb:ListStreams"], "Resource": "*"}
KINESIS_ACTIONS = (
    "kinesis:DescribeStream",
    "kinesis:DescribeStreamSummary",
    "kinesis:GetRecords",
    "kinesis:GetShardIterator",
    "kinesis:ListShards",
)
#: SubscribeToShard (enhanced fan-out) is asked of a stream consumer, whose ARN is
#: ``<stream ARN>/consumer/<name>:<timestamp>``, never of the stream itself.
KINESIS_CONSUMER_ACTIONS = ("kinesis:SubscribeToShard",)
#: Lambda allows 5 filters per mapping by default, 10 with a quota increase.
MAX_FILTERS = 10


def _filter_criteria(filters: Sequence[Any]) -> dict[str, Any]:
    return {
        "Filters": [
            {"Pattern": f if isinstance(f, str) else json.dumps(f, sort_keys=True)}
            for f in filters
        ]
    }


def _check_filters(filters: object) -> None:
    if not isinstance(filters, Sequence) or isinstance(filters, str):
        raise SourceError("filters must be a list of event patterns (dicts or JSON strings)")
    if len(filters) > MAX_FILTERS:
        raise SourceError(f"filters holds {len(filters)} patterns; Lambda allows {MAX_FILTERS}")
    for pattern in filters:
        try:
            parsed = json.loads(pattern) if isinstance(pattern, str) else pattern
        except ValueError:
            raise SourceError(f"filter {pattern!r} is not JSON") from None
        if not isinstance(parsed, Mapping) or not parsed:
            raise SourceError(f"filter {pattern!r} must be a non-empty event pattern (a dict)")
        try:
            json.dumps(parsed)
        except (TypeError, ValueError):
            raise SourceError(f"filter {pattern!r} is not JSON-serialisable") from None
        check_pattern(parsed, "filter")


@dataclass(kw_only=True)
class _PullSource(EventSource):
    """What every mapping takes: batch size and window, filters, partial batch
    responses, enabled."""

    batch_size: int | None = None
    batching_window: int | None = None
    filters: Sequence[Any] = ()
    report_batch_item_failures: bool = False
    enabled: bool = True

    #: Actions the role needs on the source ARN.
    actions: ClassVar[tuple[str, ...]] = ()
    #: The parameter naming the queue or stream.
    target_option: ClassVar[str] = ""
    max_batch_size: ClassVar[int] = 10000

    def _target(self) -> Any:
        return getattr(self, self.target_option)

    def describe(self) -> str:
        return f"{type(self).__name__}({self.target_option}={brief(self._target())})"

    def validate(self) -> None:
        check_target(self._target(), self.target_option)
        check_int(self.batch_size, 1, self.max_batch_size, "batch_size")
        check_int(self.batching_window, 0, 300, "batching_window")
        check_bool(self.report_batch_item_failures, "report_batch_item_failures")
        check_bool(self.enabled, "enabled")
        _check_filters(self.filters)
        self.filters = tuple(self.filters)

    def source_arn(self, wiring: FunctionWiring, target: Target) -> Any:
        raise NotImplementedError

    def extra_properties(self, wiring: FunctionWiring, target: Target) -> dict[str, Any]:
        return {}

    def statement_resource(self, target: Target, arn: Any) -> Any:
        """What the role's statement for this source is scoped to: the source's ARN."""
        return arn

    def extra_statements(self, target: Target, arn: Any) -> list[dict[str, Any]]:
        """Statements for actions that take another resource than the source's ARN."""
        return []

    def contribute(self, wiring: FunctionWiring, index: int) -> None:
        target = resolve(wiring, self._target())
        arn = self.source_arn(wiring, target)
        properties: dict[str, Any] = {
            "EventSourceArn": arn,
            "FunctionName": wiring.function_name,
            "Enabled": self.enabled,
        }
        if self.batch_size is not None:
            properties["BatchSize"] = self.batch_size
        if self.batching_window is not None:
            properties["MaximumBatchingWindowInSeconds"] = self.batching_window
        if self.filters:
            properties["FilterCriteria"] = _filter_criteria(self.filters)
        if self.report_batch_item_failures:
            properties["FunctionResponseTypes"] = ["ReportBatchItemFailures"]
        properties.update(self.extra_properties(wiring, target))
        wiring.template.add_resource(
            wiring.child_id(self.kind, str(index), "Mapping"),
            "AWS::Lambda::EventSourceMapping",
            properties,
            owner=f"{self.describe()} of function '{wiring.function.key}'",
        )
        wiring.statements.append(allow(self.actions, self.statement_resource(target, arn)))
        wiring.statements.extend(self.extra_statements(target, arn))
        if target.owned and target.logical_id:
            wiring.expose(target.logical_id)


@dataclass
class SQSEvent(_PullSource):
    """Messages of an SQS queue, in batches.

    ``queue``: the queue's ARN or name, or ``Ref``/``GetAtt`` to an ``AWS::SQS::Queue``
    of the stack. ``batch_size`` (1-10000; over 10 needs ``batching_window``),
    ``batching_window`` (seconds, 0-300), ``filters`` (event patterns),
    ``report_batch_item_failures`` (partial batch responses), ``maximum_concurrency``
    (2-1000), ``enabled``.
    """

    queue: Value
    _: KW_ONLY
    maximum_concurrency: int | None = None

    kind: ClassVar[str] = "SQS"
    actions: ClassVar[tuple[str, ...]] = SQS_ACTIONS
    target_option: ClassVar[str] = "queue"

    def validate(self) -> None:
        super().validate()
        if isinstance(self.queue, str) and self.queue.startswith(("http://", "https://")):
            raise SourceError("queue must be the queue's ARN or name, not its URL")
        if (self.batch_size or 0) > 10 and not self.batching_window:
            raise SourceError(
                "batch_size over 10 needs batching_window of at least 1 second (an SQS rule)"
            )
        check_int(self.maximum_concurrency, 2, 1000, "maximum_concurrency")

    def source_arn(self, wiring: FunctionWiring, target: Target) -> Any:
        expect_type(target, ["AWS::SQS::Queue"], "queue")
        if target.owned and target.attribute is None:
            resource = wiring.template.resources[target.logical_id or ""]
            fifo = resource.get("Properties", {}).get("FifoQueue") in (True, "true")
            if fifo and (self.batch_size or 0) > 10:
                raise SourceError(f"queue '{target.logical_id}' is FIFO: batch_size is at most 10")
            return {"Fn::GetAtt": [target.logical_id, "Arn"]}
        if target.literal is not None:
            return arn_from_name(target.literal, f"arn:{PARTITION}:sqs:{REGION}:{ACCOUNT}:{{name}}")
        return to_cfn(target.value)

    def extra_properties(self, wiring: FunctionWiring, target: Target) -> dict[str, Any]:
        if self.maximum_concurrency is None:
            return {}
        return {"ScalingConfig": {"MaximumConcurrency": self.maximum_concurrency}}


STARTING_POSITIONS = ("TRIM_HORIZON", "LATEST")


@dataclass(kw_only=True)
class _StreamSource(_PullSource):
    """What DynamoDB and Kinesis streams share: starting position, retries, record age,
    bisection, parallelization, tumbling windows and an on-failure destination."""

    starting_position: str = "LATEST"
    maximum_retry_attempts: int | None = None
    maximum_record_age: int | None = None
    bisect_on_error: bool | None = None
    parallelization_factor: int | None = None
    tumbling_window: int | None = None
    on_failure: Value | None = None

    starting_positions: ClassVar[tuple[str, ...]] = STARTING_POSITIONS

    def validate(self) -> None:
        super().validate()
        check_choice(self.starting_position, self.starting_positions, "starting_position")
        check_int(self.maximum_retry_attempts, 0, 10000, "maximum_retry_attempts", allow=(-1,))
        check_int(self.maximum_record_age, 60, 604800, "maximum_record_age", allow=(-1,))
        check_bool(self.bisect_on_error, "bisect_on_error")
        check_int(self.parallelization_factor, 1, 10, "parallelization_factor")
        check_int(self.tumbling_window, 0, 900, "tumbling_window")
        if self.on_failure is not None:
            check_target(self.on_failure, "on_failure")

    def extra_properties(self, wiring: FunctionWiring, target: Target) -> dict[str, Any]:
        properties: dict[str, Any] = {"StartingPosition": self.starting_position}
        for option, name in (
            ("maximum_retry_attempts", "MaximumRetryAttempts"),
            ("maximum_record_age", "MaximumRecordAgeInSeconds"),
            ("bisect_on_error", "BisectBatchOnFunctionError"),
            ("parallelization_factor", "ParallelizationFactor"),
            ("tumbling_window", "TumblingWindowInSeconds"),
        ):
            value = getattr(self, option)
            if value is not None:
                properties[name] = value
        if self.on_failure is not None:
            destination = resolve(wiring, self.on_failure)
            expect_type(destination, ["AWS::SQS::Queue", "AWS::SNS::Topic"], "on_failure")
            arn = queue_or_topic_arn(destination)
            wiring.statements.append(destination_statement(destination, arn, "on_failure"))
            properties["DestinationConfig"] = {"OnFailure": {"Destination": arn}}
            if destination.owned and destination.logical_id:
                wiring.expose(destination.logical_id)
        return properties


@dataclass
class DynamoDBStream(_StreamSource):
    """Changes of a DynamoDB table, from its stream.

    ``stream``: the stream's ARN, ``GetAtt("Table", "StreamArn")``, or ``Ref("Table")``
    to an ``AWS::DynamoDB::Table`` of the stack that has a ``StreamSpecification``.
    ``starting_position`` (``LATEST`` or ``TRIM_HORIZON``) and the mapping options.
    """

    stream: Value

    kind: ClassVar[str] = "DynamoDB"
    actions: ClassVar[tuple[str, ...]] = DYNAMODB_STREAM_ACTIONS
    target_option: ClassVar[str] = "stream"

    def validate(self) -> None:
        super().validate()
        if isinstance(self.stream, str) and "/stream/" not in self.stream:
            raise SourceError(
                f"stream {self.stream!r} must be a DynamoDB stream ARN (a table name does not "
                "say which stream) or a reference to a table of the stack"
            )

    def source_arn(self, wiring: FunctionWiring, target: Target) -> Any:
        expect_type(target, ["AWS::DynamoDB::Table"], "stream")
        if target.owned:
            resource = wiring.template.resources[target.logical_id or ""]
            if "StreamSpecification" not in resource.get("Properties", {}):
                raise SourceError(
                    f"table '{target.logical_id}' has no StreamSpecification, so no stream "
                    "to read (add StreamSpecification={'StreamViewType': ...})"
                )
            if target.attribute not in (None, "StreamArn"):
                raise SourceError(f"stream must be GetAtt('{target.logical_id}', 'StreamArn')")
            return {"Fn::GetAtt": [target.logical_id, "StreamArn"]}
        return to_cfn(target.value)

    def statement_resource(self, target: Target, arn: Any) -> Any:
        """The table's streams (``<table ARN>/stream/*``), as AWS's own policy for Lambda
        and DynamoDB Streams scopes it: ``ListStreams`` is asked of the table's streams,
        not of one stream's label."""
        if target.owned and target.logical_id:
            return {"Fn::Sub": f"${{{target.logical_id}.Arn}}/stream/*"}
        if target.literal and "/stream/" in target.literal:
            return target.literal.rsplit("/stream/", 1)[0] + "/stream/*"
        return arn

    def extra_statements(self, target: Target, arn: Any) -> list[dict[str, Any]]:
        return [dict(DYNAMODB_LIST_STREAMS)]


@dataclass
class KinesisStream(_StreamSource):
    """Records of a Kinesis data stream.

    ``stream``: the stream's ARN or name, or ``Ref``/``GetAtt`` to an
    ``AWS::Kinesis::Stream`` of the stack. ``starting_position`` (``LATEST``,
    ``TRIM_HORIZON`` or ``AT_TIMESTAMP`` with ``starting_position_timestamp``, in Unix
    seconds) and the mapping options.
    """

    stream: Value
    _: KW_ONLY
    starting_position_timestamp: float | None = None

    kind: ClassVar[str] = "Kinesis"
    actions: ClassVar[tuple[str, ...]] = KINESIS_ACTIONS
    target_option: ClassVar[str] = "stream"
    starting_positions: ClassVar[tuple[str, ...]] = (*STARTING_POSITIONS, "AT_TIMESTAMP")

    def validate(self) -> None:
        super().validate()
        at_timestamp = self.starting_position == "AT_TIMESTAMP"
        if at_timestamp != (self.starting_position_timestamp is not None):
            raise SourceError(
                "starting_position_timestamp goes with starting_position='AT_TIMESTAMP', "
                "and only with it"
            )
        if self.starting_position_timestamp is not None and (
            isinstance(self.starting_position_timestamp, bool)
            or not isinstance(self.starting_position_timestamp, (int, float))
        ):
            raise SourceError("starting_position_timestamp must be Unix time in seconds")

    def source_arn(self, wiring: FunctionWiring, target: Target) -> Any:
        expect_type(target, ["AWS::Kinesis::Stream"], "stream")
        if target.owned and target.attribute is None:
            return {"Fn::GetAtt": [target.logical_id, "Arn"]}
        if target.literal is not None:
            return arn_from_name(
                target.literal, f"arn:{PARTITION}:kinesis:{REGION}:{ACCOUNT}:stream/{{name}}"
            )
        return to_cfn(target.value)

    def extra_statements(self, target: Target, arn: Any) -> list[dict[str, Any]]:
        return [allow(KINESIS_CONSUMER_ACTIONS, _consumers_of(target, arn))]

    def extra_properties(self, wiring: FunctionWiring, target: Target) -> dict[str, Any]:
        properties = super().extra_properties(wiring, target)
        if self.starting_position_timestamp is not None:
            properties["StartingPositionTimestamp"] = self.starting_position_timestamp
        return properties


def _consumers_of(target: Target, arn: Any) -> Any:
    """``<stream ARN>/consumer/*``: every enhanced fan-out consumer of the stream."""
    if target.owned and target.logical_id:
        return {"Fn::Sub": f"${{{target.logical_id}.Arn}}/consumer/*"}
    if isinstance(arn, str):
        return arn + "/consumer/*"
    if isinstance(arn, dict) and isinstance(arn.get("Fn::Sub"), str):
        return {"Fn::Sub": arn["Fn::Sub"] + "/consumer/*"}
    return {"Fn::Join": ["", [arn, "/consumer/*"]]}


__all__ = ["DynamoDBStream", "KinesisStream", "SQSEvent"]
