"""Archive manifests (``.sparta/manifests/<content address>.json``): what a hotswap
compares to see which entries of the deployed archive changed."""

from __future__ import annotations

import os
from pathlib import Path

from sparta_core.stages.package import manifest
from sparta_core.stages.package.archive import ArchiveWriter


def write(folder: Path, files: dict[str, str], work: Path) -> str:
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    writer = ArchiveWriter(work / "code.zip", manifest_dir=work)
    for name in files:
        writer.add_file(name, folder / name, executable=False)
    return writer.close().sha256


def test_each_archive_leaves_its_manifest_keyed_by_its_content_address(tmp_path: Path):
    work = tmp_path / ".sparta"
    first = write(tmp_path / "src", {"app/a.py": "A = 1\n", "app/b.py": "B = 1\n",
                                     "data.json": "{}"}, work)
    second = write(tmp_path / "src", {"app/a.py": "A = 2\n", "app/b.py": "B = 1\n",
                                      "data.json": "{}", "app/c.py": ""}, work)
    old, new = manifest.load(work, first), manifest.load(work, second)
    assert old is not None and new is not None
    assert manifest.changed_entries(old, new) == {"app/a.py", "app/c.py"}
    # What the zip holds, read back, is what the writer recorded.
    assert manifest.from_zip(work / "code.zip") == new


def test_an_archive_kept_from_an_earlier_build_gets_its_manifest_back(tmp_path: Path):
    work = tmp_path / ".sparta"
    files = {"app/a.py": "A = 1\n"}
    sha = write(tmp_path / "src", files, work)
    manifest.manifest_path(work, sha).unlink()
    # Same inputs: the archive on disk is kept as it is (nothing rewritten)...
    assert write(tmp_path / "src", files, work) == sha
    # ...and its manifest is made again from the zip.
    assert manifest.load(work, sha) == manifest.from_zip(work / "code.zip")


def test_only_the_newest_manifests_are_kept_and_a_damaged_one_counts_as_none(tmp_path):
    for index in range(manifest.KEEP + 3):
        manifest.save(tmp_path, f"{index:064x}", {"a.py": "644:00"})
        path = manifest.manifest_path(tmp_path, f"{index:064x}")
        os.utime(path, ns=(index * 10**9, index * 10**9))
    manifest.save(tmp_path, "f" * 64, {"a.py": "644:00"})
    kept = sorted(p.stem for p in (tmp_path / manifest.FOLDER).glob("*.json"))
    assert len(kept) == manifest.KEEP
    assert f"{0:064x}" not in kept and "f" * 64 in kept
    manifest.manifest_path(tmp_path, "f" * 64).write_text("{not json")
    assert manifest.load(tmp_path, "f" * 64) is None
    assert manifest.load(tmp_path, "e" * 64) is None
