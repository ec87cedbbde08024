"""What converging (or planning) did: the executor fills an :class:`Outcome`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sparta_core.stages.converge.events import StackEvent
    from sparta_core.stages.converge.planner import ResourceChange


@dataclass
class Outcome:
    """What converging (or planning) did."""

    stack_name: str
    status: str = ""
    stack_id: str | None = None
    changed: bool = False
    outputs: dict[str, str] = field(default_factory=dict)
    changes: list[ResourceChange] = field(default_factory=list)
    events: list[StackEvent] = field(default_factory=list)
    slowest: list[tuple[str, float]] = field(default_factory=list)
    change_set_type: str = ""
    change_set_id: str = ""
    #: What the change set broadens in IAM (the approval table), if it was computed.
    broadening: list[Any] = field(default_factory=list)
