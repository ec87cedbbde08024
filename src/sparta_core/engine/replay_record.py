"""Recording a build for :mod:`sparta_core.engine.replay`: what it opens, lists,
imports, writes and prints, from Python's audit events, and the record saved when it
ends well and did nothing a replay could not repeat.

Imported only by a build that records (the full path), never by a replay.
"""

from __future__ import annotations

import marshal
import os
import sys
from collections.abc import Callable, Iterable

from sparta_core.engine import replay
from sparta_core.engine.replay import (
    FORMAT,
    STAT_EVENT,
    file_state,
    folder_names,
    folder_state,
    record_key,
    record_path,
    remove_file,
)

#: How many records are kept (one per distinct command line, folder and environment);
#: past it, the least recently written go.
KEPT = 200

#: A file changed less than this long (ns) before a build ends leaves no record: two
#: changes within one timestamp tick (a jiffy on Linux, up to 2 s on FAT) can look alike.
RACY_NS = 2_000_000_000

#: Audit events that change files; their path arguments are checked against the outputs
#: folder when the build ends.
WRITING = {
    "os.rename": (0, 1), "os.remove": (0,), "os.rmdir": (0,), "os.truncate": (0,),
    "os.chmod": (0,), "os.chown": (0,), "os.utime": (0,), "os.link": (1,),
    "os.symlink": (1,), "shutil.rmtree": (0,), "shutil.copyfile": (1,),
    "shutil.copymode": (1,), "shutil.copystat": (1,), "shutil.copytree": (1,),
    "shutil.move": (0, 1),
}

#: Audit events after which a replay could not repeat what the build did.
UNREPEATABLE = {
    "subprocess.Popen": "it started a process", "os.system": "it started a process",
    "os.exec": "it started a process", "os.posix_spawn": "it started a process",
    "os.spawn": "it started a process", "os.fork": "it started a process",
    "os.forkpty": "it started a process", "socket.connect": "it used the network",
    "socket.getaddrinfo": "it used the network", "socket.sendto": "it used the network",
    "socket.bind": "it used the network", "sqlite3.connect": "it opened a database",
}


_recorder: Recorder | None = None
_hooked = False


class _Tee:
    """A standard stream that also keeps what is written to it as text. Everything else
    (``isatty``, ``encoding``, ``buffer``...) is the stream's own, so click and print
    treat it as the stream (a bytes write still raises ``TypeError``, as click expects)."""

    def __init__(self, stream: object, number: int, sink: list[tuple[int, str]]) -> None:
        self._stream = stream
        self._number = number
        self._sink = sink

    def write(self, text: str) -> int:
        written = self._stream.write(text)  # type: ignore[attr-defined]
        if text:
            self._sink.append((self._number, text))
        return int(written or 0)

    def __getattr__(self, name: str) -> object:
        return getattr(self._stream, name)


def _path(value: object) -> str | None:
    if isinstance(value, int) or value is None:
        return None  # a file descriptor: its file was recorded when it was opened
    try:
        return os.path.abspath(os.fsdecode(os.fspath(value)))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def _opens_for_writing(mode: object, flags: object) -> bool:
    if isinstance(mode, str) and mode:
        return any(letter in mode for letter in "wax+")
    writing = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
    return isinstance(flags, int) and bool(flags & writing)


