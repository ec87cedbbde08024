"""Stack events: streamed as they come, deduplicated, explained when something fails."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

STACK_TYPE = "AWS::CloudFormation::Stack"

#: Reasons that only follow a failure elsewhere; never the root cause.
FOLLOW_ON_REASONS = (
    "resource creation cancelled",
    "resource update cancelled",
    "resource deletion cancelled",
    "rollback requested by user",
    "the following resource(s) failed to",
    "user initiated",
)


@dataclass(frozen=True)
class StackEvent:
    """One CloudFormation stack event, with the fields sparta uses."""

    event_id: str
    timestamp: datetime
    logical_id: str
    resource_type: str
    status: str
    reason: str = ""
    physical_id: str = ""

    @classmethod
    def from_api(cls, event: dict[str, Any]) -> StackEvent:
        return cls(
            event_id=event["EventId"],
            timestamp=event["Timestamp"],
            logical_id=event.get("LogicalResourceId", ""),
            resource_type=event.get("ResourceType", ""),
            status=event.get("ResourceStatus", ""),
            reason=event.get("ResourceStatusReason") or "",
            physical_id=event.get("PhysicalResourceId") or "",
        )

    @property
    def is_stack(self) -> bool:
        return self.resource_type == STACK_TYPE

    @property
    def failed(self) -> bool:
        return self.status.endswith("_FAILED")


def format_event(event: StackEvent, started: datetime | None, *, clock: bool = False) -> str:
    """One line: elapsed time since ``started`` (or, with ``clock``, the event's time),
    status, resource, type, reason."""
    if clock:
        when = f"{event.timestamp:%Y-%m-%d %H:%M:%S}"
    else:
        elapsed = (event.timestamp - started).total_seconds() if started else 0.0
        when = f"{elapsed:7.1f}s"
    line = f"  {when}  {event.status:<28} {event.logical_id}  ({event.resource_type})"
    if event.reason and event.reason.lower() != "user initiated":
        line += f": {event.reason}"
    return line


class EventStream:
    """The new events of one stack, oldest first, each exactly once.

    :meth:`mark` remembers the newest existing event; :meth:`poll` returns the events
    after it that were not returned before (deduplicated by ``EventId``, since local
    endpoints and retries may repeat them).
    """

    def __init__(self, cloudformation: Any, stack_id: str) -> None:
        self.cloudformation = cloudformation
        self.stack_id = stack_id
        self.seen: set[str] = set()
        self.events: list[StackEvent] = []
        self.started: datetime | None = None
        #: Events older than this belong to an earlier operation: never read past them.
        self.since: datetime | None = None

    def _pages(self) -> Iterable[list[dict[str, Any]]]:
        token: str | None = None
        while True:
            kwargs: dict[str, Any] = {"StackName": self.stack_id}
            if token:
                kwargs["NextToken"] = token
            page = self.cloudformation.describe_stack_events(**kwargs)
            yield page.get("StackEvents", [])
            token = page.get("NextToken")
            if not token:
                return

    def mark(self) -> None:
        """Treat every event that exists now as already seen."""
        for page in self._pages():
            if page:
                self.seen.add(page[0]["EventId"])
            return

    def poll(self) -> list[StackEvent]:
        """The events since the last poll (or :meth:`mark`), oldest first."""
        fresh: list[StackEvent] = []
        done = False
        for page in self._pages():
            for raw in page:
                if raw["EventId"] in self.seen or (
                    self.since is not None and raw["Timestamp"] < self.since
                ):
                    done = True
                    break
                fresh.append(StackEvent.from_api(raw))
            if done:
                break
        fresh.reverse()
        new = []
        for event in fresh:
            if event.event_id in self.seen:
                continue
            self.seen.add(event.event_id)
            new.append(event)
        if new and self.started is None:
            self.started = new[0].timestamp
        self.events.extend(new)
        return new


def _is_follow_on(reason: str) -> bool:
    lowered = reason.lower()
    return any(marker in lowered for marker in FOLLOW_ON_REASONS)


def root_cause(events: Iterable[StackEvent]) -> StackEvent | None:
    """The first failed resource event whose reason is not a follow-on of another
    failure; else the first failed resource event; else the first failed stack event."""
    failures = [event for event in events if event.failed]
    for candidates in (
        [e for e in failures if not e.is_stack and e.reason and not _is_follow_on(e.reason)],
        [e for e in failures if not e.is_stack],
        [e for e in failures if e.reason and not _is_follow_on(e.reason)],
    ):
        if candidates:
            return candidates[0]
    return None


def describe_cause(event: StackEvent | None) -> str:
    if event is None:
        return "CloudFormation gave no reason"
    reason = (event.reason or event.status).strip().rstrip(".")
    if event.is_stack:
        return reason
    return f"resource {event.logical_id} ({event.resource_type}): {reason}"


def slowest(events: Iterable[StackEvent], count: int = 3) -> list[tuple[str, float]]:
    """The ``count`` resources that took longest, as ``(logical id, seconds)``."""
    began: dict[str, datetime] = {}
    took: dict[str, float] = {}
    for event in events:
        if event.is_stack:
            continue
        if event.status.endswith("_IN_PROGRESS"):
            began.setdefault(event.logical_id, event.timestamp)
        elif event.logical_id in began:
            took[event.logical_id] = (event.timestamp - began[event.logical_id]).total_seconds()
    return sorted(took.items(), key=lambda item: (-item[1], item[0]))[:count]
