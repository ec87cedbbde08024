"""The archives a local run uses, unpacked under ``.sparta/invoke/`` and kept up to date
in place, so an edit rewrites only what changed."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any


def unpack(archive_path: Path, sha256: str, work_dir: Path, name: str = "tree") -> Path:
    """The archive unpacked under ``.sparta/invoke/<name>/``, kept up to date in place
    (one tree per kind of archive: the code's, ``layer`` for the dependency layer).

    An index of what the tree holds (entry -> CRC, size, mode) sits beside it: after a
    code edit only the entries whose CRC, size or mode changed are written and the ones
    gone are removed, so the dependencies are not extracted again for every edit. An
    unchanged archive (same content address) touches nothing. Runs on one tree are
    serialised by a lock file."""
    root = work_dir / "invoke" / name
    root.mkdir(parents=True, exist_ok=True)
    index_path = root.parent / f"{name}.index.json"
    with _locked(root.parent / f"{name}.lock"):
        try:
            index = json.loads(index_path.read_text())
        except (OSError, ValueError):
            index = {}
        if index.get("sha256") == sha256:
            return root
        had: dict[str, list[int]] = index.get("entries", {}) if index.get("complete") else {}
        # Marked incomplete first: a run interrupted half-way is redone in full.
        index_path.write_text(json.dumps({"complete": False}))
        entries: dict[str, list[int]] = {}
        with zipfile.ZipFile(archive_path) as archive:
            for info in archive.infolist():
                if info.is_dir():
                    continue
                mode = (info.external_attr >> 16) & 0o777
                entries[info.filename] = [info.CRC, info.file_size, mode]
                target = root / info.filename
                if had.get(info.filename) == entries[info.filename] and target.is_file():
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                partial = target.with_name(f".{target.name}.partial")
                with archive.open(info) as source, partial.open("wb") as out:
                    out.write(source.read())
                if mode:
                    partial.chmod(mode)
                partial.replace(target)
        for name in set(had) - set(entries):
            (root / name).unlink(missing_ok=True)
        index_path.write_text(json.dumps({"complete": True, "sha256": sha256,
                                          "entries": entries}))
    return root


class _locked:
    """An exclusive lock on ``path`` while inside (``fcntl`` where there is one)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.handle: Any = None

    def __enter__(self) -> None:
        self.handle = self.path.open("a")
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows: runs are not serialised
            return
        fcntl.flock(self.handle, fcntl.LOCK_EX)

    def __exit__(self, *exc: object) -> None:
        self.handle.close()  # closing releases the lock
