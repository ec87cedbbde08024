"""An unchanged build, replayed: what a run of ``sparta build`` read, so that the next
identical run is known to be identical without running it.

While ``sparta build`` runs from the console script, a :class:`Recorder` notes, through
Python's audit events (:func:`sys.addaudithook`):

- every file opened, with its stat when first opened;
- every folder listed: by ``os.scandir`` (a walk, whose callers use the stats), with its
  names and each file's stat; by ``os.listdir`` (mostly the import system, looking for
  modules), with its names: a module that appears is a change, and the modules imported
  are checked by their own stat;
- what the build printed, and on which stream;
- anything a replay could not repeat: starting a process, using the network, or writing,
  moving or deleting a file anywhere but the outputs folder (``.sparta/``).

When the build ends well and did none of those, the record is saved in the user cache
(``replay/<key>``, see :mod:`sparta_core.engine.user_cache`), together with the stat of
every module the process imported and of every output. Its key is everything else a
build's result depends on: the command line, the working directory, the interpreter and
its flags, sparta's version, whether the standard streams are terminals, and the
environment (hashed, never stored: it holds credentials).

The next run with the same key reads the record before it imports anything else
(:func:`replayed`). When every file, folder, module and output it names is as it was, the
build could only do again what it did: it prints what the build printed and ends, and no
hook runs. Anything else runs the build as usual. ``sparta build --force`` (or
``force = true``) always builds, and ``SPARTA_NO_REPLAY=1`` turns replays off.

Not checked, by design: the standard library (the interpreter's version is in the key),
folders inside the outputs folder (the build's own), and ``__pycache__`` files (their
sources are). A record is refused when something the build read changed while it ran,
or less than :data:`~sparta_core.engine.replay_record.RACY_NS` before it ended.

This module imports only ``os``, ``sys`` and ``marshal`` at the top: the console script
calls :func:`replayed` before anything else is loaded, and an unchanged build of a
1,000-function service costs a few milliseconds beyond the interpreter's start.
"""

from __future__ import annotations

import marshal
import os
import sys

from sparta_core.engine.user_cache import user_cache_dir

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable

#: Changes whenever what a record holds or how it is keyed changes.
FORMAT = 3

#: The records' folder in the user cache.
FOLDER = "replay"

#: Variables a shell changes between two identical commands: not part of the key.
VOLATILE = frozenset({"_", "OLDPWD", "SHLVL", "SSH_CLIENT", "SSH_CONNECTION", "SSH_TTY",
                      "TERM_SESSION_ID", "WINDOWID"})

#: Set (to anything but nothing), builds are neither replayed nor recorded.
DISABLE = "SPARTA_NO_REPLAY"

#: The audit event by which code says it decided something from a file's stat or
#: existence alone, without opening it (see :func:`looked_at`).
STAT_EVENT = "sparta.stat"

#: Printed (at the default verbosity) after a replayed build's own output.
NOTE = ("unchanged: nothing the last build read has changed, so its result stands "
        "(sparta build --force builds again)\n")

_armed = False


def looked_at(path: str | os.PathLike[str]) -> None:
    """Say that what is at ``path`` (a file, or its absence) decided something, though it
    was not opened: a recording build then watches it like a file it read. Sparta's
    stages call it where they look at a stat (the archive's inputs, the markers of
    excluded folders); a plugin that decides from ``exists()`` or ``stat()`` calls it
    too. Costs nothing when no build is being recorded (an audit event)."""
    sys.audit(STAT_EVENT, os.fspath(path))


def arm() -> None:
    """Let :func:`sparta_core.engine.replay_record.start` record (the console script
    calls this; in-process runs, the tests' and the testing kit's, never record)."""
    global _armed
    _armed = True


def armed() -> bool:
    """Whether :func:`arm` was called in this process."""
    return _armed


# ---------------------------------------------------------------- the state of things


def file_state(path: str) -> tuple[int, ...] | None:
    """What tells a file's content changed without reading it (the archive writer's
    fingerprint uses the same fields); ``None`` when there is no such file."""
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return (st.st_mode, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev)


def folder_state(path: str) -> tuple[tuple[str, object], ...] | None:
    """A folder's names, each with its file's state (a sub-folder is ``"dir"``: its own
    listing is recorded when it is listed)."""
    try:
        with os.scandir(path) as entries:
            items = []
            for entry in entries:
                try:
                    state: object = "dir" if entry.is_dir() else file_state(entry.path)
                except OSError:
                    state = None
                items.append((entry.name, state))
    except (OSError, ValueError):
        return None
    items.sort()
    return tuple(items)


def folder_names(path: str) -> tuple[str, ...] | None:
    try:
        return tuple(sorted(os.listdir(path)))
    except (OSError, ValueError):
        return None


def _sha256() -> object:
    # hashlib loads OpenSSL (about 6 ms, a third of a replay); the builtin sha256 is enough.
    try:
        from _sha256 import sha256  # CPython 3.11
    except ImportError:
        try:
            from _sha2 import sha256  # CPython 3.12+
        except ImportError:
            from hashlib import sha256
    return sha256


def record_key(argv: Iterable[str]) -> str:
    """The key of a run: everything its result depends on that the record does not list."""
    from sparta_core import __version__

    def isatty(stream: object) -> bool:
        try:
            return bool(stream.isatty())  # type: ignore[attr-defined]
        except (AttributeError, ValueError):
            return False

    environment = sorted(item for item in os.environ.items() if item[0] not in VOLATILE)
    parts = repr((FORMAT, list(argv), os.getcwd(), sys.executable, sys.version,
                  str(sys.flags), __version__, isatty(sys.stdout), isatty(sys.stderr),
                  environment))
    digest = _sha256()(parts.encode("utf-8", "surrogateescape"))  # type: ignore[operator]
    return str(digest.hexdigest()[:40])


def record_path(key: str) -> str:
    return os.path.join(user_cache_dir(), FOLDER, key)


# ---------------------------------------------------------------- replaying


def replayed(argv: list[str]) -> bool:
    """If a record for ``argv`` exists and nothing it names has changed, print what that
    build printed and return ``True``; else ``False`` (a stale record is removed)."""
    if os.environ.get(DISABLE):
        return False
    try:
        path = record_path(record_key(argv))
        with open(path, "rb") as handle:
            record = marshal.load(handle)
    except (OSError, EOFError, ValueError, TypeError):
        return False
    try:
        usable = (isinstance(record, dict) and record.get("format") == FORMAT
                  and _unchanged(record) and _printable(record["output"]))
    except (KeyError, TypeError, ValueError):  # well-formed, but not a record
        usable = False
    if not usable:
        remove_file(path)
        return False
    for stream_number, text in record["output"]:
        stream = sys.stdout if stream_number == 1 else sys.stderr
        if stream is not None:
            stream.write(text)
    if record.get("note") and sys.stderr is not None:
        sys.stderr.write(NOTE)
    return True


def _printable(output: object) -> bool:
    return isinstance(output, tuple) and all(
        isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], str)
        for item in output)


def _unchanged(record: dict[str, object]) -> bool:
    for path, state in record["files"]:  # type: ignore[attr-defined]
        if file_state(path) != state:
            return False
    for path, state in record["folders"]:  # type: ignore[attr-defined]
        if folder_state(path) != state:
            return False
    return all(folder_names(path) == names
               for path, names in record["names"])  # type: ignore[attr-defined]


def remove_file(path: str) -> None:
    """Remove ``path`` if it is there (contextlib.suppress would cost the replay its
    import, a few milliseconds)."""
    try:
        os.unlink(path)
    except OSError:
        return
