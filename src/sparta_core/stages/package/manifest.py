"""What each code archive held, entry by entry, kept in ``.sparta/manifests/``.

A hotswap has to know which entries of the deployed archive differ from the new one,
to update only the functions that can reach a changed entry. The deployed archive is
named by its content address (its S3 key is ``<service>/<sha256>.zip``), so each built
code archive leaves ``.sparta/manifests/<sha256>.json``: entry name -> ``<mode>:<sha256
of its bytes>``. Only the newest :data:`KEEP` manifests are kept; a deployed archive
whose manifest is gone (pruned, another machine, ``.sparta/`` wiped) is simply unknown,
and the hotswap then updates every function.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

#: Folder of the manifests, inside the work dir.
FOLDER = "manifests"
#: Manifests kept (the newest by modification time); each is a few KB to a few 100 KB.
KEEP = 40
FORMAT = "sparta-manifest-1"

Manifest = dict[str, str]


def manifest_path(work_dir: Path, sha256: str) -> Path:
    return work_dir / FOLDER / f"{sha256}.json"


def member(attributes: int, digest: bytes) -> str:
    """One entry's record: its mode (octal) and the sha256 of its bytes."""
    return f"{attributes >> 16:o}:{digest.hex()}"


def save(work_dir: Path, sha256: str, entries: Manifest, zip_sha256: str = "") -> None:
    """Write the manifest of the archive ``sha256`` (atomically), then prune old ones.
    ``zip_sha256`` is the hex sha256 of the zip's bytes: what Lambda reports as a
    function's ``CodeSha256`` (base64), by which a hotswap checks what a function runs."""
    path = manifest_path(work_dir, sha256)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps({"format": FORMAT, "entries": entries,
                                   "zip_sha256": zip_sha256}, sort_keys=True))
    os.replace(partial, path)
    _prune(path.parent)


def touch(work_dir: Path, sha256: str) -> bool:
    """Mark the manifest of ``sha256`` as recently used (so pruning keeps it); whether
    there is one."""
    path = manifest_path(work_dir, sha256)
    try:
        os.utime(path)
    except OSError:
        return False
    return True


def load(work_dir: Path, sha256: str) -> Manifest | None:
    """The manifest of the archive ``sha256``, or ``None`` if none is kept (or it is
    unreadable: then nothing can be concluded from it)."""
    try:
        data = json.loads(manifest_path(work_dir, sha256).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        return None
    entries = data.get("entries")
    if not isinstance(entries, dict):
        return None
    return {str(name): str(value) for name, value in entries.items()}


def code_sha256(work_dir: Path, sha256: str) -> str | None:
    """Lambda's ``CodeSha256`` (base64 of the zip's sha256) of the archive ``sha256``, if
    its manifest is kept and records it."""
    import base64

    try:
        data = json.loads(manifest_path(work_dir, sha256).read_text())
        digest = bytes.fromhex(str(data.get("zip_sha256") or ""))
    except (OSError, ValueError, AttributeError):
        return None
    return base64.b64encode(digest).decode() if len(digest) == 32 else None


def from_zip(path: Path) -> Manifest:
    """The manifest of the zip at ``path``, read back from it (an archive kept from a
    build whose manifest was not written)."""
    import zipfile

    entries: Manifest = {}
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            if info.is_dir():
                continue
            digest = hashlib.sha256(archive.read(info)).digest()
            entries[info.filename] = member(info.external_attr, digest)
    return entries


def changed_entries(old: Manifest, new: Manifest) -> set[str]:
    """Names added, removed or changed (bytes or mode) between ``old`` and ``new``."""
    return {name for name in old.keys() | new.keys() if old.get(name) != new.get(name)}


def _prune(folder: Path) -> None:
    try:
        manifests = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime_ns,
                           reverse=True)
    except OSError:
        return
    for stale in manifests[KEEP:]:
        stale.unlink(missing_ok=True)
