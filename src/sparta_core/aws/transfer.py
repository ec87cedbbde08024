"""Uploads that scale: boto3's transfer manager for large files, a bounded pool for
independent uploads, and progress lines for long ones.

* A file of at least the multipart threshold (:data:`MULTIPART_THRESHOLD`, 16 MiB;
  ``SPARTA_MULTIPART_THRESHOLD`` sets another, in bytes) goes up in pieces of
  :data:`MULTIPART_CHUNK`, :data:`UPLOAD_CONCURRENCY` at a time; a smaller one in one
  ``PutObject``. 16 MiB keeps every Lambda archive of a typical service in one request
  (one round trip, no part bookkeeping) and splits the large ones (dependencies near
  Lambda's 50 MB limit, big site assets) into pieces that a lost connection retries
  one by one. A failed multipart upload is aborted by the transfer manager: no object
  appears under the key, so the content address never names half a file.
* :func:`run_parallel` runs independent uploads (the archives, the layer, the
  components' assets, the nested stacks' templates) side by side, at most ``limit`` at
  once, waits for all of them, and raises the first failure in the order given: one
  error, and nothing returned, so the caller records nothing of a half-done batch.
* :class:`Progress` reports a multipart upload's progress at each quarter.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sparta_core.errors import AwsError, ConfigError, SpartaError

#: Files of at least this many bytes go up in multipart pieces.
MULTIPART_THRESHOLD = 16 * 1024 * 1024
#: The size of each piece: S3 wants at least 5 MiB (boto3 raises smaller ones to that).
MULTIPART_CHUNK = 8 * 1024 * 1024
#: Pieces of one file in flight at once.
UPLOAD_CONCURRENCY = 8
#: Independent uploads in flight at once (each may run its own pieces in parallel).
PARALLEL_UPLOADS = 4
#: The environment variable that sets another multipart threshold, in bytes.
THRESHOLD_ENV = "SPARTA_MULTIPART_THRESHOLD"

T = TypeVar("T")
#: Errors made from one message alone, which :func:`run_parallel` may restate with how
#: many others failed (any other error is raised as it is).
COUNTABLE = (AwsError, ConfigError, SpartaError)


@dataclass(frozen=True)
class Tuning:
    """How one file is uploaded: multipart from ``threshold`` bytes, in pieces of
    ``chunk`` bytes, ``concurrency`` pieces at a time."""

    threshold: int
    chunk: int
    concurrency: int

    def transfer_config(self) -> Any:
        """The boto3 ``TransferConfig`` for this tuning."""
        from boto3.s3.transfer import TransferConfig

        return TransferConfig(multipart_threshold=self.threshold,
                              multipart_chunksize=self.chunk,
                              max_concurrency=self.concurrency, use_threads=True)


def tuning(environ: Mapping[str, str] | None = None) -> Tuning:
    """The run's tuning: :data:`MULTIPART_THRESHOLD`, or ``SPARTA_MULTIPART_THRESHOLD``
    when set (a lower threshold also lowers the piece size to it, so that a test or a
    slow link sees several pieces)."""
    raw = (os.environ if environ is None else environ).get(THRESHOLD_ENV, "").strip()
    if not raw:
        return Tuning(MULTIPART_THRESHOLD, MULTIPART_CHUNK, UPLOAD_CONCURRENCY)
    try:
        threshold = int(raw)
    except ValueError:
        threshold = 0
    if threshold <= 0:
        raise ConfigError(f"{THRESHOLD_ENV} must be a whole number of bytes above 0, "
                          f"got {raw!r}")
    return Tuning(threshold, min(MULTIPART_CHUNK, threshold), UPLOAD_CONCURRENCY)


class Progress:
    """A transfer-manager callback that calls ``report`` with a line at each quarter of
    ``size`` bytes sent. Pieces report from several threads, hence the lock."""

    def __init__(self, name: str, size: int, report: Callable[[str], None]) -> None:
        self.name = name
        self.size = size
        self.report = report
        self.sent = 0
        self.quarter = 0
        self._lock = threading.Lock()

    def __call__(self, sent: int) -> None:
        with self._lock:
            self.sent += sent
            quarter = min(4, self.sent * 4 // max(self.size, 1))
            if quarter <= self.quarter or quarter == 4:
                return  # the caller reports the end itself
            self.quarter = quarter
        self.report(f"  upload {self.name}: {quarter * 25}% of {self.size / 2**20:,.1f} MiB")


def run_parallel(calls: Sequence[Callable[[], T]], limit: int = PARALLEL_UPLOADS) -> list[T]:
    """Run ``calls`` side by side, at most ``limit`` at once, and return their results
    in order. Every call runs to its end (none is left running behind the caller's
    back); if any failed, the first failure in order is raised, its message saying how
    many others failed too."""
    if len(calls) <= 1:
        return [call() for call in calls]
    from concurrent.futures import ThreadPoolExecutor  # not on a build that uploads nothing

    with ThreadPoolExecutor(max_workers=max(1, min(limit, len(calls)))) as pool:
        futures = [pool.submit(call) for call in calls]
    errors = [future.exception() for future in futures]
    failed = [error for error in errors if error is not None]
    if failed:
        first = failed[0]
        if len(failed) > 1 and type(first) in COUNTABLE:
            raise type(first)(f"{first} ({len(failed) - 1} more failed too)") from None
        raise first
    return [future.result() for future in futures]
