"""The dependency cache: installed, slimmed and pre-compressed trees, by key.

An entry lives in ``<cache>/deps/<key>/``:

- ``site/``: the installed, slimmed tree (what Lambda sees at the archive root);
- ``site.zip``: the same tree as a deterministic zip, compressed once, whose entries the
  package stage copies into every archive without recompressing them;
- ``manifest.json``: what was installed and how (written last: an entry without it is
  incomplete and is rebuilt).

The key is a hash of everything that changes the tree: the requirements text and lock
files, the runtime and architecture, the installer and its version, the index settings
and environment, the slimming settings, and this format's version. The cache root is
``SPARTA_CACHE_DIR`` if set, else the user cache directory (``$XDG_CACHE_HOME/sparta``,
``~/.cache/sparta``, ``~/Library/Caches/sparta``, or ``%LOCALAPPDATA%\\sparta\\Cache``).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FORMAT = 1


def cache_root(environ: Mapping[str, str] | None = None) -> Path:
    """Where sparta keeps what outlives one project's ``.sparta/``."""
    environ = os.environ if environ is None else environ
    if environ.get("SPARTA_CACHE_DIR"):
        return Path(environ["SPARTA_CACHE_DIR"]).expanduser()
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "sparta"
    if sys.platform == "win32":
        base = environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / "sparta" / "Cache"
    return Path(environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "sparta"


def cache_key(parts: Mapping[str, Any]) -> str:
    """A stable hash of ``parts`` (JSON-serialisable values; bytes are hashed first)."""
    normalised = {
        key: hashlib.sha256(value).hexdigest() if isinstance(value, bytes) else value
        for key, value in parts.items()
    }
    blob = json.dumps({"format": FORMAT, **normalised}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class CacheEntry:
    """One cache entry's paths."""

    directory: Path

    @property
    def site(self) -> Path:
        return self.directory / "site"

    @property
    def packed(self) -> Path:
        return self.directory / "site.zip"

    @property
    def manifest_path(self) -> Path:
        return self.directory / "manifest.json"

    def manifest(self) -> dict[str, Any] | None:
        """The manifest, or ``None`` if the entry is missing or incomplete."""
        try:
            manifest = json.loads(self.manifest_path.read_text())
        except (OSError, ValueError):
            return None
        if not isinstance(manifest, dict) or not self.packed.is_file():
            return None
        return manifest


def entry_for(key: str, root: Path | None = None) -> CacheEntry:
    return CacheEntry((root or cache_root()) / "deps" / key)


def new_workspace(entry: CacheEntry) -> CacheEntry:
    """A private folder beside ``entry`` to build into before :func:`publish`."""
    import shutil

    workspace = entry.directory.with_name(f"{entry.directory.name}.tmp-{os.getpid()}")
    if workspace.exists():
        shutil.rmtree(workspace)
    workspace.mkdir(parents=True)
    tag_cache_root(entry.directory.parent.parent)
    return CacheEntry(workspace)


#: https://bford.info/cachedir/: backup tools skip a tagged folder, and so does the
#: build's walk of a project folder the cache happens to sit in.
CACHEDIR_TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by sparta.\n"
)


def tag_cache_root(root: Path) -> None:
    tag = root / "CACHEDIR.TAG"
    if not tag.exists():
        tag.write_text(CACHEDIR_TAG)


def publish(workspace: CacheEntry, entry: CacheEntry, manifest: dict[str, Any]) -> CacheEntry:
    """Write the manifest and move the workspace into place. If another build published
    a complete entry for the same key meanwhile, theirs is kept (it has the same
    content) and our workspace dropped; only an incomplete entry is replaced."""
    import shutil

    workspace.manifest_path.write_text(json.dumps(manifest, indent=1, sort_keys=True))
    if entry.manifest() is not None:
        # Complete: keep it. Another build may be reading its site.zip right now.
        shutil.rmtree(workspace.directory, ignore_errors=True)
        return entry
    if entry.directory.exists():
        discard(entry)  # incomplete (an interrupted or older build): replace it
    try:
        os.replace(workspace.directory, entry.directory)
    except OSError:
        shutil.rmtree(workspace.directory, ignore_errors=True)
        if entry.manifest() is None:
            raise
    return entry


def discard(entry: CacheEntry) -> None:
    """Remove an entry (``--force``, or an incomplete one)."""
    import shutil

    if entry.directory.exists():
        # Renamed first so that a half-removed entry is never mistaken for a good one.
        doomed = entry.directory.with_name(f"{entry.directory.name}.old-{os.getpid()}")
        os.replace(entry.directory, doomed)
        shutil.rmtree(doomed, ignore_errors=True)
