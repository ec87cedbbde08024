"""A machine's states as one checked, named graph, and its ASL definition.

:func:`layout` walks the states from ``start``: each *flow* (the machine's main flow,
each branch of a ``Parallel``, the iterator of a ``Map``) is walked depth first along
``next``, then ``Choice`` rules in order, its default, then ``Catch`` rules in order;
nested flows are walked after the flow that holds them. That order is the order of the
definition's ``States`` and the order in which derived names are given, so the same
declaration always gives the same names:

- a state given ``name=`` keeps it; two states given the same name are an error;
- any other state is named after its kind (``Choice``, ``Wait``...) or, for a ``Task``,
  its function's key in CamelCase (``validate_order`` -> ``ValidateOrder``); a derived
  name already taken gets the first free suffix ``2``, ``3``...

The walk also finds what cannot run: a state reachable from two flows (a branch may not
leave its branch), a state that links into the machine but that nothing reaches
(unreachable), a name that names no state of its flow (dangling), a ``Choice`` without
``when`` rules, a ``Task`` whose function is not one of the service's. Each is a
:class:`~sparta_core.errors.ServiceDefinitionError` naming the machine and the state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sparta_core.errors import ServiceDefinitionError
from sparta_stepfunctions.states import Choice, Renderer, State, StateRef, Task

if TYPE_CHECKING:
    from sparta_core import LambdaFunction, Service


@dataclass
class Flow:
    """One flow: its label, first state and states in walk order."""

    label: str
    start: State
    states: list[State] = field(default_factory=list)


@dataclass
class Layout:
    """The checked graph of one machine."""

    flows: list[Flow]
    #: id(state) -> its name.
    names: dict[int, str]
    #: id(state) -> the flow it belongs to.
    flow_of: dict[int, Flow]
    #: Each task and the service function it runs, in walk order.
    tasks: list[tuple[Task, LambdaFunction]]

    def states(self) -> list[State]:
        return [state for flow in self.flows for state in flow.states]

    def functions(self) -> list[LambdaFunction]:
        """The distinct functions the machine runs, in walk order."""
        seen: dict[str, LambdaFunction] = {}
        for _, function in self.tasks:
            seen.setdefault(function.key, function)
        return list(seen.values())

    def name_of(self, state: State) -> str:
        return self.names[id(state)]

    def target(self, source: State, ref: StateRef) -> State:
        """The state ``ref`` (an object or a name) stands for, as seen from ``source``."""
        if isinstance(ref, State):
            return ref
        flow = self.flow_of[id(source)]
        for state in flow.states:
            if self.names[id(state)] == ref:
                return state
        raise KeyError(ref)


def _walk(flow: Flow, flow_of: dict[int, Flow], what: str) -> list[Flow]:
    """Walk ``flow`` from its start; return the flows nested in its states."""
    nested: list[Flow] = []
    stack: list[State] = [flow.start]
    while stack:
        state = stack.pop()
        owner = flow_of.get(id(state))
        if owner is flow:
            continue
        if owner is not None:
            raise ServiceDefinitionError(
                f"{what}: {state!r} is reached from {owner.label} and from {flow.label}; "
                "a Parallel branch or a Map iterator is a flow of its own, which can only "
                "go to its own states"
            )
        flow_of[id(state)] = flow
        flow.states.append(state)
        nested.extend(Flow(label, start) for label, start in state.flows())
        # Reversed onto the stack, so the first transition is walked first.
        stack.extend(ref for ref in reversed(state.transitions()) if isinstance(ref, State))
    return nested


def _name(flows: list[Flow], service: Service, what: str) -> dict[int, str]:
    names: dict[int, str] = {}
    taken: dict[str, State] = {}
    states = [state for flow in flows for state in flow.states]
    for state in states:
        if state.name is None:
            continue
        if state.name in taken:
            raise ServiceDefinitionError(
                f"{what}: two states are named '{state.name}' ({taken[state.name]!r} and "
                f"another {state.kind}); state names must be unique in the machine"
            )
        taken[state.name] = state
        names[id(state)] = state.name
    for state in states:
        if state.name is not None:
            continue
        base = state.default_name(service)[:78]
        name, suffix = base, 1
        while name in taken:
            suffix += 1
            name = f"{base}{suffix}"
        taken[name] = state
        names[id(state)] = name
    return names


def layout(start: State, service: Service, what: str) -> Layout:
    """Walk, check and name the states reachable from ``start`` (``what`` names the
    machine in errors)."""
    if not isinstance(start, State):
        raise ServiceDefinitionError(f"{what}: start must be a state, got {start!r}")
    flow_of: dict[int, Flow] = {}
    flows: list[Flow] = []
    pending = [Flow("the main flow", start)]
    while pending:
        flow = pending.pop(0)
        flows.append(flow)
        pending.extend(_walk(flow, flow_of, what))

    tasks: list[tuple[Task, LambdaFunction]] = []
    for flow in flows:
        for state in flow.states:
            if isinstance(state, Task):
                try:
                    tasks.append((state, state.resolve(service)))
                except ServiceDefinitionError as error:
                    raise ServiceDefinitionError(f"{what}: {error}") from None
            if isinstance(state, Choice) and not state.branches:
                raise ServiceDefinitionError(
                    f"{what}: {state!r} has no branches; add at least one "
                    ".when(condition, state)"
                )
    names = _name(flows, service, what)
    result = Layout(flows, names, flow_of, tasks)

    for state in result.states():
        for predecessor in state.predecessors:
            if id(predecessor) not in flow_of:
                raise ServiceDefinitionError(
                    f"{what}: {predecessor!r} is unreachable: it goes to "
                    f"'{names[id(state)]}', but no state of the machine goes to it "
                    "(.next() returns the state it adds: was its result given where the "
                    "first state of a chain was meant?)"
                )
        for ref in state.transitions():
            if isinstance(ref, State):
                continue
            try:
                result.target(state, ref)
            except KeyError:
                flow = flow_of[id(state)]
                known = ", ".join(names[id(s)] for s in flow.states)
                elsewhere = [n for n in names.values() if n == ref]
                hint = " (that state is in another flow)" if elsewhere else ""
                raise ServiceDefinitionError(
                    f"{what}: '{names[id(state)]}' goes to '{ref}', which names no state of "
                    f"{flow.label}{hint}; its states: {known}"
                ) from None
    return result


class Definition(Renderer):
    """Renders a :class:`Layout` as the ASL definition; ``resource(task)`` is given."""

    def __init__(self, layout: Layout, resources: dict[str, str]) -> None:
        self.layout = layout
        #: Function key -> the text of the tasks' ``Resource`` (a substitution).
        self.resources = resources

    def resource(self, task: Task) -> str:
        for candidate, function in self.layout.tasks:
            if candidate is task:
                return self.resources[function.key]
        raise KeyError(task)  # pragma: no cover - every task was laid out

    def flow(self, start: State) -> dict[str, Any]:
        flow = self.layout.flow_of[id(start)]
        states: dict[str, Any] = {}
        for state in flow.states:
            states[self.layout.name_of(state)] = state.to_asl(
                lambda ref, source=state: self.layout.name_of(self.layout.target(source, ref)),
                self,
            )
        return {"StartAt": self.layout.name_of(flow.start), "States": states}


__all__ = ["Definition", "Flow", "Layout", "layout"]
