"""Choice rules: the comparisons of the Amazon States Language, as small objects.

A :class:`Condition` renders itself as one ASL choice rule (without ``Next``, which the
``Choice`` state adds). Build them with the static methods of ``Choice``
(``Choice.equals("$.status", "ok")``) or the functions here; combine them with
``&``, ``|`` and ``~`` (or ``Choice.and_``/``or_``/``not_``). The comparison operator
follows the value's Python type: a ``str`` is a String comparison, a ``bool`` a Boolean
one, an ``int``/``float`` a Numeric one. Every check happens when the condition is
built, so a bad path or value fails at declaration.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from sparta_core.errors import ServiceDefinitionError


def check_path(path: object, what: str) -> str:
    """``path`` if it is a JSONPath the States Language accepts (``$`` or ``$.x``...)."""
    if not isinstance(path, str) or not path.startswith("$"):
        raise ServiceDefinitionError(
            f"{what}: {path!r} is not a JSONPath (it must start with '$', e.g. '$.order.id')"
        )
    return path


class Condition:
    """One choice rule; :meth:`to_asl` is its ASL object (without ``Next``)."""

    def to_asl(self) -> dict[str, Any]:  # pragma: no cover - abstract
        raise NotImplementedError

    def __and__(self, other: Condition) -> Condition:
        return and_(self, other)

    def __or__(self, other: Condition) -> Condition:
        return or_(self, other)

    def __invert__(self) -> Condition:
        return not_(self)


@dataclass(frozen=True)
class Comparison(Condition):
    """``{"Variable": path, operator: value}``."""

    path: str
    operator: str
    value: Any

    def to_asl(self) -> dict[str, Any]:
        return {"Variable": self.path, self.operator: self.value}


@dataclass(frozen=True)
class Combination(Condition):
    """``And``/``Or`` of several conditions, or ``Not`` of one."""

    operator: str
    conditions: tuple[Condition, ...]

    def to_asl(self) -> dict[str, Any]:
        if self.operator == "Not":
            return {"Not": self.conditions[0].to_asl()}
        return {self.operator: [condition.to_asl() for condition in self.conditions]}


def _typed(path: str, value: object, suffix: str, what: str, *, strings: bool = True) -> Comparison:
    check_path(path, what)
    if isinstance(value, bool):
        if suffix != "Equals":
            raise ServiceDefinitionError(f"{what}: booleans can only be compared for equality")
        return Comparison(path, "BooleanEquals", value)
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            raise ServiceDefinitionError(f"{what}: {value!r} is not a number JSON can hold")
        return Comparison(path, "Numeric" + suffix, value)
    if isinstance(value, str) and strings:
        return Comparison(path, "String" + suffix, value)
    raise ServiceDefinitionError(
        f"{what}: compare with a string, a number or a boolean, got {value!r}"
    )


def equals(path: str, value: str | float | bool) -> Condition:
    """``path`` equals ``value`` (StringEquals, NumericEquals or BooleanEquals)."""
    return _typed(path, value, "Equals", "Choice.equals")


def less_than(path: str, value: str | float) -> Condition:
    """``path < value`` (StringLessThan or NumericLessThan)."""
    return _typed(path, value, "LessThan", "Choice.less_than")


def less_than_equals(path: str, value: str | float) -> Condition:
    """``path <= value``."""
    return _typed(path, value, "LessThanEquals", "Choice.less_than_equals")


def greater_than(path: str, value: str | float) -> Condition:
    """``path > value`` (StringGreaterThan or NumericGreaterThan)."""
    return _typed(path, value, "GreaterThan", "Choice.greater_than")


def greater_than_equals(path: str, value: str | float) -> Condition:
    """``path >= value``."""
    return _typed(path, value, "GreaterThanEquals", "Choice.greater_than_equals")


def matches(path: str, pattern: str) -> Condition:
    """``path`` matches ``pattern``, where ``*`` stands for any characters
    (StringMatches)."""
    check_path(path, "Choice.matches")
    if not isinstance(pattern, str):
        raise ServiceDefinitionError(
            f"Choice.matches: the pattern must be a string, got {pattern!r}"
        )
    return Comparison(path, "StringMatches", pattern)


def _test(operator: str, path: str, value: object) -> Condition:
    what = f"Choice.{operator}"
    check_path(path, what)
    if not isinstance(value, bool):
        raise ServiceDefinitionError(f"{what}: the expected answer must be True or False")
    return Comparison(path, operator, value)


def is_present(path: str, present: bool = True) -> Condition:
    """``path`` exists in the input (``present=False``: it does not)."""
    return _test("IsPresent", path, present)


def is_null(path: str, null: bool = True) -> Condition:
    """``path`` holds ``null``."""
    return _test("IsNull", path, null)


def is_string(path: str, string: bool = True) -> Condition:
    """``path`` holds a string."""
    return _test("IsString", path, string)


def is_numeric(path: str, numeric: bool = True) -> Condition:
    """``path`` holds a number."""
    return _test("IsNumeric", path, numeric)


def is_boolean(path: str, boolean: bool = True) -> Condition:
    """``path`` holds a boolean."""
    return _test("IsBoolean", path, boolean)


def is_timestamp(path: str, timestamp: bool = True) -> Condition:
    """``path`` holds an ISO-8601 timestamp string."""
    return _test("IsTimestamp", path, timestamp)


def _conditions(operator: str, conditions: tuple[object, ...]) -> tuple[Condition, ...]:
    for condition in conditions:
        if not isinstance(condition, Condition):
            raise ServiceDefinitionError(
                f"Choice.{operator.lower()}_: {condition!r} is not a condition "
                "(build one with Choice.equals, Choice.is_present...)"
            )
    return tuple(conditions)  # type: ignore[arg-type]


def and_(*conditions: Condition) -> Condition:
    """Every one of ``conditions`` holds (at least one)."""
    if not conditions:
        raise ServiceDefinitionError("Choice.and_ needs at least one condition")
    return Combination("And", _conditions("And", conditions))


def or_(*conditions: Condition) -> Condition:
    """At least one of ``conditions`` holds."""
    if not conditions:
        raise ServiceDefinitionError("Choice.or_ needs at least one condition")
    return Combination("Or", _conditions("Or", conditions))


def not_(condition: Condition) -> Condition:
    """``condition`` does not hold."""
    return Combination("Not", _conditions("Not", (condition,)))


__all__ = [
    "Condition",
    "and_",
    "equals",
    "greater_than",
    "greater_than_equals",
    "is_boolean",
    "is_null",
    "is_numeric",
    "is_present",
    "is_string",
    "is_timestamp",
    "less_than",
    "less_than_equals",
    "matches",
    "not_",
    "or_",
]
