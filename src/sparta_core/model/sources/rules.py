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
    check_pattern,
    check_target,
    expect_type,
    json_input,
    permission,
    resolve,
)

RATE = re.compile(r"rate\((\d+) (minute|minutes|hour|hours|day|days)\)")
CRON = re.compile(r"cron\(([^()]+)\)")
TARGET_ID_MAX = 64
#: EventBridge documents no upper bound for a rate, but it reads the value as a 32-bit
#: integer (Java's ``int``), so a larger one can never be scheduled.
RATE_MAX = 2**31 - 1
MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
#: The six cron fields: name, lowest and highest value, names standing for numbers,
#: and the special characters beyond ``, - * /`` (EventBridge's cron reference).
CRON_FIELDS: tuple[tuple[str, int, int, tuple[str, ...], str], ...] = (
    ("minutes", 0, 59, (), ""),
    ("hours", 0, 23, (), ""),
    ("day-of-month", 1, 31, (), "?LW"),
    ("month", 1, 12, MONTHS, ""),
    ("day-of-week", 1, 7, DAYS, "?L#"),
    ("year", 1970, 2199, (), ""),
)
CRON_ITEM = re.compile(r"(?P<range>\*|[A-Z0-9]+(-[A-Z0-9]+)?)(/(?P<step>\d+))?")


def _cron_number(text: str, field: tuple[str, int, int, tuple[str, ...], str]) -> int | None:
    _, low, high, names, _ = field
    if text.upper() in names:
        return names.index(text.upper()) + 1
    if text.isdigit() and low <= int(text) <= high:
        return int(text)
    return None


def check_cron_field(text: str, field: tuple[str, int, int, tuple[str, ...], str]) -> str | None:
    """None if ``text`` is a valid value of the cron ``field``, else what is wrong."""
    name, low, high, names, special = field
    allowed = f"{low}-{high}" + (f" or {names[0]}-{names[-1]}" if names else "")
    if text == "?":
        return None if "?" in special else "'?' is allowed only in day-of-month and day-of-week"
    for item in text.split(","):
        if "L" in special and item.upper() in ("L", "LW"):
            continue
        if "W" in special and item.upper().endswith("W") and _cron_number(item[:-1], field):
            continue
        if "#" in special and "#" in item:
            day, _, nth = item.partition("#")
            if _cron_number(day, field) and nth.isdigit() and 1 <= int(nth) <= 5:
                continue
            return f"{item!r} must be DAY#N with N from 1 to 5"
        if "L" in special and item.upper().endswith("L") and _cron_number(item[:-1], field):
            continue
        match = CRON_ITEM.fullmatch(item.upper())
        if match is None:
            return f"{item!r} is not a value of {name} ({allowed})"
        if match.group("step") is not None and int(match.group("step")) < 1:
            return f"{item!r}: the increment must be at least 1"
        if match.group("range") != "*":
            for bound in match.group("range").split("-"):
                if _cron_number(bound, field) is None:
                    return f"{bound!r} is out of range for {name} ({allowed})"
    return None


def check_schedule_expression(expression: object) -> None:
    """Raise unless ``expression`` is ``rate(N unit)`` or a six-field ``cron(...)``."""
    if not isinstance(expression, str):
        raise SourceError(f"expression must be 'rate(...)' or 'cron(...)', got {expression!r}")
    rate = RATE.fullmatch(expression)
    if rate:
        value, unit = int(rate.group(1)), rate.group(2)
        if value < 1:
            raise SourceError(f"expression {expression!r}: the rate must be at least 1")
        if value > RATE_MAX:
            raise SourceError(
                f"expression {expression!r}: the rate must be at most {RATE_MAX}"
            )
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
        for text, field in zip(fields, CRON_FIELDS, strict=True):
            problem = check_cron_field(text, field)
            if problem:
                raise SourceError(f"expression {expression!r}: {field[0]}: {problem}")
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
        check_pattern(pattern, "pattern")
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
