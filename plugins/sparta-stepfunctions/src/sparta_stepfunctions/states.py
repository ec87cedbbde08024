"""The states of a state machine: ``Task``, ``Choice``, ``Wait``, ``Pass``, ``Parallel``,
``Map``, ``Succeed`` and ``Fail``.

States are plain objects linked into a graph: ``a.next(b)`` makes ``b`` follow ``a`` and
returns ``b``, so ``a.next(b).next(c)`` reads in order; ``Choice().when(cond, s)`` and
``Catch(next=s)`` link too. Wherever a state is expected, the *name* of a state of the
same flow may be given instead (to loop back). ``Parallel`` and ``Map``, which hold flows
of their own, are in :mod:`sparta_stepfunctions.nested`. Each state checks its own options when it
is declared; what needs the whole machine or the service (names, reachability, the
functions of ``Task``) is checked by :mod:`sparta_stepfunctions.graph`.

Each state renders itself as its ASL object with :meth:`State.to_asl`, given how to name
the states it links to and the ``Resource`` of a task. No I/O here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Union

from sparta_core.errors import ServiceDefinitionError
from sparta_stepfunctions import conditions
from sparta_stepfunctions.conditions import Condition, check_path
from sparta_stepfunctions.policies import Catch, Retry, catchers, retriers

if TYPE_CHECKING:
    from sparta_core import LambdaFunction, Service

#: A state, or the name of a state of the same flow.
StateRef = Union["State", str]
NAME_MAX = 80
#: Options a state kind may take, snake_case -> ASL field.
IO_FIELDS = {
    "input_path": "InputPath",
    "output_path": "OutputPath",
    "result_path": "ResultPath",
    "parameters": "Parameters",
    "result_selector": "ResultSelector",
}
PATHS = ("input_path", "output_path", "result_path")


def check_ref(state: object, what: str) -> None:
    """Raise unless ``state`` is a :class:`State` or a state's name."""
    if isinstance(state, State):
        return
    if isinstance(state, str):
        check_name(state, what)
        return
    raise ServiceDefinitionError(f"{what}: expected a state or a state's name, got {state!r}")


def check_name(name: object, what: str) -> str:
    if not isinstance(name, str) or not name.strip() or len(name) > NAME_MAX:
        raise ServiceDefinitionError(
            f"{what}: a state name is a non-empty string of at most {NAME_MAX} characters, "
            f"got {name!r}"
        )
    if any(ord(character) < 32 for character in name):
        raise ServiceDefinitionError(f"{what}: state name {name!r} holds control characters")
    return name


def _json(value: object, what: str) -> Any:
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError):
        raise ServiceDefinitionError(f"{what} must be JSON-serialisable, got {value!r}") from None
    return value


def camel(text: str) -> str:
    """``validate_order`` -> ``ValidateOrder`` (a state's derived name)."""
    words = [w for w in re.split(r"[^A-Za-z0-9]+", text) if w]
    return "".join(w[0].upper() + w[1:] for w in words) or text


