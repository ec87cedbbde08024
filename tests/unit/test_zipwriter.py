"""The low-level zip writer: valid zips, zipfile's bytes for fresh entries, big files
deflated in pieces, and members copied from a packed tree without recompression."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

from sparta_core.stages.package.zipwriter import (
    CHUNK,
    PackedTree,
    compress_all,
    file_attributes,
    write_zip,
)


def test_fresh_entries_match_zipfile_byte_for_byte(tmp_path: Path) -> None:
    sources = [("a/b.py", b"print('hi')\n" * 50, file_attributes(False)),
               ("run.sh", b"#!/bin/sh\n", file_attributes(True)),
               ("\u00e9t\u00e9.txt", b"summer", file_attributes(False))]
    ours = tmp_path / "ours.zip"
    write_zip(ours, compress_all(sources))
    theirs = tmp_path / "theirs.zip"
    with zipfile.ZipFile(theirs, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        for name, data, attributes in sources:
            info = zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0))
            info.create_system = 3
            info.external_attr = attributes
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data, compresslevel=6)
    assert ours.read_bytes() == theirs.read_bytes()


def test_big_files_are_deflated_in_pieces_into_one_valid_stream(tmp_path: Path) -> None:
    blob = (os.urandom(CHUNK // 2) + bytes(CHUNK)) * 3  # compressible and not
    sources = [("big.bin", blob, file_attributes(False)), ("small.txt", b"x", 0o644 << 16)]
    one = compress_all(sources, workers=1)
    two = compress_all(sources, workers=2)
    assert [e.data for e in one] == [e.data for e in two]  # workers never change bytes
    path = tmp_path / "big.zip"
    write_zip(path, one)
    with zipfile.ZipFile(path) as zf:
        assert zf.testzip() is None
        assert zf.read("big.bin") == blob


def test_packed_members_are_copied_verbatim(tmp_path: Path) -> None:
    packed_path = tmp_path / "packed.zip"
    write_zip(packed_path, compress_all([
        ("lib/a.py", b"A = 1\n" * 100, file_attributes(False)),
        ("lib/z.py", b"Z = 26\n", file_attributes(False)),
    ]))
    packed = PackedTree(packed_path)
    assert packed.names() == ["lib/a.py", "lib/z.py"]
    fresh = compress_all([("app.py", b"import lib\n", file_attributes(False))])
    out = tmp_path / "out.zip"
    written = write_zip(out, [fresh[0], packed.copied("lib/a.py"), packed.copied("lib/z.py")])
    with zipfile.ZipFile(out) as zf:
        assert zf.testzip() is None
        assert zf.namelist() == ["app.py", "lib/a.py", "lib/z.py"]
        assert zf.read("lib/a.py") == b"A = 1\n" * 100
    assert written.entries == 3
    # The compressed bytes of a copied member are exactly those of the packed tree.
    assert bytes(packed.copied("lib/a.py").local) in out.read_bytes()


def _independent_content_address(path) -> str:
    """The content address computed from the zip alone, with zipfile: each member's
    path, mode and uncompressed bytes, in order."""
    import hashlib
    import zipfile

    digest = hashlib.sha256(b"sparta-content-1\0")
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            digest.update(info.filename.encode() + b"\0" + f"{info.external_attr >> 16:o}".encode()
                          + b"\0" + hashlib.sha256(archive.read(info)).digest())
    return digest.hexdigest()


def test_the_content_address_ignores_how_the_bytes_were_deflated(tmp_path, monkeypatch) -> None:
    from sparta_core.stages.package import zipwriter
    from sparta_core.stages.package.zipwriter import compress_all, file_attributes, write_zip

    sources = [("a.py", b"print('a')\n" * 50, file_attributes(False)),
               ("bin/run", b"#!/bin/sh\n" * 30, file_attributes(True))]
    first = write_zip(tmp_path / "one.zip", compress_all(sources, workers=1))
    monkeypatch.setattr(zipwriter, "COMPRESS_LEVEL", 1)  # another machine's zlib, say
    second = write_zip(tmp_path / "two.zip", compress_all(sources, workers=1))

    assert first.sha256 != second.sha256  # different bytes...
    assert first.content_sha256 == second.content_sha256  # ...the same content
    assert first.content_sha256 == _independent_content_address(tmp_path / "one.zip")


def test_copied_members_keep_their_content_address_with_or_without_digests(tmp_path) -> None:
    from sparta_core.stages.package.pack import pack_tree
    from sparta_core.stages.package.zipwriter import PackedTree, digests_path, write_zip

    tree = tmp_path / "site"
    (tree / "pkg").mkdir(parents=True)
    (tree / "pkg" / "__init__.py").write_text("x = 1\n" * 100)
    (tree / "mod.py").write_text("y = 2\n")
    pack_tree(tree, tmp_path / "deps.zip")
    assert digests_path(tmp_path / "deps.zip").is_file()

    def copy(name: str) -> str:
        packed = PackedTree(tmp_path / "deps.zip")
        out = tmp_path / name
        return write_zip(out, [packed.copied(n) for n in sorted(packed.names())]).content_sha256

    with_digests = copy("a.zip")
    digests_path(tmp_path / "deps.zip").unlink()  # a tree packed before digests were kept
    assert copy("b.zip") == with_digests == _independent_content_address(tmp_path / "a.zip")
