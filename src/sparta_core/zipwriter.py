"""Low-level, deterministic zip writing that can reuse already-compressed entries.

:mod:`zipfile` always compresses what it writes. A build whose dependencies have not
changed should not pay for compressing them again, so sparta keeps each dependency tree
as a pre-compressed zip (a *packed tree*) and copies its entries' compressed bytes into
the final archive as they are. This module writes the zip structures itself (local file
headers, central directory, end record) exactly as :mod:`zipfile` lays them out for a
deflated entry with a fixed timestamp, so an archive made only of fresh entries is
byte-for-byte what :mod:`zipfile` would write, and one that mixes fresh and copied
entries is still a plain, valid zip.

Limits: no zip64 (Lambda refuses archives anywhere near 4 GB or 65,535 entries).
"""

from __future__ import annotations

import hashlib
import os
import struct
import zlib
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

COMPRESS_LEVEL = 6
#: DOS time 00:00:00 and date 1980-01-01: the earliest a zip entry can carry.
_DOS_TIME = 0
_DOS_DATE = (0 << 9) | (1 << 5) | 1
_VERSION = 20  # "2.0": deflate
_UNIX = 3
_UTF8_FLAG = 0x800
_DEFLATED = 8
_LOCAL = struct.Struct("<4s2B4HL2L2H")
_CENTRAL = struct.Struct("<4s4B4HL2L5H2L")
_END = struct.Struct("<4s4H2LH")
_MAX_ENTRIES = 0xFFFF
_MAX_SIZE = 0xFFFFFFFF


class ZipLimitError(ValueError):
    """The archive would need zip64, which Lambda's limits never require."""


def file_attributes(executable: bool) -> int:
    """``external_attr`` of a regular file: 0755 if ``executable``, else 0644."""
    return ((0o755 if executable else 0o644) | 0o100000) << 16


@dataclass(frozen=True)
class Entry:
    """One member, compressed: ``data`` is its deflated bytes (or a view of them)."""

    name: str
    crc: int
    compressed_size: int
    size: int
    attributes: int
    data: bytes | memoryview

    def local_header(self) -> bytes:
        encoded, flags = _encode(self.name)
        return _LOCAL.pack(
            b"PK\x03\x04", _VERSION, 0, flags, _DEFLATED, _DOS_TIME, _DOS_DATE,
            self.crc, self.compressed_size, self.size, len(encoded), 0,
        ) + encoded

    def central_record(self, offset: int) -> bytes:
        encoded, flags = _encode(self.name)
        return _CENTRAL.pack(
            b"PK\x01\x02", _VERSION, _UNIX, _VERSION, 0, flags, _DEFLATED, _DOS_TIME,
            _DOS_DATE, self.crc, self.compressed_size, self.size, len(encoded), 0, 0, 0, 0,
            self.attributes, offset,
        ) + encoded


def _encode(name: str) -> tuple[bytes, int]:
    try:
        return name.encode("ascii"), 0
    except UnicodeEncodeError:
        return name.encode("utf-8"), _UTF8_FLAG


def compress(name: str, data: bytes, attributes: int) -> Entry:
    """Deflate ``data`` the way :mod:`zipfile` does at :data:`COMPRESS_LEVEL`."""
    compressor = zlib.compressobj(COMPRESS_LEVEL, zlib.DEFLATED, -15)
    deflated = compressor.compress(data) + compressor.flush()
    return Entry(name, zlib.crc32(data), len(deflated), len(data), attributes, deflated)


#: A member to compress: archive name, a file path or the bytes, its attributes.
Source = tuple[str, "Path | bytes", int]