class State:
    """Base of every state kind. ``name`` is the state's name in the machine (derived
    from the kind, or a task's function, when not given); ``comment`` its ``Comment``."""

    kind: ClassVar[str] = "State"
    #: Kinds that end a flow or branch elsewhere than with ``next``.
    terminal: ClassVar[bool] = False
    #: The :data:`IO_FIELDS` this kind accepts.
    io: ClassVar[tuple[str, ...]] = ("input_path", "output_path")

    def __init__(self, *, name: str | None = None, comment: str = "", **options: Any) -> None:
        what = f"{type(self).__name__}()"
        if name is not None:
            check_name(name, what)
        if not isinstance(comment, str):
            raise ServiceDefinitionError(f"{what}: comment must be a string")
        self.name = name
        self.comment = comment
        self._next: StateRef | None = None
        #: States that link to this one by object (for "unreachable" errors).
        self.predecessors: list[State] = []
        unknown = sorted(set(options) - set(self.io))
        if unknown:
            raise ServiceDefinitionError(
                f"{what} does not take {', '.join(unknown)} (it takes name, comment"
                f"{''.join(', ' + o for o in self.io)})"
            )
        for option in PATHS:
            if options.get(option) is not None:
                check_path(options[option], f"{what}: {option}")
        for option in ("parameters", "result_selector"):
            value = options.get(option)
            if value is not None and not isinstance(value, Mapping):
                raise ServiceDefinitionError(f"{what}: {option} must be a dict, got {value!r}")
            if value is not None:
                _json(value, f"{what}: {option}")
        self.options = {key: value for key, value in options.items() if value is not None}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})" if self.name else f"{type(self).__name__}()"

    # -- linking ------------------------------------------------------------------------

    def _link(self, state: StateRef, what: str) -> None:
        check_ref(state, what)
        if isinstance(state, State):
            state.predecessors.append(self)

    def next(self, state: StateRef) -> Any:
        """Make ``state`` (or the state of that name) follow this one; return it."""
        what = f"{self!r}.next()"
        if self.terminal:
            raise ServiceDefinitionError(
                f"{what}: a {self.kind} state cannot have a next state"
                + (" (use .when()/.otherwise())" if self.kind == "Choice" else "")
            )
        if self._next is not None and self._next is not state:
            raise ServiceDefinitionError(f"{what}: it already continues with {self._next!r}")
        self._link(state, what)
        self._next = state
        return state

    def transitions(self) -> list[StateRef]:
        """Every state this one may go to, in a stable order."""
        return [self._next] if self._next is not None else []

    def flows(self) -> list[tuple[str, State]]:
        """``(label, start)`` of the flows nested in this state (Parallel, Map)."""
        return []

    def default_name(self, service: Service) -> str:
        return self.kind

    # -- rendering ----------------------------------------------------------------------

    def to_asl(self, name_of: Callable[[StateRef], str], render: Renderer) -> dict[str, Any]:
        """The ASL object of this state; ``name_of`` names a linked state, ``render``
        renders nested flows and task resources."""
        body: dict[str, Any] = {"Type": self.kind}
        if self.comment:
            body["Comment"] = self.comment
        body.update(self.fields(name_of, render))
        for option, value in self.options.items():
            body[IO_FIELDS[option]] = value
        if not self.terminal:
            if self._next is None:
                body["End"] = True
            else:
                body["Next"] = name_of(self._next)
        return body

    def fields(self, name_of: Callable[[StateRef], str], render: Renderer) -> dict[str, Any]:
        """The kind's own fields."""
        return {}


class Renderer:
    """What :meth:`State.to_asl` needs from the machine (see ``graph.Layout``)."""

    def flow(self, start: State) -> dict[str, Any]:  # pragma: no cover - interface
        raise NotImplementedError

    def resource(self, task: Task) -> str:  # pragma: no cover - interface
        raise NotImplementedError


class _Handling(State):
    """A state with ``retry`` and ``catch`` (Task, Parallel, Map)."""

    def __init__(self, *, retry: Sequence[Any] | None = None, catch: Sequence[Any] | None = None,
                 **options: Any) -> None:
        super().__init__(**options)
        what = repr(self)
        self.retry: tuple[Retry, ...] = retriers(retry, what)
        self.catch: tuple[Catch, ...] = catchers(catch, what)
        for rules, label in ((self.retry, "retry"), (self.catch, "catch")):
            for rule in rules[:-1]:
                if "States.ALL" in rule.error_equals:
                    raise ServiceDefinitionError(
                        f"{what}: the {label} rule on 'States.ALL' must be the last one"
                    )
        for catcher in self.catch:
            self._link(catcher.next, f"{what}: catch next")

    def transitions(self) -> list[StateRef]:
        return [*super().transitions(), *(catcher.next for catcher in self.catch)]

    def fields(self, name_of: Callable[[StateRef], str], render: Renderer) -> dict[str, Any]:
        body: dict[str, Any] = {}
        if self.retry:
            body["Retry"] = [rule.to_asl() for rule in self.retry]
        if self.catch:
            body["Catch"] = []
            for catcher in self.catch:
                rule: dict[str, Any] = {"ErrorEquals": list(catcher.error_equals),
                                        "Next": name_of(catcher.next)}
                if catcher.result_path is not None:
                    rule["ResultPath"] = catcher.result_path
                body["Catch"].append(rule)
        return body


