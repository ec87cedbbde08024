"""Two runs on one stack never fight (DESIGN §6).

CloudFormation has no lock, so sparta uses its own change sets as tickets. Each run
names itself in the description of the change sets it makes (``sparta 0.1.0 run
<token> pid <pid> host <host>``). A change set sparta made and did not execute is then:

* **its own run's**: deleted by that run when it is refused, interrupted or fails, and
  also after a cut connection, as soon as a call goes through again;
* **another live run's** (the run is still reviewing or about to execute it): this run
  waits for it to be executed or deleted (then the stack is in progress, is waited for,
  and the run plans again); if it is still there after :data:`CONTENDER_WAIT` seconds
  (a human is looking at a prompt), the run fails with one line that names it;
* **an orphan** (its run is gone: the process no longer exists on this host, or the
  change set is older than :data:`ORPHAN_AGE`): deleted, and so is a stack left in
  ``REVIEW_IN_PROGRESS`` with no other change set, so that the next create can start.

Two runs that create their change sets at the same moment both see both tickets; the
one on the stack the name resolves to, created first, goes on; the other deletes its
own and waits (:class:`Contended`).
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sparta_core.engine.reporter import Reporter
from sparta_core.errors import StackBlockedError
from sparta_core.stages.converge.state import REVIEW, read_stack

#: How long a run waits for another live run's change set to be executed or deleted.
CONTENDER_WAIT = 60.0
#: A change set of a run on another host, not executed after this long, is an orphan.
ORPHAN_AGE = 3600.0
POLL = 0.5
#: Change sets that are done with: executed, or made obsolete by another's execution.
DONE = ("EXECUTE_COMPLETE", "EXECUTE_FAILED", "EXECUTE_IN_PROGRESS", "OBSOLETE")
#: The tokens of the runs alive in this process (runs in threads share the pid).
LIVE: set[str] = set()
#: Error codes and messages that say the stack changed under a run.
CONTENDED_CODES = ("ChangeSetNotFound", "ChangeSetNotFoundException", "AlreadyExistsException",
                   "InvalidChangeSetStatus", "InvalidChangeSetStatusException")
CONTENDED_MESSAGES = ("already exists", "_in_progress state", "does not exist")


class Contended(Exception):
    """Another run's change set goes first (or the stack changed under this run): plan
    again once it is done. Internal: never reaches the user."""

    def __init__(self, first: Pending | None = None) -> None:
        super().__init__(str(first.name) if first else "the stack changed")
        self.first = first


@dataclass(frozen=True)
class Owner:
    token: str
    pid: int
    host: str


@dataclass(frozen=True)
class Pending:
    """A change set sparta made that is not executed."""

    name: str
    change_set_id: str
    stack_id: str
    created: datetime | None
    owner: Owner | None

    @property
    def rank(self) -> tuple[datetime, str]:
        """Earlier tickets rank first; the name breaks a tie."""
        created = self.created or datetime.now(timezone.utc)
        return (created if created.tzinfo else created.replace(tzinfo=timezone.utc),
                self.name)

    def age(self) -> float:
        return (datetime.now(timezone.utc) - self.rank[0]).total_seconds()

    def describe(self) -> str:
        made = "made"
        if self.created is not None:
            when = self.rank[0].astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
            made = f"made {self.age():.0f} s ago ({when} UTC)"
        by = f" by pid {self.owner.pid} on host {self.owner.host}" if self.owner else ""
        return f"change set {self.name}, {made}{by}"


def parse_owner(description: str) -> Owner | None:
    words = description.split()
    try:
        fields = dict(zip(words[2::2], words[3::2], strict=False))
        return Owner(fields["run"], int(fields["pid"]), fields["host"])
    except (KeyError, ValueError):
        return None


def pending_change_sets(cloudformation: Any, stack_name: str) -> list[Pending]:
    """sparta's change sets on the stack called ``stack_name`` that are not executed."""
    from sparta_core.aws.errors import error_code

    found: list[Pending] = []
    kwargs: dict[str, Any] = {"StackName": stack_name}
    while True:
        try:
            page = cloudformation.list_change_sets(**kwargs)
        except Exception as error:
            if error_code(error) == "ValidationError":
                return found  # no stack: no change sets
            raise
        for summary in page.get("Summaries", []):
            description = summary.get("Description") or ""
            if not (summary.get("ChangeSetName", "").startswith("sparta-")
                    and description.startswith("sparta ")):
                continue
            if summary.get("ExecutionStatus") in DONE:
                continue
            found.append(Pending(summary["ChangeSetName"], summary["ChangeSetId"],
                                 summary.get("StackId", ""), summary.get("CreationTime"),
                                 parse_owner(description)))
        if not page.get("NextToken"):
            return found
        kwargs["NextToken"] = page["NextToken"]


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def alive(pending: Pending) -> bool:
    """Whether the run that made ``pending`` may still execute or delete it."""
    owner = pending.owner
    if owner is not None and owner.host == socket.gethostname():
        if owner.pid == os.getpid():
            return owner.token in LIVE
        return process_alive(owner.pid)
    return pending.age() < ORPHAN_AGE


