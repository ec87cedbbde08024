"""``hook_recorder``: every hook call of the runs a test starts, through pluggy's monitoring.

A :class:`HookRecorder` watches each plugin manager sparta builds while it is active
(:func:`sparta_core.engine.manager.watching_plugin_managers`) and adds pluggy's hook-call
monitoring to it, so it sees every hook call of every run, in call order, whoever
implements the hook, without being a plugin of the run itself.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any


@dataclass
class HookCall:
    """One hook call: its name, its keyword arguments, and what it returned (the list of
    results of an event hook, the first result of a provider) once it has finished."""

    name: str
    kwargs: dict[str, Any]
    #: The plugins whose implementations the call was given, last registered first.
    plugins: list[str] = field(default_factory=list)
    result: Any = None
    #: The exception the call raised, if it did.
    error: BaseException | None = None


class HookRecorder:
    """The hooks that fired in the runs started while it records, in the order they were
    called (a call made inside another, like ``sparta_archive`` inside
    ``sparta_package``, comes after it)."""

    def __init__(self) -> None:
        self.records: list[HookCall] = []

    def names(self) -> list[str]:
        """The name of every hook call, in call order."""
        return [record.name for record in self.records]

    def calls(self, name: str) -> list[dict[str, Any]]:
        """The keyword arguments of each call of the hook ``name``, in call order."""
        return [record.kwargs for record in self.records if record.name == name]

    def results(self, name: str) -> list[Any]:
        """What each call of the hook ``name`` returned."""
        return [record.result for record in self.records if record.name == name]

    def clear(self) -> None:
        """Forget what was recorded so far."""
        self.records.clear()

    def watch(self, pm: Any) -> None:
        """Record every hook call of the plugin manager ``pm``."""
        pending: list[HookCall] = []

        def before(hook_name: str, hook_impls: Any, kwargs: Mapping[str, Any]) -> None:
            record = HookCall(
                hook_name, dict(kwargs),
                [impl.plugin_name for impl in reversed(list(hook_impls))],
            )
            self.records.append(record)
            pending.append(record)

        def after(outcome: Any, hook_name: str, hook_impls: Any, kwargs: Any) -> None:
            record = pending.pop()
            record.error = outcome.exception
            if record.error is None:
                record.result = outcome.get_result()

        pm.add_hookcall_monitoring(before, after)

    @contextmanager
    def recording(self) -> Iterator[HookRecorder]:
        """Watch every plugin manager sparta builds inside the ``with`` block."""
        from sparta_core.engine.manager import watching_plugin_managers

        with watching_plugin_managers(self.watch):
            yield self
