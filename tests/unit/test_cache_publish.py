"""The dependency cache keeps a complete entry another build published first."""

from __future__ import annotations

import hashlib
import json

from sparta_core.stages.build.cache import entry_for, new_workspace, publish


def build_into(entry, content: bytes):
    workspace = new_workspace(entry)
    (workspace.site).mkdir()
    workspace.packed.write_bytes(content)
    return workspace


def manifest(content: bytes, by: str) -> dict:
    """A manifest the build would write for a site.zip of ``content``."""
    return {"by": by, "installer": "uv 0", "packages": {}, "slim": {"runtime_provided": []},
            "packed_sha256": hashlib.sha256(content).hexdigest()}


def test_a_complete_entry_published_meanwhile_is_kept(tmp_path):
    entry = entry_for("k" * 32, root=tmp_path)
    theirs = build_into(entry, b"theirs")
    publish(theirs, entry, manifest(b"theirs", "them"))
    # A concurrent build may be reading their site.zip: it must stay the very same file.
    # (An open descriptor would keep reading the old inode even if ours replaced it, so
    # the inode itself is compared.)
    before = entry.packed.stat().st_ino
    ours = build_into(entry, b"ours")
    published = publish(ours, entry, manifest(b"ours", "us"))

    assert published.directory == entry.directory
    assert entry.packed.stat().st_ino == before
    assert entry.packed.read_bytes() == b"theirs"
    assert json.loads(entry.manifest_path.read_text())["by"] == "them"
    assert not ours.directory.exists()
    assert sorted(p.name for p in entry.directory.parent.iterdir()) == [entry.directory.name]


def test_an_incomplete_entry_is_replaced(tmp_path):
    entry = entry_for("k" * 32, root=tmp_path)
    entry.site.mkdir(parents=True)  # an interrupted build: no manifest, no site.zip
    ours = build_into(entry, b"ours")

    publish(ours, entry, manifest(b"ours", "us"))

    assert entry.packed.read_bytes() == b"ours"
    assert entry.manifest()["by"] == "us"
    assert sorted(p.name for p in entry.directory.parent.iterdir()) == [entry.directory.name]


def test_a_damaged_entry_is_replaced_not_kept(tmp_path):
    entry = entry_for("k" * 32, root=tmp_path)
    theirs = build_into(entry, b"theirs")
    publish(theirs, entry, manifest(b"theirs", "them"))
    entry.packed.write_bytes(b"THEIRS")  # same size, other bytes
    ours = build_into(entry, b"ours")

    publish(ours, entry, manifest(b"ours", "us"))

    assert entry.packed.read_bytes() == b"ours"
    assert entry.manifest()["by"] == "us"


def test_an_entry_rewritten_with_the_same_content_is_verified_by_hash_once(tmp_path):
    from sparta_core.stages.build.cache import stat_key, verify

    entry = entry_for("k" * 32, root=tmp_path)
    publish(build_into(entry, b"theirs"), entry, manifest(b"theirs", "them"))
    assert verify(entry) == (entry.manifest(), None)
    entry.packed.unlink()
    entry.packed.write_bytes(b"theirs")  # restored from a backup: another inode

    found, problem = verify(entry)

    assert problem is None and found["by"] == "them"
    assert json.loads(entry.manifest_path.read_text())["packed_stat"] == stat_key(entry.packed)
