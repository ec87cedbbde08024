"""EventBridge sources: schedules and event patterns, each an ``AWS::Events::Rule``
whose one target is the function, plus the permission for that rule alone to invoke it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import KW_ONLY, dataclass
from typing import Any, ClassVar

from sparta_core.model.events import EventSource, FunctionWiring
from sparta_core.model.refs import Value, to_cfn
from sparta_core.model.sources._common import (
    SourceError,
    brief,
    check_bool,
    check_int,
    check_target,
    expect_type,
    json_input,
    permission,
    resolve,
)

RATE = re.compile(r"rate\((\d+) (minute|minutes|hour|hours|day|days)\)")
CRON = re.compile(r"cron\(([^()]+)\)")
TARGET_ID_MAX = 64


def check_schedule_expression(expression: object) -> None:
    """Raise unless ``expression`` is ``rate(N unit)`` or a six-field ``cron(...)``."""
    if not isinstance(expression, str):
        raise SourceError(f"expression must be 'rate(...)' or 'cron(...)', got {expression!r}")
    rate = RATE.fullmatch(expression)
    if rate:
        value, unit = int(rate.group(1)), rate.group(2)
        if value < 1:
            raise SourceError(f"expression {expression!r}: the rate must be at least 1")
        if (value == 1) == unit.endswith("s"):
            right = unit.rstrip("s") if value == 1 else unit + "s"
            raise SourceError(f"expression {expression!r}: write '{value} {right}'")
        return
    cron = CRON.fullmatch(expression)
    if cron:
        fields = cron.group(1).split()
        if len(fields) != 6:
            raise SourceError(
                f"expression {expression!r}: cron takes 6 fields (minutes hours "
                f"day-of-month month day-of-week year), got {len(fields)}"
            )
        if fields[2] != "?" and fields[4] != "?":
            raise SourceError(
                f"expression {expression!r}: one of day-of-month and day-of-week must be '?'"
            )
        return
    raise SourceError(
        f"expression {expression!r} must be 'rate(N minutes|hours|days)' or 'cron(...)'"
    )


@dataclass(kw_only=True)
class _RuleSource(EventSource):
    """Options of a rule and of its target: what the function receives (``input``,
    ``input_path`` or ``input_transformer``), retries, state, description."""

    input: Any = None
    input_path: str | None = None
    input_transformer: Mapping[str, Any] | None = None
    enabled: bool = True
    description: str = ""
    retry_attempts: int | None = None
    maximum_event_age: int | None = None

    def validate(self) -> None:
        given = [o for o in ("input", "input_path", "input_transformer") if getattr(self, o)]
        if len(given) > 1:
            raise SourceError(f"give one of input, input_path and input_transformer, not {given}")
        json_input(self.input, "input")
        if self.input_path is not None and (
            not isinstance(self.input_path, str) or not self.input_path.startswith("$")
        ):
            raise SourceError(
                f"input_path must be a JSONPath such as '$.detail', got {self.input_path!r}"
            )
        if self.input_transformer is not None:
            transformer = self.input_transformer
            if not isinstance(transformer, Mapping) or "InputTemplate" not in transformer or (
                set(transformer) - {"InputTemplate", "InputPathsMap"}
            ):
                raise SourceError(
                    "input_transformer takes InputTemplate and optionally InputPathsMap"
                )
        check_bool(self.enabled, "enabled")
        if not isinstance(self.description, str) or len(self.description) > 512:
            raise SourceError("description must be a string of at most 512 characters")
        check_int(self.retry_attempts, 0, 185, "retry_attempts")
        check_int(self.maximum_event_age, 60, 86400, "maximum_event_age")

    def rule_properties(self, wiring: FunctionWiring) -> dict[str, Any]:
        raise NotImplementedError

    def contribute(self, wiring: FunctionWiring, index: int) -> None:
        owner = f"{self.describe()} of function '{wiring.function.key}'"
        rule_id = wiring.child_id(self.kind, str(index), "Rule")
        target: dict[str, Any] = {
            "Arn": wiring.function_arn, "Id": wiring.logical_id[:TARGET_ID_MAX]
        }
        if self.input is not None:
            target["Input"] = json_input(self.input, "input")
        if self.input_path:
            target["InputPath"] = self.input_path
        if self.input_transformer:
            target["InputTransformer"] = to_cfn(dict(self.input_transformer))
        retry: dict[str, int] = {}
        if self.retry_attempts is not None:
            retry["MaximumRetryAttempts"] = self.retry_attempts
        if self.maximum_event_age is not None:
            retry["MaximumEventAgeInSeconds"] = self.maximum_event_age
        if retry:
            target["RetryPolicy"] = retry
        properties = {
            **self.rule_properties(wiring),
            "State": "ENABLED" if self.enabled else "DISABLED",
            "Targets": [target],
        }
        if self.description:
            properties["Description"] = self.description
        wiring.template.add_resource(rule_id, "AWS::Events::Rule", properties, owner=owner)
        permission(
            wiring,
            wiring.child_id(self.kind, str(index), "Permission"),
            "events.amazonaws.com",
            {"Fn::GetAtt": [rule_id, "Arn"]},
            owner=owner,
        )


@dataclass
class Schedule(_RuleSource):
    """Run the function on a schedule: ``expression`` is ``rate(5 minutes)`` or
    ``cron(0 12 * * ? *)``; ``input`` is the constant event it receives."""

    expression: str

    kind: ClassVar[str] = "Schedule"

    def describe(self) -> str:
        return f"Schedule({self.expression!r})"

    def validate(self) -> None:
        check_schedule_expression(self.expression)
        super().validate()

    def rule_properties(self, wiring: FunctionWiring) -> dict[str, Any]:
        return {"ScheduleExpression": self.expression}


@dataclass
class EventBridgeRule(_RuleSource):
    """Events matching ``pattern`` on ``bus`` (the default bus, a bus name or ARN, or
    ``Ref`` to an ``AWS::Events::EventBus`` of the stack)."""

    pattern: Mapping[str, Any] | str
    _: KW_ONLY
    bus: Value | None = None

    kind: ClassVar[str] = "EventBridge"

    def describe(self) -> str:
        where = f", bus={brief(self.bus)}" if self.bus is not None else ""
        return f"EventBridgeRule(pattern=...{where})"

    def _pattern(self) -> dict[str, Any]:
        pattern = self.pattern
        if isinstance(pattern, str):
            try:
                pattern = json.loads(pattern)
            except ValueError:
                raise SourceError("pattern is not JSON") from None
        if not isinstance(pattern, Mapping) or not pattern:
            raise SourceError(
                f"pattern must be a non-empty event pattern (a dict), got {pattern!r}"
            )
        return dict(pattern)

    def validate(self) -> None:
        pattern = self._pattern()
        try:
            json.dumps(pattern)
        except (TypeError, ValueError):
            raise SourceError("pattern is not JSON-serialisable") from None
        if self.bus is not None:
            check_target(self.bus, "bus")
        super().validate()

    def rule_properties(self, wiring: FunctionWiring) -> dict[str, Any]:
        properties: dict[str, Any] = {"EventPattern": self._pattern()}
        if self.bus is not None:
            bus = resolve(wiring, self.bus)
            expect_type(bus, ["AWS::Events::EventBus"], "bus")
            properties["EventBusName"] = to_cfn(bus.value)
            if bus.owned and bus.logical_id:
                wiring.expose(bus.logical_id)
        return properties


__all__ = ["EventBridgeRule", "Schedule"]
