"""Picking one invocation's lines out of a log group's events."""

from __future__ import annotations

from typing import Any

from sparta_core.commands.logs_fetch import invocation_log


class LogGroup:
    """A stand-in for a CloudWatch Logs client's ``filter_log_events``."""

    def __init__(self, events: list[dict[str, Any]] | None) -> None:
        self.events = events

    def filter_log_events(self, **kwargs: Any) -> dict[str, Any]:
        if self.events is None:
            error = Exception("missing")
            error.response = {"Error": {"Code": "ResourceNotFoundException"}}  # type: ignore[attr-defined]
            raise error
        return {"events": [e for e in self.events if e["timestamp"] >= kwargs["startTime"]]}


def block(request_id: str, at: int, stream: str = "s1") -> list[dict[str, Any]]:
    return [{"timestamp": at + i, "logStreamName": stream, "message": m, "eventId": f"{request_id}{i}"}
            for i, m in enumerate([f"START RequestId: {request_id} Version: $LATEST",
                                   f"said {request_id}\n", f"END RequestId: {request_id}",
                                   f"REPORT RequestId: {request_id}\tDuration: 1 ms"])]


def test_the_invocation_of_the_request_id_wins() -> None:
    group = LogGroup(block("a", 100) + block("b", 200, "s2"))
    lines, reason = invocation_log(group, "/aws/lambda/f", 0, "a", wait=0)
    assert lines[1] == "said a" and reason == ""


def test_else_the_last_invocation_after_the_start() -> None:
    group = LogGroup(block("x", 100) + block("y", 200, "s2"))
    lines, _ = invocation_log(group, "/aws/lambda/f", 0, "other-id", wait=0)
    assert lines[0].startswith("START RequestId: y")


def test_an_incomplete_or_missing_invocation_says_why() -> None:
    lines, reason = invocation_log(LogGroup(block("a", 100)[:2]), "/aws/lambda/f", 0, "a",
                                   wait=0)
    assert lines == [] and reason == "log group /aws/lambda/f had no lines of this invocation within 0 s"
    lines, reason = invocation_log(LogGroup(None), "/aws/lambda/f", 0, "a", wait=0)
    assert reason == "log group /aws/lambda/f does not exist"
