"""``sparta logs``: a deployed function's CloudWatch Logs, recent or followed.

Lambda writes each function's output to the log group ``/aws/lambda/<function name>``,
which sparta declares in the template. This reads it with ``FilterLogEvents`` (all
streams, oldest first) from a start time, and with ``--follow`` keeps polling, printing
each event once.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from typing import Any

from sparta_core.errors import ConfigError, SpartaError

_DURATION = re.compile(r"(\d+)\s*([smhd])")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
POLL_SECONDS = 2.0


def parse_since(text: str) -> float:
    """``"10m"``, ``"2h"``, ``"1d"``, ``"90s"`` (or a bare number of minutes) in seconds."""
    text = text.strip()
    if text.isdigit():
        return int(text) * 60.0
    match = _DURATION.fullmatch(text)
    if match is None:
        raise ConfigError(f"--since {text!r}: expected a duration such as 30s, 10m, 2h or 1d")
    return int(match.group(1)) * float(_SECONDS[match.group(2)])


def log_events(
    client: Any,
    log_group: str,
    start_ms: int,
    *,
    follow: bool = False,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[dict[str, Any]]:
    """The log group's events from ``start_ms``, oldest first, each once; with
    ``follow``, forever (the caller stops on Ctrl-C)."""
    seen: set[str] = set()
    while True:
        newest = start_ms
        kwargs: dict[str, Any] = {"logGroupName": log_group, "startTime": start_ms}
        while True:
            try:
                page = client.filter_log_events(**kwargs)
            except Exception as error:
                code = getattr(error, "response", {}).get("Error", {}).get("Code", "")
                if code == "ResourceNotFoundException":
                    raise SpartaError(
                        f"log group {log_group} does not exist: is the stack deployed?"
                    ) from None
                raise
            for event in sorted(page.get("events", []), key=lambda e: e["timestamp"]):
                event_id = event.get("eventId") or f"{event['timestamp']}{event['message']}"
                if event_id in seen:
                    continue
                seen.add(event_id)
                newest = max(newest, int(event["timestamp"]))
                yield event
            token = page.get("nextToken")
            if not token:
                break
            kwargs["nextToken"] = token
        if not follow:
            return
        # Events of the same millisecond may still arrive: start there, skip what is seen.
        start_ms = newest
        sleep(POLL_SECONDS)


def format_log_event(event: dict[str, Any]) -> str:
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(event["timestamp"] / 1000))
    return f"{stamp}  {event['message'].rstrip()}"


#: How long ``invoke --remote`` waits for an invocation's lines to reach the log group
#: when the endpoint returned no log tail (the local endpoint writes them seconds later).
TAIL_WAIT_SECONDS = 10.0


def invocation_log(
    client: Any,
    log_group: str,
    start_ms: int,
    request_id: str,
    *,
    wait: float = TAIL_WAIT_SECONDS,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[list[str], str]:
    """The lines one invocation wrote to ``log_group`` (``START`` to ``REPORT``), read
    with ``FilterLogEvents`` from ``start_ms``: those of ``request_id`` when the group
    has them, else (an endpoint whose log lines carry a request ID of their own) the
    last complete invocation that began after ``start_ms``. Returns the lines, or no
    lines and why there are none."""
    deadline = time.monotonic() + wait
    while True:
        try:
            events = list(log_events(client, log_group, start_ms))
        except SpartaError:
            return [], f"log group {log_group} does not exist"
        lines = _one_invocation(events, request_id)
        if lines:
            return lines, ""
        if time.monotonic() >= deadline:
            return [], (f"log group {log_group} had no lines of this invocation within "
                        f"{wait:.0f} s")
        sleep(0.5)


def _one_invocation(events: list[dict[str, Any]], request_id: str) -> list[str]:
    by_stream: dict[str, list[dict[str, Any]]] = {}
    for event in events:
        by_stream.setdefault(event.get("logStreamName", ""), []).append(event)
    blocks: list[tuple[int, list[str], bool]] = []
    for stream_events in by_stream.values():
        current: list[str] | None = None
        began = 0
        for event in stream_events:
            message = event["message"].rstrip("\n")
            if message.startswith("START RequestId:"):
                current, began = [message], int(event["timestamp"])
                continue
            if current is None:
                continue
            current.append(message)
            if message.startswith("REPORT RequestId:"):
                blocks.append((began, current, request_id in current[0]))
                current = None
    exact = [lines for _, lines, ours in blocks if ours]
    if exact:
        return exact[-1]
    return max(blocks, key=lambda block: block[0])[1] if blocks else []
