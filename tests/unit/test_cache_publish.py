"""The dependency cache keeps a complete entry another build published first."""

from __future__ import annotations

import json

from sparta_core.stages.build.cache import entry_for, new_workspace, publish


def build_into(entry, content: bytes):
    workspace = new_workspace(entry)
    (workspace.site).mkdir()
    workspace.packed.write_bytes(content)
    return workspace


def test_a_complete_entry_published_meanwhile_is_kept(tmp_path):
    entry = entry_for("k" * 32, root=tmp_path)
    theirs = build_into(entry, b"theirs")
    publish(theirs, entry, {"by": "them"})
    # A concurrent build may be reading their site.zip: it must stay the very same file.
    # (An open descriptor would keep reading the old inode even if ours replaced it, so
    # the inode itself is compared.)
    before = entry.packed.stat().st_ino
    ours = build_into(entry, b"ours")
    published = publish(ours, entry, {"by": "us"})

    assert published.directory == entry.directory
    assert entry.packed.stat().st_ino == before
    assert entry.packed.read_bytes() == b"theirs"
    assert json.loads(entry.manifest_path.read_text()) == {"by": "them"}
    assert not ours.directory.exists()
    assert sorted(p.name for p in entry.directory.parent.iterdir()) == [entry.directory.name]


def test_an_incomplete_entry_is_replaced(tmp_path):
    entry = entry_for("k" * 32, root=tmp_path)
    entry.site.mkdir(parents=True)  # an interrupted build: no manifest, no site.zip
    ours = build_into(entry, b"ours")

    publish(ours, entry, {"by": "us"})

    assert entry.packed.read_bytes() == b"ours"
    assert entry.manifest() == {"by": "us"}
    assert sorted(p.name for p in entry.directory.parent.iterdir()) == [entry.directory.name]