def contended(error: BaseException) -> bool:
    """Whether an AWS error says the stack or the change set changed under the run."""
    from sparta_core.aws.errors import error_code, error_message

    code = error_code(error)
    return code in CONTENDED_CODES or (
        code == "ValidationError"
        and any(marker in error_message(error).lower() for marker in CONTENDED_MESSAGES))


def unexecuted_on(cloudformation: Any, stack_name: str, stack_id: str) -> bool:
    """Whether the stack ``stack_id`` still holds a change set (anyone's) not executed."""
    try:
        summaries = cloudformation.list_change_sets(StackName=stack_name).get("Summaries", [])
    except Exception:
        return False
    return any(s.get("StackId") == stack_id and s.get("ExecutionStatus") not in DONE
               for s in summaries)


class Guard:
    """One run's ticket on the stack ``stack_name``."""

    def __init__(self, cloudformation: Any, reporter: Reporter, stack_name: str) -> None:
        from sparta_core import __version__

        self.cloudformation = cloudformation
        self.reporter = reporter
        self.stack_name = stack_name
        self.owner = Owner(uuid.uuid4().hex[:12], os.getpid(), socket.gethostname())
        self.description = (f"sparta {__version__} run {self.owner.token} pid "
                            f"{self.owner.pid} host {self.owner.host}")
        LIVE.add(self.owner.token)

    def close(self) -> None:
        LIVE.discard(self.owner.token)

    def others(self) -> list[Pending]:
        return [p for p in pending_change_sets(self.cloudformation, self.stack_name)
                if p.owner is None or p.owner.token != self.owner.token]

    def clear_orphans(self) -> bool:
        """Delete the change sets of runs that are gone, and a review stack they leave
        empty; True if anything was deleted (the caller reads the stack again)."""
        orphans = [p for p in self.others() if not alive(p)]
        for orphan in orphans:
            self.reporter.info(f"deleting {orphan.describe()}: its run is gone and never "
                               "executed it")
            self.cloudformation.delete_change_set(ChangeSetName=orphan.change_set_id)
        for stack_id in sorted({orphan.stack_id for orphan in orphans if orphan.stack_id}):
            state = read_stack(self.cloudformation, stack_id)
            if (state is not None and state.status == REVIEW
                    and not unexecuted_on(self.cloudformation, self.stack_name, stack_id)):
                self.reporter.info(f"deleting stack {self.stack_name} ({REVIEW}, left empty by "
                                   "that run) so that it can be created")
                self.cloudformation.delete_stack(StackName=stack_id)
        return bool(orphans)

    def contender(self) -> Pending | None:
        """The earliest change set of another live run, if any."""
        live = [p for p in self.others() if alive(p)]
        return min(live, key=lambda p: p.rank) if live else None

    def wait_for(self, first: Pending, wait: float | None = None) -> None:
        """Wait until ``first`` is executed or deleted; fail naming it if it is not."""
        self.reporter.info(f"stack {self.stack_name}: another sparta run goes first "
                           f"({first.describe()}); waiting for it")
        deadline = time.monotonic() + (CONTENDER_WAIT if wait is None else wait)
        while time.monotonic() < deadline:
            if all(p.change_set_id != first.change_set_id for p in self.others()):
                return
            time.sleep(POLL)
        raise StackBlockedError(
            f"stack {self.stack_name} is being deployed by another sparta run: "
            f"{first.describe()}, is not executed yet; wait for that run to finish, then "
            "provision again (if that run is gone: `aws cloudformation delete-change-set "
            f"--stack-name {self.stack_name} --change-set-name {first.name}`)"
        )

    def check(self, change_set_id: str, stack_id: str) -> None:
        """Raise :class:`Contended` unless this run's change set goes first."""
        mine = [p for p in pending_change_sets(self.cloudformation, self.stack_name)
                if p.change_set_id == change_set_id]
        if not mine:
            raise Contended()  # deleted under us
        current = read_stack(self.cloudformation, self.stack_name)
        if current is not None and current.stack_id != stack_id:
            raise Contended()  # the name now means another stack
        for other in self.others():
            if other.stack_id == stack_id and alive(other) and other.rank < mine[0].rank:
                raise Contended(other)
