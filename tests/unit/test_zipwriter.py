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
