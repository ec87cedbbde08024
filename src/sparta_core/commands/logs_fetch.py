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