class Recorder:
    """What one build read, printed and changed, from :func:`start` until
    :meth:`commit` (or :meth:`stop`, which saves nothing)."""

    def __init__(self, argv: list[str]) -> None:
        self.argv = argv
        # Now, as the console script saw it: a plugin may change the environment later.
        self.key = record_key(argv)
        self.reads: dict[str, tuple[int, ...] | None] = {}
        self.writes: set[str] = set()
        self.scanned: dict[str, object] = {}  # by os.scandir: names and stats
        self.listed: dict[str, tuple[str, ...] | None] = {}  # by os.listdir: names
        self.output: list[tuple[int, str]] = []
        self.refusal: str | None = None
        import threading

        # Per thread: while one thread snapshots a folder, the others' events still count.
        self._local = threading.local()
        self._streams = (sys.stdout, sys.stderr)
        if sys.stdout is not None:
            sys.stdout = _Tee(sys.stdout, 1, self.output)  # type: ignore[assignment]
        if sys.stderr is not None:
            sys.stderr = _Tee(sys.stderr, 2, self.output)  # type: ignore[assignment]

    def audit(self, event: str, args: tuple[object, ...]) -> None:
        if getattr(self._local, "busy", False):
            return
        if event == "open" or event == STAT_EVENT:  # opened, or looked at (looked_at)
            path = _path(args[0])
            if path is None:
                return
            if _unwatched(path):
                return
            if event == "open" and _opens_for_writing(args[1], args[2]):
                self.writes.add(path)
            elif path not in self.reads:
                self.reads[path] = file_state(path)
        elif event in ("os.listdir", "os.scandir"):
            path = _path("." if args[0] is None else args[0])
            if path is None or path in self.scanned or _unwatched(path):
                return
            self._local.busy = True  # the snapshot's own listing is not the build's
            try:
                if event == "os.scandir":  # a walk, whose callers look at the stats too
                    self.scanned[path] = folder_state(path)
                elif path not in self.listed:  # the import system's: the names count
                    self.listed[path] = folder_names(path)
            finally:
                self._local.busy = False
        elif event == "os.mkdir":
            path = _path(args[0])
            if path is not None and not _unwatched(path) and not os.path.isdir(path):
                self.writes.add(path)
        elif event in WRITING:
            for index in WRITING[event]:
                path = _path(args[index]) if index < len(args) else None
                if path is not None and not _unwatched(path):
                    self.writes.add(path)
        elif event in UNREPEATABLE and self.refusal is None:
            self.refusal = UNREPEATABLE[event]

    def stop(self) -> None:
        """Stop recording and give the standard streams back."""
        global _recorder
        if _recorder is self:
            _recorder = None
        sys.stdout, sys.stderr = self._streams  # type: ignore[assignment]

    def commit(self, work_dir: str | os.PathLike[str], outputs: Iterable[object], *,
               watched: Iterable[object] = (), refusal: str | None = None,
               note: bool) -> str | None:
        """Save the record of a build that ended well, whose outputs folder is
        ``work_dir`` and whose products are ``outputs``. ``watched``: paths the build
        looked at without opening them (their state now is recorded too, existing or
        not); ``refusal``: why it may not be replayed, if the caller knows; ``note``:
        print :data:`NOTE` when it is replayed. Returns why nothing was saved (any
        earlier record for the same key is removed then), or ``None``."""
        self.stop()
        work_dir = os.fspath(work_dir)
        key = self.key
        why = refusal or self._refusal(work_dir)
        if why is None:
            paths = [os.path.abspath(os.fspath(path))  # type: ignore[call-overload]
                     for path in (*outputs, *watched)]
            why = self._save(key, work_dir, paths, note)
        if why is not None:
            remove_file(record_path(key))
        return why

    def _refusal(self, work_dir: str) -> str | None:
        if self.refusal is not None:
            return self.refusal
        ours = _inside(work_dir)
        for path in sorted(self.writes):
            if not ours(path):
                return f"it wrote {path}"
        return None

    def _save(self, key: str, work_dir: str, outputs: list[str], note: bool) -> str | None:
        import time

        ours = _inside(work_dir)
        # A file changed within a timestamp's resolution of the build could change
        # again and keep the same stat (git's "racily clean" entries): not recorded.
        racy = time.time_ns() - RACY_NS
        files: dict[str, object] = {}
        for path, state in self.reads.items():
            if path in self.writes:
                continue
            if file_state(path) != state:
                return f"{path} changed while the build ran"
            if _recent(state, racy) and not ours(path):  # .sparta/ is the build's own
                return f"{path} changed just before the build"
            files[path] = state
        for module in list(sys.modules.values()):
            source = getattr(module, "__file__", None)
            if isinstance(source, str):
                source = os.path.abspath(source)
                if source not in files and not _unwatched(source):
                    files[source] = state = file_state(source)
                    if _recent(state, racy):
                        return f"{source} changed just before the build"
        for path in (*self.writes, *outputs):
            files[path] = file_state(path)
        folders: dict[str, object] = {}
        for path, state in self.scanned.items():
            if not ours(path):
                if folder_state(path) != state:
                    return f"{path} changed while the build ran"
                for name, entry in state or ():  # type: ignore[attr-defined]
                    if _recent(entry, racy):
                        return f"{os.path.join(path, name)} changed just before the build"
                folders[path] = state
        listed: dict[str, object] = {}
        for path, names in self.listed.items():
            if path not in self.scanned and not ours(path):
                if folder_names(path) != names:
                    return f"{path} changed while the build ran"
                listed[path] = names
        record = {"format": FORMAT, "files": tuple(files.items()),
                  "folders": tuple(folders.items()), "names": tuple(listed.items()),
                  "output": tuple(self.output), "note": note}
        try:
            _write(record_path(key), marshal.dumps(record))
        except OSError as error:  # the build itself went well: it must not fail now
            return f"its record could not be saved: {error}"
        return None