def _seconds(value: object, what: str, low: int = 1) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                              or not low <= value <= 99999999):
        raise ServiceDefinitionError(f"{what} must be an integer from {low} to 99999999")


class Task(_Handling):
    """Run ``function`` (a function of the service: the decorated Python function, what
    ``add_function`` returned, or its key). The state's output is the function's return
    value (the direct Lambda ARN form of ``Resource``), as the next state sees it."""

    kind = "Task"
    io = tuple(IO_FIELDS)

    def __init__(self, function: Any, *, retry: Sequence[Any] | None = None,
                 catch: Sequence[Any] | None = None, timeout_seconds: int | None = None,
                 heartbeat_seconds: int | None = None, **options: Any) -> None:
        if function is None or not (callable(function) or isinstance(function, str)
                                    or hasattr(function, "key")):
            raise ServiceDefinitionError(
                f"Task(): function must be a function of the service, got {function!r}"
            )
        self.function = function
        super().__init__(retry=retry, catch=catch, **options)
        _seconds(timeout_seconds, f"{self!r}: timeout_seconds")
        _seconds(heartbeat_seconds, f"{self!r}: heartbeat_seconds")
        if heartbeat_seconds and timeout_seconds and heartbeat_seconds >= timeout_seconds:
            raise ServiceDefinitionError(
                f"{self!r}: heartbeat_seconds must be less than timeout_seconds"
            )
        self.timeout_seconds = timeout_seconds
        self.heartbeat_seconds = heartbeat_seconds

    def __repr__(self) -> str:
        if self.name:
            return f"Task({self.name!r})"
        target = self.function if isinstance(self.function, str) else getattr(
            self.function, "key", getattr(self.function, "__name__", "?"))
        return f"Task({target})"

    def resolve(self, service: Service) -> LambdaFunction:
        """The service's function this task runs (an error naming it if none)."""
        return service.function_of(self.function, what=repr(self))

    def default_name(self, service: Service) -> str:
        return camel(self.resolve(service).key)

    def fields(self, name_of: Callable[[StateRef], str], render: Renderer) -> dict[str, Any]:
        body: dict[str, Any] = {"Resource": render.resource(self)}
        if self.timeout_seconds is not None:
            body["TimeoutSeconds"] = self.timeout_seconds
        if self.heartbeat_seconds is not None:
            body["HeartbeatSeconds"] = self.heartbeat_seconds
        body.update(super().fields(name_of, render))
        return body


class Choice(State):
    """Branch on the input: the first ``when(condition, state)`` that holds wins, else
    ``otherwise(state)``. Conditions: ``Choice.equals(path, value)``,
    ``Choice.greater_than(path, n)``, ``Choice.is_present(path)``... (see
    :mod:`sparta_stepfunctions.conditions`)."""

    kind = "Choice"
    terminal = True

    equals = staticmethod(conditions.equals)
    less_than = staticmethod(conditions.less_than)
    less_than_equals = staticmethod(conditions.less_than_equals)
    greater_than = staticmethod(conditions.greater_than)
    greater_than_equals = staticmethod(conditions.greater_than_equals)
    matches = staticmethod(conditions.matches)
    is_present = staticmethod(conditions.is_present)
    is_null = staticmethod(conditions.is_null)
    is_string = staticmethod(conditions.is_string)
    is_numeric = staticmethod(conditions.is_numeric)
    is_boolean = staticmethod(conditions.is_boolean)
    is_timestamp = staticmethod(conditions.is_timestamp)
    and_ = staticmethod(conditions.and_)
    or_ = staticmethod(conditions.or_)
    not_ = staticmethod(conditions.not_)

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.branches: list[tuple[Condition, StateRef]] = []
        self.default: StateRef | None = None

    def when(self, condition: Condition, state: StateRef) -> Choice:
        """Go to ``state`` when ``condition`` holds; returns the Choice, to chain."""
        what = f"{self!r}.when()"
        if not isinstance(condition, Condition):
            raise ServiceDefinitionError(
                f"{what}: {condition!r} is not a condition (build one with Choice.equals...)"
            )
        self._link(state, what)
        self.branches.append((condition, state))
        return self

    def otherwise(self, state: StateRef) -> Choice:
        """Go to ``state`` when no condition holds; returns the Choice."""
        what = f"{self!r}.otherwise()"
        if self.default is not None and self.default is not state:
            raise ServiceDefinitionError(f"{what}: it already goes to {self.default!r}")
        self._link(state, what)
        self.default = state
        return self

    def transitions(self) -> list[StateRef]:
        found = [state for _, state in self.branches]
        return found + ([self.default] if self.default is not None else [])

    def fields(self, name_of: Callable[[StateRef], str], render: Renderer) -> dict[str, Any]:
        body: dict[str, Any] = {
            "Choices": [{**condition.to_asl(), "Next": name_of(state)}
                        for condition, state in self.branches]
        }
        if self.default is not None:
            body["Default"] = name_of(self.default)
        return body


