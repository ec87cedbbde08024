"""Work a stage leaves running while later stages go on: ``ctx.background``.

A stage whose result is known before its work is done (the upload stage knows every
artifact's S3 key from its hash before anything is sent) may start the rest with
:meth:`BackgroundWork.start` and return at once. The later stages run beside it, and the
workflow makes sure it never outlives its use:

* it is **joined** (waited for; the first failure raised, as if the stage that started
  it had raised it) before ``sparta_converge`` and ``sparta_plan`` are called, unless
  every implementation of that hook is marked :func:`joins_background`, which says it
  calls :meth:`BackgroundWork.join` itself before it relies on the work (the built-in
  converge does, just before its first CloudFormation call that changes anything, so
  that the templates go up beside the artifacts); and again after them, and before
  ``sparta_provisioned``, whatever they did;
* when the run fails or is interrupted first, it is **settled**
  (:meth:`BackgroundWork.settle`): asked to stop (:attr:`BackgroundWork.stopping` turns
  true, and work that checks it between its pieces gives up on the pieces not begun),
  waited for, and each failure shown as a warning, before ``sparta_rollback`` runs and
  the first error goes on to the user.

So no thread of it is left running when the command ends, and no failure of it is lost.
Any hook may call ``ctx.background.join()`` when it needs what the work makes (a
``sparta_pre_marshall`` that reads an uploaded artifact back from S3, say).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from sparta_core.engine.hookcall import current_call, describe_error, named_failure

if TYPE_CHECKING:
    from sparta_core.engine.reporter import Reporter

F = TypeVar("F", bound=Callable[..., Any])
#: The attribute :func:`joins_background` sets on a hook implementation.
JOINS_ATTRIBUTE = "sparta_joins_background"


def joins_background(function: F) -> F:
    """Mark a hook implementation (of ``sparta_converge`` or ``sparta_plan``) as one that
    calls ``ctx.background.join()`` itself before it does anything that needs the
    earlier stages' background work: before its first call that creates, updates or
    deletes a stack or change set, or updates a function's code. Without the mark the
    workflow joins the work before calling the hook; the mark only lets the work go on
    beside the hook's own preparations (reading the stack, uploading templates).

    Use it under or over ``@hookimpl``::

        @hookimpl
        @joins_background
        def sparta_converge(ctx, template): ...
    """
    setattr(function, JOINS_ATTRIBUTE, True)
    return function


def joins_itself(hook: Any) -> bool:
    """True when ``hook`` (a pluggy hook caller) has implementations and every one of
    them, wrappers included, is marked :func:`joins_background`."""
    impls = hook.get_hookimpls()
    return bool(impls) and all(getattr(impl.function, JOINS_ATTRIBUTE, False)
                               for impl in impls)


@dataclass
class _Job:
    what: str
    #: The stage and plugin whose hook started it, to name its failure after them.
    stage: str
    plugin: str | None
    builtin: bool
    started: float
    ended: float | None = None
    error: BaseException | None = None
    joined: bool = False
    thread: threading.Thread = field(init=False)


class BackgroundWork:
    """The work stages left running in this run (one per :class:`ProvisionContext`).

    Callers may rely on: each piece of work runs in its own (non-daemon) thread;
    :meth:`join` and :meth:`settle` return only once every piece started so far has
    ended; each failure reaches the user once, raised by :meth:`join` or warned by
    :meth:`settle`.
    """

    def __init__(self, reporter: Reporter | None = None) -> None:
        self.reporter = reporter
        self._jobs: list[_Job] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()

    def start(self, what: str, work: Callable[[], object]) -> None:
        """Run ``work`` in a thread of its own and return at once. ``what`` names it in
        messages (``artifact uploads``). Its return value is ignored; what it raises is
        raised by the next :meth:`join`, named after the stage and plugin of the hook
        that called ``start`` (a :class:`~sparta_core.errors.SpartaError` of a built-in
        plugin as it is). ``work`` should give up on what it has not begun once
        :attr:`stopping` is true."""
        stage, plugin, builtin = current_call() or ("background", None, True)
        job = _Job(what, stage, plugin, builtin, time.perf_counter())
        # Not a daemon: were the process to end while it runs, the interpreter waits for
        # it rather than cut an upload off unseen.
        job.thread = threading.Thread(target=self._run, args=(job, work), daemon=False,
                                      name=f"sparta-background: {what}")
        with self._lock:
            self._jobs.append(job)
        job.thread.start()

    @staticmethod
    def _run(job: _Job, work: Callable[[], object]) -> None:
        try:
            work()
        except BaseException as error:  # kept for join or settle, in the main thread
            job.error = error
        finally:
            job.ended = time.perf_counter()

    @property
    def stopping(self) -> bool:
        """True once the run is ending without the work (a failure, Ctrl-C): work that
        has pieces not begun yet should skip them (and fail, saying which)."""
        return self._stop.is_set()

    @property
    def pending(self) -> tuple[str, ...]:
        """What was started and not joined or settled yet, in the order started."""
        with self._lock:
            return tuple(job.what for job in self._jobs if not job.joined)

    def _unjoined(self) -> list[_Job]:
        with self._lock:
            return [job for job in self._jobs if not job.joined]

    def join(self) -> None:
        """Wait for every piece of work started so far; then raise the first failure
        (in the order started), the others shown as warnings. Does nothing when all of
        it was joined already."""
        jobs = self._unjoined()
        if not jobs:
            return
        waiting = time.perf_counter()
        for job in jobs:
            job.thread.join()
        done = time.perf_counter()
        for job in jobs:
            job.joined = True
        if self.reporter is not None:
            ran = max((job.ended or done) for job in jobs) - min(job.started for job in jobs)
            self.reporter.detail(
                f"waited {(done - waiting) * 1000:.1f} ms for "
                f"{', '.join(job.what for job in jobs)} (it ran {ran * 1000:.1f} ms, "
                f"{(waiting - min(job.started for job in jobs)) * 1000:.1f} ms of it "
                "beside later stages)")
        failed = [job for job in jobs if job.error is not None]
        for job in failed[1:]:
            self._warn(f"{job.what} failed too: {_message(job)}")
        if failed:
            first = failed[0]
            assert first.error is not None
            failure = _named(first)
            if failure is first.error:
                raise failure
            raise failure from first.error

    def settle(self) -> None:
        """The run ends without the work: ask it to stop (:attr:`stopping`), wait for
        what is running, and warn of each failure (a piece given up included). Never
        raises what the work raised: the run's own error goes on to the user."""
        jobs = self._unjoined()
        if not jobs:
            return
        self._stop.set()
        running = [job.what for job in jobs if job.thread.is_alive()]
        if running and self.reporter is not None:
            self.reporter.info(f"waiting for {', '.join(running)} to end")
        for job in jobs:
            job.thread.join()
        for job in jobs:
            job.joined = True
            if job.error is not None:
                self._warn(f"{job.what} did not finish: {_message(job)}")

    def _warn(self, message: str) -> None:
        if self.reporter is not None:
            self.reporter.warn(message)


def _named(job: _Job) -> BaseException:
    error = job.error
    assert error is not None
    if not isinstance(error, Exception):  # SystemExit or the like, raised in a thread
        return named_failure(RuntimeError(describe_error(error)), job.stage, job.plugin,
                             job.builtin)
    return named_failure(error, job.stage, job.plugin, job.builtin)


def _message(job: _Job) -> str:
    return str(_named(job))
