"""Packing: an installed tree as a deterministic, pre-compressed zip.

The zip holds exactly the tree's files, sorted, with fixed timestamps and normalised
permissions, compressed on every core. The package stage copies its compressed entries
into each archive, so a build whose dependencies did not change never compresses them
again. Per-distribution sizes are recorded for Lambda's size-limit messages.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sparta_core.stages.package.zipwriter import (
    compress_all,
    file_attributes,
    write_digests,
    write_zip,
)


@dataclass(frozen=True)
class Packed:
    """What :func:`pack_tree` wrote: digest, counts and per-distribution sizes."""

    sha256: str
    files: int
    unpacked_size: int
    packages: dict[str, dict[str, Any]]


def list_tree(root: Path) -> list[tuple[str, Path, bool]]:
    """``(archive name, path, executable)`` for every file under ``root``, sorted."""
    found: list[tuple[str, Path, bool]] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        prefix = Path(dirpath).relative_to(root).as_posix()
        prefix = "" if prefix == "." else prefix + "/"
        for filename in filenames:
            path = Path(dirpath, filename)
            mode = path.lstat().st_mode
            if stat.S_ISREG(mode):
                found.append((prefix + filename, path, bool(mode & stat.S_IXUSR)))
    found.sort()
    return found


def pack_tree(root: Path, destination: Path) -> Packed:
    """Write the tree at ``root`` to ``destination`` as a packed zip."""
    files = list_tree(root)
    entries = compress_all([(name, path, file_attributes(ex)) for name, path, ex in files])
    written = write_zip(destination, entries)
    write_digests(destination, entries)
    owners = top_level_owners(root)
    packages: dict[str, dict[str, Any]] = {
        name: {"version": version, "size": 0, "compressed": 0}
        for name, version in owners.values()
    }
    for entry in entries:
        top = entry.name.split("/", 1)[0]
        owner = owners.get(top)
        if owner is not None:
            packages[owner[0]]["size"] += entry.size
            packages[owner[0]]["compressed"] += entry.compressed_size
    return Packed(written.sha256, written.entries, written.unpacked_size, packages)


def record_top_levels(record: str) -> list[str]:
    """The top-level names (package folders, modules) a wheel's ``RECORD`` lists."""
    tops = (line.split(",", 1)[0].strip('"').split("/", 1)[0] for line in record.splitlines())
    return [top for top in tops if top and top != ".."]


def top_level_owners(root: Path) -> dict[str, tuple[str, str]]:
    """Top-level name in the tree -> (distribution, version), from each ``RECORD``."""
    owners: dict[str, tuple[str, str]] = {}
    for dist_info in sorted(root.glob("*.dist-info")):
        name, _, version = dist_info.name[: -len(".dist-info")].partition("-")
        owners[dist_info.name] = (name, version)
        record = dist_info / "RECORD"
        if not record.is_file():
            continue
        for top in record_top_levels(record.read_text(errors="replace")):
            if (root / top).exists():
                owners.setdefault(top, (name, version))
    return owners