class Wait(State):
    """Wait ``seconds``, until ``timestamp`` (ISO 8601), or as long as the input's
    ``seconds_path`` / until its ``timestamp_path`` says: exactly one of the four."""

    kind = "Wait"

    def __init__(self, *, seconds: int | None = None, timestamp: str | None = None,
                 seconds_path: str | None = None, timestamp_path: str | None = None,
                 **options: Any) -> None:
        super().__init__(**options)
        given = {key: value for key, value in (
            ("Seconds", seconds), ("Timestamp", timestamp),
            ("SecondsPath", seconds_path), ("TimestampPath", timestamp_path),
        ) if value is not None}
        if len(given) != 1:
            raise ServiceDefinitionError(
                f"{self!r}: give exactly one of seconds, timestamp, seconds_path, timestamp_path"
            )
        _seconds(seconds, f"{self!r}: seconds", low=0)
        for key in ("SecondsPath", "TimestampPath"):
            if key in given:
                check_path(given[key], f"{self!r}: {key}")
        if timestamp is not None and not isinstance(timestamp, str):
            raise ServiceDefinitionError(f"{self!r}: timestamp must be an ISO 8601 string")
        self.wait = given

    def fields(self, name_of: Callable[[StateRef], str], render: Renderer) -> dict[str, Any]:
        return dict(self.wait)


_NOTHING = object()


class Pass(State):
    """Pass the input on, or ``result`` in its place (at ``result_path``)."""

    kind = "Pass"
    io = ("input_path", "output_path", "result_path", "parameters")

    def __init__(self, *, result: Any = _NOTHING, **options: Any) -> None:
        super().__init__(**options)
        if result is not _NOTHING:
            _json(result, f"{self!r}: result")
        self.result = result

    def fields(self, name_of: Callable[[StateRef], str], render: Renderer) -> dict[str, Any]:
        return {} if self.result is _NOTHING else {"Result": self.result}


class Succeed(State):
    """End the execution (or the branch) successfully."""

    kind = "Succeed"
    terminal = True


class Fail(State):
    """End the execution as failed, with ``error`` (a name) and ``cause`` (a text)."""

    kind = "Fail"
    terminal = True
    io = ()

    def __init__(self, *, error: str | None = None, cause: str | None = None,
                 **options: Any) -> None:
        super().__init__(**options)
        for option, value in (("error", error), ("cause", cause)):
            if value is not None and not isinstance(value, str):
                raise ServiceDefinitionError(f"{self!r}: {option} must be a string")
        self.error = error
        self.cause = cause

    def fields(self, name_of: Callable[[StateRef], str], render: Renderer) -> dict[str, Any]:
        body = {}
        if self.error is not None:
            body["Error"] = self.error
        if self.cause is not None:
            body["Cause"] = self.cause
        return body


__all__ = [
    "Choice",
    "Fail",
    "Pass",
    "State",
    "StateRef",
    "Succeed",
    "Task",
    "Wait",
]
