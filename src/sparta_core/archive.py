"""A zip writer whose output depends only on what is put in it.

Entries are collected first and written when the writer closes: sorted by name, with a
fixed timestamp and normalised permissions (0644, or 0755 for executables), so the same
inputs always give byte-identical archives, whatever the order in which the build and
the plugins added them, and whatever the files' times and modes on disk.
"""

from __future__ import annotations

import hashlib
import os
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path

from sparta_core.context import Archive
from sparta_core.errors import StageError

#: 1980-01-01 00:00:00, the earliest time a zip entry can carry.
FIXED_DATE_TIME = (1980, 1, 1, 0, 0, 0)
COMPRESS_LEVEL = 6
_UNIX = 3


@dataclass(frozen=True)
class _Entry:
    path: Path | None
    data: bytes | None
    executable: bool
    origin: str


class ArchiveWriter:
    """Collects entries; :meth:`close` writes the zip. What ``sparta_archive`` receives."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._entries: dict[str, _Entry] = {}

    def __contains__(self, name: str) -> bool:
        return name in self._entries

    def names(self) -> list[str]:
        return sorted(self._entries)

    def add_file(self, name: str, path: Path, *, origin: str = "") -> None:
        """Add the file at ``path`` as ``name``; its executable bit is kept."""
        mode = path.stat().st_mode
        self._add(name, _Entry(path, None, bool(mode & stat.S_IXUSR), origin))

    def add_bytes(
        self, name: str, data: bytes | str, *, executable: bool = False, origin: str = ""
    ) -> None:
        """Add ``data`` as ``name``."""
        payload = data.encode() if isinstance(data, str) else data
        self._add(name, _Entry(None, payload, executable, origin))

    def _add(self, name: str, entry: _Entry) -> None:
        name = name.replace(os.sep, "/").lstrip("/")
        if not name or name.endswith("/") or ".." in name.split("/"):
            raise StageError("package", f"bad archive entry name {name!r}")
        if name in self._entries:
            first = self._entries[name].origin or "an earlier entry"
            raise StageError(
                "package",
                f"archive entry '{name}' from {entry.origin or 'a plugin'} "
                f"collides with {first}",
            )
        self._entries[name] = entry

    def close(self) -> Archive:
        """Write the archive, sorted and normalised, and describe it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_name(self.path.name + ".partial")
        unpacked = 0
        with zipfile.ZipFile(
            partial, "w", zipfile.ZIP_DEFLATED, compresslevel=COMPRESS_LEVEL
        ) as zf:
            for name in sorted(self._entries):
                entry = self._entries[name]
                info = zipfile.ZipInfo(name, FIXED_DATE_TIME)
                info.create_system = _UNIX
                info.external_attr = ((0o755 if entry.executable else 0o644) | stat.S_IFREG) << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                data = entry.data if entry.data is not None else entry.path.read_bytes()  # type: ignore[union-attr]
                unpacked += len(data)
                zf.writestr(info, data, compresslevel=COMPRESS_LEVEL)
        # Written beside the target and renamed, so a failed build never leaves a
        # truncated archive where the last good one was.
        os.replace(partial, self.path)
        digest = hashlib.sha256()
        with self.path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        return Archive(
            path=self.path,
            sha256=digest.hexdigest(),
            size=self.path.stat().st_size,
            entries=len(self._entries),
            unpacked_size=unpacked,
        )
