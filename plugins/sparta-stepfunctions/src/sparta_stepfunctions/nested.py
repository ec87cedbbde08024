"""The states that hold flows of their own: ``Parallel`` (its branches) and ``Map`` (its
iterator). Each nested flow is walked, named and checked like the main flow (see
:mod:`sparta_stepfunctions.graph`), and may only go to its own states.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sparta_core.errors import ServiceDefinitionError
from sparta_stepfunctions.conditions import check_path
from sparta_stepfunctions.states import IO_FIELDS, Renderer, State, StateRef, _Handling, _json


class Parallel(_Handling):
    """Run each of ``branches`` (the first state of each flow) on the same input; the
    output is the list of their outputs."""

    kind = "Parallel"
    io = tuple(IO_FIELDS)

    def __init__(self, branches: Sequence[State] = (), **options: Any) -> None:
        super().__init__(**options)
        if isinstance(branches, (str, State)) or not isinstance(branches, Sequence) \
                or not branches or not all(isinstance(b, State) for b in branches):
            raise ServiceDefinitionError(
                f"{self!r}: branches must be a non-empty list of states (each a flow's first)"
            )
        self.branches = list(branches)

    def flows(self) -> list[tuple[str, State]]:
        return [(f"branch {index + 1} of {self!r}", start)
                for index, start in enumerate(self.branches)]

    def fields(self, name_of: Callable[[StateRef], str], render: Renderer) -> dict[str, Any]:
        return {"Branches": [render.flow(start) for start in self.branches],
                **super().fields(name_of, render)}


class Map(_Handling):
    """Run ``iterator`` (a flow's first state) on each item of the list at
    ``items_path``, at most ``max_concurrency`` at once (0: no limit); ``item_selector``
    shapes each item's input. The output is the list of the results."""

    kind = "Map"
    io = tuple(IO_FIELDS)

    def __init__(self, iterator: State | None = None, *, items_path: str | None = None,
                 max_concurrency: int | None = None, item_selector: Mapping[str, Any] | None = None,
                 **options: Any) -> None:
        super().__init__(**options)
        if not isinstance(iterator, State):
            raise ServiceDefinitionError(f"{self!r}: iterator must be a state, got {iterator!r}")
        if items_path is not None:
            check_path(items_path, f"{self!r}: items_path")
        if max_concurrency is not None and (isinstance(max_concurrency, bool) or not isinstance(
                max_concurrency, int) or max_concurrency < 0):
            raise ServiceDefinitionError(f"{self!r}: max_concurrency must be an integer >= 0")
        if item_selector is not None:
            if not isinstance(item_selector, Mapping):
                raise ServiceDefinitionError(f"{self!r}: item_selector must be a dict")
            _json(item_selector, f"{self!r}: item_selector")
        self.iterator = iterator
        self.items_path = items_path
        self.max_concurrency = max_concurrency
        self.item_selector = item_selector

    def flows(self) -> list[tuple[str, State]]:
        return [(f"the iterator of {self!r}", self.iterator)]

    def fields(self, name_of: Callable[[StateRef], str], render: Renderer) -> dict[str, Any]:
        processor = {"ProcessorConfig": {"Mode": "INLINE"}, **render.flow(self.iterator)}
        body: dict[str, Any] = {"ItemProcessor": processor}
        if self.items_path is not None:
            body["ItemsPath"] = self.items_path
        if self.item_selector is not None:
            body["ItemSelector"] = dict(self.item_selector)
        if self.max_concurrency is not None:
            body["MaxConcurrency"] = self.max_concurrency
        body.update(super().fields(name_of, render))
        return body


__all__ = ["Map", "Parallel"]
