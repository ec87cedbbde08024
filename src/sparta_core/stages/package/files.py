"""Listing a tree that ships whole (sparta's own packages, installed dependencies, a
component's runtime folder), and hashing a file."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path


def file_sha256(path: Path) -> str:
    """The hex sha256 of a file's bytes, read a MiB at a time."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def tree_files(root: Path) -> dict[str, Path]:
    """Archive name -> file for every file under ``root`` (sparta's own packages, an
    installed dependency tree), sorted, without bytecode caches. What the *project*
    ships is decided by the build stage; these trees ship whole."""
    files: dict[str, Path] = {}
    for directory, subdirectories, names in os.walk(root):
        subdirectories[:] = sorted(d for d in subdirectories if d != "__pycache__")
        prefix = os.path.relpath(directory, root).replace(os.sep, "/")
        for name in sorted(names):
            if not name.endswith((".pyc", ".pyo")):
                files[name if prefix == "." else f"{prefix}/{name}"] = Path(directory, name)
    return files
