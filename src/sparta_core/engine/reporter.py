"""Progress lines for humans, written to standard error so standard output stays data."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO


class Reporter:
    """Prints what a run is doing. ``verbosity``: -1 quiet, 0 normal, 1+ verbose.

    Plugins report through ``ctx.reporter`` so their lines share the format and honour
    ``-q``/``-v``. ``timings`` keeps each finished stage's duration, in seconds.
    """

    def __init__(self, verbosity: int = 0, stream: TextIO | None = None) -> None:
        self.verbosity = verbosity
        self._stream = stream
        self.timings: dict[str, float] = {}
        #: Print a line per stage. Commands whose output is something else (``invoke``,
        #: ``describe``) turn it off; ``-v`` turns it back on.
        self.stages = True
        self._lock = threading.Lock()

    @property
    def stream(self) -> TextIO:
        return self._stream or sys.stderr

    def _write(self, line: str) -> None:
        # One write per line, under a lock: background work (uploads) reports from its
        # own threads while the main thread reports the later stages, and print's two
        # writes (the text, then the newline) could interleave.
        with self._lock:
            stream = self.stream
            stream.write(line + "\n")
            stream.flush()

    def info(self, message: str) -> None:
        """A line shown unless ``-q``."""
        if self.verbosity >= 0:
            self._write(message)

    def detail(self, message: str) -> None:
        """A line shown only with ``-v``."""
        if self.verbosity >= 1:
            self._write(f"  {message}")

    def warn(self, message: str) -> None:
        """A line always shown."""
        self._write(f"warning: {message}")

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Time a stage and print one line for it when it ends (or fails)."""
        started = time.perf_counter()
        ok = False
        try:
            yield
            ok = True
        finally:
            elapsed = time.perf_counter() - started
            self.timings[name] = elapsed
            if (self.stages and self.verbosity >= 0) or self.verbosity >= 1:
                mark = "ok" if ok else "FAILED"
                self._write(f"  {name:<18} {mark:<6} {elapsed * 1000:8.1f} ms")
