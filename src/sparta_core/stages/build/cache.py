"""The dependency cache: installed, slimmed and pre-compressed trees, by key.

An entry lives in ``<cache>/deps/<key>/``:

- ``site/``: the installed, slimmed tree (what Lambda sees at the archive root);
- ``site.zip``: the same tree as a deterministic zip, compressed once, whose entries the
  package stage copies into every archive without recompressing them;
- ``manifest.json``: what was installed and how (written last: an entry without it is
  incomplete and is rebuilt), with the sha256 of ``site.zip`` and the file's stat when
  it was published.

An entry is verified when it is used (:func:`verify`): one whose manifest is unreadable
or incomplete, or whose ``site.zip`` no longer has the recorded content, is damaged;
the build discards it and installs again, with a warning, and never ships it.

The key is a hash of everything that changes the tree: the requirements text and lock
files, the runtime and architecture, the installer and its version, the index settings
and environment, the slimming settings, and this format's version. The cache root is
``SPARTA_CACHE_DIR`` if set, else the user cache directory (see
:mod:`sparta_core.engine.user_cache`).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sparta_core.engine.user_cache import user_cache_dir
from sparta_core.stages.package.files import file_sha256

FORMAT = 1


def cache_root(environ: Mapping[str, str] | None = None) -> Path:
    """Where sparta keeps what outlives one project's ``.sparta/``
    (:func:`sparta_core.engine.user_cache.user_cache_dir`)."""
    return Path(user_cache_dir(environ))


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


#: What the build reads from a manifest, by key and type.
MANIFEST_FIELDS: dict[str, type] = {
    "installer": str,
    "packages": dict,
    "packed_sha256": str,
    "slim": dict,
}


def stat_key(path: Path) -> list[int]:
    """What changes when a file is written, replaced or copied: size, mtime, ctime and
    inode (ctime cannot be set back by a program, so in-place edits show too)."""
    status = path.stat()
    return [status.st_size, status.st_mtime_ns, status.st_ctime_ns, status.st_ino]


def verify(entry: CacheEntry) -> tuple[dict[str, Any] | None, str | None]:
    """``(manifest, None)`` for an entry that may be used; ``(None, None)`` for one
    that is absent or incomplete (no manifest yet: an interrupted build); ``(None,
    problem)`` for a damaged one, ``problem`` saying what is wrong.

    Hashing ``site.zip`` (megabytes) on every build would cost more than the rest of
    an unchanged rebuild, so the content is hashed only when the file's stat differs
    from the one recorded at publication (a write, a truncation, a copy, a restore
    from backup all change it): an unchanged entry costs one ``stat``. When the hash
    still matches (the cache was copied, say), the new stat is recorded."""
    try:
        text = entry.manifest_path.read_text()
    except FileNotFoundError:
        return None, None
    except OSError as error:
        return None, f"has an unreadable manifest ({error.strerror or error})"
    try:
        manifest = json.loads(text)
    except ValueError:
        return None, "has a manifest that is not JSON"
    if not isinstance(manifest, dict):
        return None, "has a manifest that is not a JSON object"
    for key, kind in MANIFEST_FIELDS.items():
        if not isinstance(manifest.get(key), kind):
            return None, f"has a manifest without a valid '{key}'"
    packages = manifest["packages"]
    if not all(isinstance(info, dict) and "version" in info for info in packages.values()):
        return None, "has a manifest whose 'packages' lack versions"
    if not isinstance(manifest["slim"].get("runtime_provided"), list):
        return None, "has a manifest without a valid 'slim'"
    try:
        current = stat_key(entry.packed)
    except OSError:
        return None, "has no site.zip"
    if manifest.get("packed_stat") == current:
        return manifest, None
    try:
        digest = file_sha256(entry.packed)
    except OSError as error:
        return None, f"has an unreadable site.zip ({error.strerror or error})"
    if digest != manifest["packed_sha256"]:
        return None, (
            f"has a site.zip of {current[0]} bytes whose sha256 is not the one recorded"
        )
    _record_stat(entry, manifest, current)
    return manifest, None


def _record_stat(entry: CacheEntry, manifest: dict[str, Any], current: list[int]) -> None:
    """Remember ``site.zip``'s new stat, so the next build need not hash it again. The
    manifest is replaced whole (never half-written); a read-only cache keeps the old
    one, which only costs that hash again."""
    updated = {**manifest, "packed_stat": current}
    partial = entry.manifest_path.with_name(f"manifest.json.tmp-{os.getpid()}")
    try:
        partial.write_text(json.dumps(updated, indent=1, sort_keys=True))
        os.replace(partial, entry.manifest_path)
    except OSError:
        partial.unlink(missing_ok=True)
        return
    manifest["packed_stat"] = current


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

    # The stat the next build compares with (see verify); moving the workspace folder
    # into place leaves the file's own inode and times as they are.
    manifest["packed_stat"] = stat_key(workspace.packed)
    workspace.manifest_path.write_text(json.dumps(manifest, indent=1, sort_keys=True))
    if verify(entry)[0] is not None:
        # Complete and sound: keep it. Another build may be reading its site.zip right now.
        shutil.rmtree(workspace.directory, ignore_errors=True)
        return entry
    if entry.directory.exists():
        discard(entry)  # incomplete (an interrupted build) or damaged: replace it
    try:
        os.replace(workspace.directory, entry.directory)
    except OSError:
        shutil.rmtree(workspace.directory, ignore_errors=True)
        if verify(entry)[0] is None:
            raise
    return entry


def discard(entry: CacheEntry) -> None:
    """Remove an entry (``--force``, or an incomplete one)."""
    import shutil

    if entry.directory.exists():
        # Renamed first so that a half-removed entry is never mistaken for a good one.
        doomed = entry.directory.with_name(f"{entry.directory.name}.old-{os.getpid()}")
        if doomed.exists():
            shutil.rmtree(doomed, ignore_errors=True)
        try:
            os.replace(entry.directory, doomed)
        except FileNotFoundError:
            return  # another build discarded it first
        shutil.rmtree(doomed, ignore_errors=True)
