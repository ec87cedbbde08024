"""``Retry`` and ``Catch``: a state's error handling, as the States Language writes it.

Either class, or a plain dict with the same (snake_case) keys, may be given in a state's
``retry=[...]`` / ``catch=[...]``: ``{"error_equals": ["States.Timeout"], "max_attempts":
2}``. ``error_equals`` takes one error name or a list (default ``["States.ALL"]``). Every
value is checked when the state is declared.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

from sparta_core.errors import ServiceDefinitionError
from sparta_stepfunctions.conditions import check_path

if TYPE_CHECKING:
    from sparta_stepfunctions.states import StateRef

ALL_ERRORS = "States.ALL"
JITTER = ("FULL", "NONE")


def _error_names(value: object, what: str) -> tuple[str, ...]:
    names = (value,) if isinstance(value, str) else value
    if not isinstance(names, Sequence) or not names or not all(
        isinstance(name, str) and name for name in names
    ):
        raise ServiceDefinitionError(
            f"{what}: error_equals must be an error name or a non-empty list of them, "
            f"got {value!r}"
        )
    if ALL_ERRORS in names and len(names) > 1:
        raise ServiceDefinitionError(f"{what}: '{ALL_ERRORS}' must appear alone in error_equals")
    return tuple(names)


def _number(value: object, low: float, what: str, *, integer: bool = True) -> None:
    kinds = (int,) if integer else (int, float)
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, kinds) or value < low:
        kind = "an integer" if integer else "a number"
        raise ServiceDefinitionError(f"{what} must be {kind} of at least {low}, got {value!r}")


@dataclass(frozen=True)
class Retry:
    """One retrier: retry the errors named in ``error_equals`` up to ``max_attempts``
    times, waiting ``interval_seconds``, multiplied by ``backoff_rate`` each time (at
    most ``max_delay_seconds``; ``jitter_strategy`` ``"FULL"`` randomises the waits)."""

    error_equals: Sequence[str] | str = (ALL_ERRORS,)
    interval_seconds: int | None = None
    max_attempts: int | None = None
    backoff_rate: float | None = None
    max_delay_seconds: int | None = None
    jitter_strategy: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "error_equals", _error_names(self.error_equals, "Retry"))
        _number(self.interval_seconds, 1, "Retry interval_seconds")
        _number(self.max_attempts, 0, "Retry max_attempts")
        _number(self.backoff_rate, 1.0, "Retry backoff_rate", integer=False)
        _number(self.max_delay_seconds, 1, "Retry max_delay_seconds")
        if self.jitter_strategy is not None and self.jitter_strategy not in JITTER:
            raise ServiceDefinitionError(
                f"Retry jitter_strategy must be FULL or NONE, got {self.jitter_strategy!r}"
            )

    def to_asl(self) -> dict[str, Any]:
        rule: dict[str, Any] = {"ErrorEquals": list(self.error_equals)}
        for key, value in (
            ("IntervalSeconds", self.interval_seconds),
            ("MaxAttempts", self.max_attempts),
            ("BackoffRate", self.backoff_rate),
            ("MaxDelaySeconds", self.max_delay_seconds),
            ("JitterStrategy", self.jitter_strategy),
        ):
            if value is not None:
                rule[key] = value
        return rule


@dataclass(frozen=True)
class Catch:
    """One catcher: on the errors named in ``error_equals``, go to ``next`` (a state, or
    the name of one), with the error object at ``result_path`` (default: it replaces
    the input)."""

    next: StateRef
    error_equals: Sequence[str] | str = (ALL_ERRORS,)
    result_path: str | None = None

    def __post_init__(self) -> None:
        from sparta_stepfunctions.states import check_ref

        object.__setattr__(self, "error_equals", _error_names(self.error_equals, "Catch"))
        check_ref(self.next, "Catch next")
        if self.result_path is not None:
            check_path(self.result_path, "Catch result_path")


def _from_value(kind: type, value: object, what: str) -> Any:
    if isinstance(value, kind):
        return value
    if not isinstance(value, Mapping):
        raise ServiceDefinitionError(
            f"{what}: each item must be a {kind.__name__}(...) or a dict, got {value!r}"
        )
    known = {f.name for f in fields(kind)}
    unknown = sorted(set(value) - known)
    if unknown:
        raise ServiceDefinitionError(
            f"{what}: {kind.__name__} takes {', '.join(sorted(known))}, not {', '.join(unknown)}"
        )
    try:
        return kind(**value)
    except TypeError as error:
        raise ServiceDefinitionError(f"{what}: {error}") from None


def retriers(values: object, what: str) -> tuple[Retry, ...]:
    """``retry=`` as :class:`Retry` objects."""
    if values is None:
        return ()
    if not isinstance(values, Sequence) or isinstance(values, (str, Mapping)):
        raise ServiceDefinitionError(f"{what}: retry must be a list, got {values!r}")
    return tuple(_from_value(Retry, value, f"{what}: retry") for value in values)


def catchers(values: object, what: str) -> tuple[Catch, ...]:
    """``catch=`` as :class:`Catch` objects."""
    if values is None:
        return ()
    if not isinstance(values, Sequence) or isinstance(values, (str, Mapping)):
        raise ServiceDefinitionError(f"{what}: catch must be a list, got {values!r}")
    return tuple(_from_value(Catch, value, f"{what}: catch") for value in values)


__all__ = ["Catch", "Retry", "catchers", "retriers"]
