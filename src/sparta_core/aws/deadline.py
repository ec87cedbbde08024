"""Every AWS call has a deadline (DESIGN §6): the constant, its setting, and the botocore
timeouts and attempts that keep it. :mod:`sparta_core.aws.clients` configures every client
with them."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass

from sparta_core.errors import ConfigError

#: DESIGN §6: every call has a deadline. An endpoint that accepts connections and never
#: answers fails within this many seconds, retries and back-off included.
AWS_TIMEOUT = 30.0
#: The environment variable that sets another deadline, in seconds.
TIMEOUT_ENV = "SPARTA_AWS_TIMEOUT"
MAX_ATTEMPTS = 3


#: After an upload's last write returns, its last bytes still sit in the socket's send
#: buffer (a few MB), and the answer comes only once they are through: an upload's read
#: timeout allows for them at this slow rate. While bytes move, no timeout fires at all
#: (each socket operation has its own timeout).
UPLOAD_MIN_RATE = 256 * 1024
UPLOAD_BUFFER = 4 * 1024 * 1024


def upload_wait(size: int) -> float:
    """Seconds added to the read timeout of an upload of ``size`` bytes."""
    return float(math.ceil(min(size, UPLOAD_BUFFER) / UPLOAD_MIN_RATE))


@dataclass(frozen=True)
class CallTimeouts:
    """What botocore is configured with so that a call ends within ``deadline``."""

    deadline: float
    attempts: int
    connect: float
    read: float


def call_deadline(environ: Mapping[str, str] | None = None) -> float:
    """The deadline of one call: ``SPARTA_AWS_TIMEOUT`` if set, else :data:`AWS_TIMEOUT`."""
    raw = (os.environ if environ is None else environ).get(TIMEOUT_ENV, "").strip()
    if not raw:
        return AWS_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        value = 0.0
    if not 0 < value <= 3600:
        raise ConfigError(f"{TIMEOUT_ENV} must be a number of seconds (0 < s <= 3600), "
                          f"got {raw!r}")
    return value


def call_timeouts(deadline: float, max_attempts: int = MAX_ATTEMPTS) -> CallTimeouts:
    """Attempts and per-attempt timeouts whose worst case fits in ``deadline``.

    Each attempt waits at most ``connect`` to connect and ``read`` for each read;
    botocore's standard mode sleeps at most ``2**(n-1)`` seconds before attempt ``n+1``,
    so ``attempts * (connect + read)`` plus those sleeps stays within ``deadline``. A
    short deadline gets fewer attempts (at least one).
    """
    attempts = max(1, min(max_attempts, int(deadline // 3)))
    backoff = 2 ** (attempts - 1) - 1
    per_attempt = (deadline - backoff) / attempts
    return CallTimeouts(deadline, attempts, connect=per_attempt / 3,
                        read=per_attempt * 2 / 3)
