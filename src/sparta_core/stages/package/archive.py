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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sparta_core.engine.context import Archive
from sparta_core.engine.hookcall import running_plugin
from sparta_core.engine.replay import looked_at
from sparta_core.errors import StageError
from sparta_core.stages.package import manifest


def _plugin_origin() -> str:
    """``plugin 'NAME'`` while a plugin's hook implementation adds an entry."""
    plugin = running_plugin()
    return f"plugin '{plugin}'" if plugin else ""


@dataclass(frozen=True)
class _Entry:
    path: Path | None
    data: bytes | None
    executable: bool
    origin: str


class ArchiveWriter:
    """Collects entries; :meth:`close` writes the zip. What ``sparta_archive`` receives."""

    def __init__(self, path: Path, *, manifest_dir: Path | None = None) -> None:
        self.path = path
        #: Where the archive's manifest goes (the work dir; ``None``: none is kept). A
        #: hotswap reads the deployed archive's manifest to see which entries changed.
        self.manifest_dir = manifest_dir
        self._entries: dict[str, _Entry] = {}
        #: Archive name -> (packed tree, origin, the member's name in the tree).
        self._packed: dict[str, tuple[Any, str, str]] = {}
        self._packed_trees: list[Any] = []

    def __contains__(self, name: str) -> bool:
        return name in self._entries or name in self._packed

    def names(self) -> list[str]:
        return sorted([*self._entries, *self._packed])

    def add_file(
        self, name: str, path: Path, *, origin: str = "", executable: bool | None = None
    ) -> None:
        """Add the file at ``path`` as ``name``; ``executable`` says whether it is, and
        by default the file's own executable bit does."""
        if executable is None:
            executable = bool(path.stat().st_mode & stat.S_IXUSR)
        self._add(name, _Entry(path, None, executable, origin or _plugin_origin()))

    def add_bytes(
        self, name: str, data: bytes | str, *, executable: bool = False, origin: str = ""
    ) -> None:
        """Add ``data`` as ``name``."""
        payload = data.encode() if isinstance(data, str) else data
        self._add(name, _Entry(None, payload, executable, origin or _plugin_origin()))

    def _add(self, name: str, entry: _Entry) -> None:
        name = name.replace(os.sep, "/").lstrip("/")
        if not name or name.endswith("/") or ".." in name.split("/"):
            raise StageError("package", f"bad archive entry name {name!r}")
        if name in self._entries or name in self._packed:
            raise self._collision(name, entry.origin)
        self._entries[name] = entry

    def add_packed(self, path: Path, *, origin: str = "", prefix: str = "") -> None:
        """Add every member of the packed tree at ``path`` (a zip written by
        :func:`sparta_core.stages.package.zipwriter.write_zip`, such as the dependency cache's),
        under ``prefix`` (``"python/"`` for a layer); its compressed bytes are copied
        into the archive as they are, never recompressed."""
        from sparta_core.stages.package.zipwriter import PackedTree

        packed = PackedTree(path)
        self._packed_trees.append((packed, prefix))
        origin = origin or _plugin_origin()
        for member in packed.index:
            name = prefix + member
            if name in self._entries or name in self._packed:
                raise self._collision(name, origin)
            self._packed[name] = (packed, origin, member)

    def _collision(self, name: str, origin: str) -> StageError:
        """The error for a second ``name``, naming both contributors; a plugin that
        gave no origin of its own is named as the stage's culprit too."""
        first = self._entries[name].origin if name in self._entries else self._packed[name][1]
        first = f"the entry from {first}" if first else "an earlier entry"
        blamed = running_plugin() if origin and origin == _plugin_origin() else None
        return StageError(
            "package",
            f"archive entry '{name}' from {origin or 'a plugin'} collides with {first}",
            blamed,
        )

    def _fingerprint(self) -> str:
        """What the archive is made of, from names and file stats alone: equal
        fingerprints mean equal inputs (a file rewritten in place changes its ctime)."""
        digest = hashlib.sha256(b"sparta-archive-2")
        for name in sorted(self._entries):
            entry = self._entries[name]
            if entry.data is not None:
                digest.update(f"b\0{name}\0{entry.executable}\0".encode())
                digest.update(hashlib.sha256(entry.data).digest())
            else:
                looked_at(entry.path)  # type: ignore[arg-type]  # kept on its stat alone
                status = _stat_key(entry.path)  # type: ignore[arg-type]
                digest.update(f"f\0{name}\0{entry.executable}\0{status}\0".encode())
        for packed, prefix in self._packed_trees:
            looked_at(packed.path)
            digest.update(f"p\0{prefix}\0{packed.path}\0{_stat_key(packed.path)}\0".encode())
        return digest.hexdigest()

    def close(self) -> Archive:
        """Write the archive, sorted and normalised, and describe it.

        When the inputs are the ones the archive on disk was made from (same names, same
        file stats) and that archive is untouched, it is kept as it is: nothing is read,
        compressed or written again."""
        from sparta_core.stages.package.zipwriter import compress_all, file_attributes, write_zip

        self.path.parent.mkdir(parents=True, exist_ok=True)
        stamp_path = self.path.with_name(f".{self.path.name}.json")
        fingerprint = self._fingerprint()
        kept = _read_stamp(stamp_path, self.path, fingerprint)
        if kept is not None:
            if self.manifest_dir is not None and not manifest.touch(self.manifest_dir,
                                                                    kept.sha256):
                manifest.save(self.manifest_dir, kept.sha256, manifest.from_zip(self.path),
                              manifest.file_sha256(self.path))
            return kept
        fresh = compress_all(
            [
                (
                    name,
                    entry.data if entry.data is not None else entry.path,  # type: ignore[misc]
                    file_attributes(entry.executable),
                )
                for name, entry in self._entries.items()
            ]
        )
        by_name: dict[str, Any] = {entry.name: entry for entry in fresh}
        for name, (packed, _, member) in self._packed.items():
            by_name[name] = packed.copied(member, as_name=name)
        partial = self.path.with_name(self.path.name + ".partial")
        try:
            written = write_zip(partial, (by_name[name] for name in sorted(by_name)))
        except ValueError as error:
            partial.unlink(missing_ok=True)
            raise StageError("package", str(error)) from None
        # Written beside the target and renamed, so a failed build never leaves a
        # truncated archive where the last good one was.
        os.replace(partial, self.path)
        archive = Archive(
            path=self.path,
            # The content address, not the zip's bytes' hash (DESIGN §5): two machines
            # whose zlib deflates differently name the same archive alike.
            sha256=written.content_sha256,
            size=written.size,
            entries=written.entries,
            unpacked_size=written.unpacked_size,
        )
        _write_stamp(stamp_path, archive, fingerprint)
        if self.manifest_dir is not None:
            manifest.save(self.manifest_dir, archive.sha256, written.members, written.sha256)
        return archive


def _stat_key(path: Path) -> str:
    status = path.stat()
    return f"{status.st_size}:{status.st_mtime_ns}:{status.st_ctime_ns}:{status.st_ino}"


def _read_stamp(stamp_path: Path, archive_path: Path, fingerprint: str) -> Archive | None:
    """The archive recorded in ``stamp_path`` if it was made from ``fingerprint`` and
    the file on disk is still the one written then."""
    import json

    try:
        stamp = json.loads(stamp_path.read_text())
        if stamp["fingerprint"] != fingerprint or stamp["stat"] != _stat_key(archive_path):
            return None
        return Archive(
            path=archive_path,
            sha256=stamp["sha256"],
            size=stamp["size"],
            entries=stamp["entries"],
            unpacked_size=stamp["unpacked_size"],
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _write_stamp(stamp_path: Path, archive: Archive, fingerprint: str) -> None:
    import json

    stamp = {
        "fingerprint": fingerprint,
        "stat": _stat_key(archive.path),
        "sha256": archive.sha256,
        "size": archive.size,
        "entries": archive.entries,
        "unpacked_size": archive.unpacked_size,
    }
    stamp_path.write_text(json.dumps(stamp))