def compress_all(sources: Sequence[Source], workers: int | None = None) -> list[Entry]:
    """Compress every source, on all cores: zlib releases the GIL while it deflates,
    so threads are enough. The result is in the order of ``sources``."""
    workers = workers or os.cpu_count() or 1
    if workers == 1 or len(sources) < 8:
        return _compress_batch(sources)
    # Interleaved batches so that each thread gets a similar mix of big and small files;
    # one batch per worker keeps the per-task overhead negligible for many tiny files.
    batches = [sources[i::workers] for i in range(workers)]
    with ThreadPoolExecutor(workers) as pool:
        results = list(pool.map(_compress_batch, batches))
    ordered: list[Entry] = [None] * len(sources)  # type: ignore[list-item]
    for i, batch in enumerate(results):
        ordered[i::workers] = batch
    return ordered


def _compress_batch(sources: Sequence[Source]) -> list[Entry]:
    out = []
    for name, source, attributes in sources:
        data = source if isinstance(source, bytes) else Path(source).read_bytes()
        out.append(compress(name, data, attributes))
    return out


class PackedTree:
    """A zip written by :func:`write_zip`, opened to copy its compressed entries.

    ``entries`` maps each member's name to an :class:`Entry` whose ``data`` is a view
    of the compressed bytes inside the file (read once, on first use)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._entries: dict[str, Entry] | None = None

    @property
    def entries(self) -> dict[str, Entry]:
        if self._entries is None:
            self._entries = self._read()
        return self._entries

    def names(self) -> list[str]:
        return list(self.entries)

    def _read(self) -> dict[str, Entry]:
        blob = memoryview(self.path.read_bytes())
        signature, _, _, count, _, _size, cd_offset, comment = _END.unpack_from(
            blob, len(blob) - _END.size
        )
        if signature != b"PK\x05\x06" or comment:
            raise ValueError(f"{self.path} is not a packed tree written by sparta")
        entries: dict[str, Entry] = {}
        position = cd_offset
        unpack = _CENTRAL.unpack_from
        for _ in range(count):
            record = unpack(blob, position)
            name_length, extra_length, comment_length = record[12:15]
            start = position + _CENTRAL.size
            name = bytes(blob[start : start + name_length]).decode(
                "utf-8" if record[5] & _UTF8_FLAG else "ascii"
            )
            offset = record[18]
            # Entries written by write_zip have no extra field, so the data starts right
            # after the local header and the name.
            data_start = offset + _LOCAL.size + name_length
            compressed_size = record[10]
            entries[name] = Entry(
                name, record[9], compressed_size, record[11], record[17],
                blob[data_start : data_start + compressed_size],
            )
            position = start + name_length + extra_length + comment_length
        return entries


@dataclass(frozen=True)
class Written:
    """What :func:`write_zip` wrote."""

    sha256: str
    size: int
    entries: int
    unpacked_size: int


def write_zip(path: Path, entries: Iterable[Entry]) -> Written:
    """Write ``entries`` (already sorted by the caller) to ``path``; return its digest."""
    digest = hashlib.sha256()
    central: list[bytes] = []
    offset = 0
    unpacked = 0
    with path.open("wb") as handle:
        for entry in entries:
            header = entry.local_header()
            central.append(entry.central_record(offset))
            _write(handle, digest, header)
            _write(handle, digest, entry.data)
            offset += len(header) + entry.compressed_size
            unpacked += entry.size
            if offset > _MAX_SIZE or entry.size > _MAX_SIZE:
                raise ZipLimitError(f"{path.name} would exceed 4 GB")
        if len(central) > _MAX_ENTRIES:
            raise ZipLimitError(f"{path.name} would hold more than {_MAX_ENTRIES} files")
        directory = b"".join(central)
        end = _END.pack(b"PK\x05\x06", 0, 0, len(central), len(central), len(directory), offset, 0)
        _write(handle, digest, directory)
        _write(handle, digest, end)
    return Written(
        sha256=digest.hexdigest(),
        size=offset + len(directory) + len(end),
        entries=len(central),
        unpacked_size=unpacked,
    )


def _write(handle: BinaryIO, digest: Any, data: bytes | memoryview) -> None:
    handle.write(data)
    digest.update(data)