def _recent(state: object, since: int) -> bool:
    """Whether a file's state says its content changed after ``since`` (ns since the
    epoch). Its modification time says so: a later write within the same tick keeps it,
    and any other change of it shows (a file given an old time by ``touch -d`` or
    ``cp -p`` gets the current one back from the next write)."""
    return isinstance(state, tuple) and state[2] > since


def _inside(work_dir: str) -> Callable[[str], bool]:
    """Whether a path is inside ``work_dir`` (as written, or once links are resolved)."""
    plain = os.path.abspath(work_dir)
    real = os.path.realpath(work_dir)

    def ours(path: str) -> bool:
        if path == plain or path.startswith(plain + os.sep):
            return True
        path = os.path.realpath(path)
        return path == real or path.startswith(real + os.sep)

    return ours


_STDLIB = os.path.dirname(os.__file__) + os.sep
_SYSTEM = ("/dev/", "/proc/", "/sys/")


_BYTECODE = f"{os.sep}__pycache__"


def _unwatched(path: str) -> bool:
    """Not worth watching, nor a side effect when written: the system's pseudo-files,
    the bytecode caches the import system writes (their sources are watched), and the
    standard library (the interpreter's version is in the key)."""
    if path.endswith(_BYTECODE) or _BYTECODE + os.sep in path or path.startswith(_SYSTEM):
        return True
    return path.startswith(_STDLIB) and not any(
        part in path for part in ("site-packages", "dist-packages"))


def _write(path: str, data: bytes) -> None:
    """Write ``path`` whole or not at all, then keep only the :data:`KEPT` newest."""
    folder = os.path.dirname(path)
    os.makedirs(folder, exist_ok=True)
    # One writer per process and key: the process id makes the name unique, and O_EXCL
    # refuses a leftover (tempfile would cost the build its import of random).
    temporary = os.path.join(folder, f".{os.path.basename(path)}.{os.getpid()}")
    remove_file(temporary)
    handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
    except BaseException:
        remove_file(temporary)
        raise
    records = [entry for entry in os.scandir(folder) if not entry.name.startswith(".")]
    if len(records) > KEPT:
        ages = []
        for entry in records:
            try:
                ages.append((entry.stat().st_mtime_ns, entry.path))
            except OSError:  # another build pruned it first
                continue
        for _, old in sorted(ages)[:len(ages) - KEPT]:
            remove_file(old)


def _audit(event: str, args: tuple[object, ...]) -> None:
    recorder = _recorder
    if recorder is not None:
        recorder.audit(event, args)



def start(argv: list[str] | None = None, *, force: bool = False) -> Recorder | None:
    """Start recording this build, when the console script armed it
    (:func:`sparta_core.engine.replay.arm`), ``--force`` was not given and replays are
    not turned off; ``None`` otherwise. Audit hooks cannot be removed: one is added once
    and does nothing while no recorder is active."""
    global _recorder, _hooked
    if not replay.armed() or force or os.environ.get(replay.DISABLE):
        return None
    if not _hooked:
        sys.addaudithook(_audit)
        _hooked = True
    _recorder = Recorder(list(sys.argv[1:] if argv is None else argv))
    return _recorder
