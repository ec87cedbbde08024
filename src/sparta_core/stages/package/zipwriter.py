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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from sparta_core.errors import ZipLimitError

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
_OFFSET = struct.Struct("<L")
_OFFSET_AT = _CENTRAL.size - 4  # the local header offset ends the central record's fixed part
_MAX_ENTRIES = 0xFFFF
_MAX_SIZE = 0xFFFFFFFF


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
    #: sha256 of the uncompressed bytes: what the content address is made of.
    digest: bytes = b""

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
    return Entry(name, zlib.crc32(data), len(deflated), len(data), attributes, deflated,
                 hashlib.sha256(data).digest())


#: A member to compress: archive name, a file path or the bytes, its attributes.
Source = tuple[str, "Path | bytes", int]

#: Files larger than this are deflated in pieces of this size on several cores, each
#: piece primed with the 32 KiB before it (as pigz does), so the stream is one valid
#: deflate stream of nearly the same size. Smaller files are deflated whole, exactly
#: as zipfile would.
CHUNK = 1 << 20
_WINDOW = 32 * 1024
#: Small files are grouped into tasks of about this many bytes, to keep thread handoffs
#: rare when a tree holds thousands of small modules.
_BATCH = 256 * 1024


def compress_all(sources: Sequence[Source], workers: int | None = None) -> list[Entry]:
    """Compress every source, on all cores (zlib releases the GIL while it deflates, so
    threads are enough); the result is in the order of ``sources`` and does not depend
    on the number of workers."""
    workers = workers or os.cpu_count() or 1
    datas: list[bytes | None] = [None] * len(sources)
    big: list[int] = []
    batches: list[list[int]] = [[]]
    batch_size = 0
    for i, (_, source, _) in enumerate(sources):
        size = len(source) if isinstance(source, bytes) else os.stat(source).st_size
        if size > CHUNK:
            big.append(i)
            continue
        batches[-1].append(i)
        batch_size += size
        if batch_size >= _BATCH:
            batches.append([])
            batch_size = 0

    def small(indices: list[int]) -> list[tuple[int, Entry]]:
        out = []
        for i in indices:
            name, source, attributes = sources[i]
            data = source if isinstance(source, bytes) else Path(source).read_bytes()
            out.append((i, compress(name, data, attributes)))
        return out

    def piece(task: tuple[int, int]) -> tuple[int, int, bytes]:
        i, start = task
        data = datas[i]
        assert data is not None
        if start:
            compressor = zlib.compressobj(
                COMPRESS_LEVEL, zlib.DEFLATED, -15, zdict=data[start - _WINDOW : start]
            )
        else:
            compressor = zlib.compressobj(COMPRESS_LEVEL, zlib.DEFLATED, -15)
        last = start + CHUNK >= len(data)
        body = compressor.compress(data[start : start + CHUNK])
        # A sync flush ends the piece on a byte boundary without ending the stream.
        tail = compressor.flush() if last else compressor.flush(zlib.Z_SYNC_FLUSH)
        return i, start, body + tail

    for i in big:
        source = sources[i][1]
        datas[i] = source if isinstance(source, bytes) else Path(source).read_bytes()
    pieces = [(i, start) for i in big for start in range(0, len(datas[i]), CHUNK)]  # type: ignore[arg-type]
    entries: list[Entry | None] = [None] * len(sources)
    deflated: dict[tuple[int, int], bytes] = {}
    if workers == 1 or len(pieces) + len(batches) < 3:
        for indices in batches:
            for i, entry in small(indices):
                entries[i] = entry
        for task in pieces:
            i, start, body = piece(task)
            deflated[i, start] = body
    else:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(workers) as pool:
            # The big pieces first, so that the small files fill in around them.
            piece_futures = [pool.submit(piece, task) for task in pieces]
            small_futures = [pool.submit(small, indices) for indices in batches if indices]
            for future in piece_futures:
                i, start, body = future.result()
                deflated[i, start] = body
            for future in small_futures:
                for i, entry in future.result():
                    entries[i] = entry
    for i in big:
        name, _, attributes = sources[i]
        data = datas[i]
        assert data is not None
        body = b"".join(deflated[i, start] for start in range(0, len(data), CHUNK))
        entries[i] = Entry(name, zlib.crc32(data), len(body), len(data), attributes, body,
                           hashlib.sha256(data).digest())
    return entries  # type: ignore[return-value]


class Copied:
    """A member of a :class:`PackedTree`, copied as it is: its local header and
    compressed data verbatim, its central record with only the offset changed."""

    __slots__ = ("attributes", "central", "digest", "local", "name", "size")

    def __init__(self, name: str, local: memoryview, central: memoryview, size: int,
                 digest: bytes, attributes: int) -> None:
        self.name = name
        self.local = local
        self.central = central
        self.size = size
        self.digest = digest
        self.attributes = attributes


class PackedTree:
    """A zip written by :func:`write_zip` (no extra fields, no comments), opened to copy
    its members into another zip without decompressing or recompressing them.

    Only the central directory is read to learn the names; the members' bytes are read
    (once, in one piece) when :meth:`copied` is first called."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._index: dict[str, tuple[int, int, int, int, int]] | None = None
        self._blob: memoryview | None = None
        self._digests: dict[str, str] | None = None

    def names(self) -> list[str]:
        return list(self.index)

    @property
    def index(self) -> dict[str, tuple[int, int, int, int, int]]:
        """Name -> (local start, local end, central start, central end, unpacked size),
        offsets in the file."""
        if self._index is None:
            self._index = self._read_index()
        return self._index

    def _read_index(self) -> dict[str, tuple[int, int, int, int, int]]:
        with self.path.open("rb") as handle:
            handle.seek(-_END.size, os.SEEK_END)
            signature, _, _, count, _, size, offset, comment = _END.unpack(handle.read(_END.size))
            if signature != b"PK\x05\x06" or comment:
                raise ValueError(f"{self.path} is not a packed tree written by sparta")
            handle.seek(offset)
            directory = handle.read(size)
        index: dict[str, tuple[int, int, int, int, int]] = {}
        position = 0
        unpack = _CENTRAL.unpack_from
        fixed = _CENTRAL.size
        for _ in range(count):
            record = unpack(directory, position)
            name_length = record[12]
            if record[13] or record[14]:
                raise ValueError(f"{self.path} is not a packed tree written by sparta")
            raw = directory[position + fixed : position + fixed + name_length]
            name = raw.decode("utf-8") if record[5] & _UTF8_FLAG else raw.decode("ascii")
            local_start = record[18]
            local_end = local_start + _LOCAL.size + name_length + record[10]
            central_start = offset + position
            central_end = central_start + fixed + name_length
            index[name] = (local_start, local_end, central_start, central_end, record[11])
            position += fixed + name_length
        return index

    def copied(self, name: str, as_name: str | None = None) -> Copied:
        """The member ``name``, ready to be written by :func:`write_zip`; with
        ``as_name``, under that name (its compressed bytes are still copied as they are:
        only the headers are rewritten)."""
        if self._blob is None:
            self._blob = memoryview(self.path.read_bytes())
        local_start, local_end, central_start, central_end, size = self.index[name]
        local = self._blob[local_start:local_end]
        central = self._blob[central_start:central_end]
        attributes = _CENTRAL.unpack_from(central)[17]
        digest = self._digest(name, local)
        if as_name is None or as_name == name:
            return Copied(name, local, central, size, digest, attributes)
        old_length = len(_encode(name)[0])
        # The flags (UTF-8 names or not) are kept, so the new name is encoded as the old.
        utf8 = struct.unpack_from("<H", central, 8)[0] & _UTF8_FLAG
        encoded = as_name.encode("utf-8" if utf8 else "ascii")
        length = struct.pack("<H", len(encoded))
        # The name's length sits at byte 26 of a local header and 28 of a central
        # record; the name follows the fixed part of each.
        renamed_local = bytes(local[:26]) + length + bytes(local[28:_LOCAL.size]) + encoded \
            + bytes(local[_LOCAL.size + old_length:])
        renamed_central = bytes(central[:28]) + length + bytes(central[30:_CENTRAL.size]) \
            + encoded + bytes(central[_CENTRAL.size + old_length:])
        return Copied(as_name, memoryview(renamed_local), memoryview(renamed_central), size,
                      digest, attributes)

    def _digest(self, name: str, local: memoryview) -> bytes:
        """sha256 of the member's uncompressed bytes: from the digests written beside the
        tree when it was packed, else by inflating it (a tree packed before they were)."""
        if self._digests is None:
            import json

            try:
                self._digests = json.loads(digests_path(self.path).read_text())
            except (OSError, ValueError):
                self._digests = {}
        known = self._digests.get(name)
        if known:
            return bytes.fromhex(known)
        header = _LOCAL.unpack_from(local)
        data = local[_LOCAL.size + header[10] + header[11]:]
        return hashlib.sha256(zlib.decompress(data, -15)).digest()


def digests_path(packed: Path) -> Path:
    """Where a packed tree's members' sha256 digests are kept, beside it."""
    return packed.with_name(packed.name + ".digests.json")


def write_digests(packed: Path, entries: Iterable[Entry]) -> None:
    import json

    digests_path(packed).write_text(
        json.dumps({entry.name: entry.digest.hex() for entry in entries}, sort_keys=True)
    )


def content_digest() -> Any:
    """The hash the content address is made of, primed with its version."""
    return hashlib.sha256(b"sparta-content-1\0")


def add_content(digest: Any, name: str, attributes: int, data_digest: bytes) -> None:
    """One member into the content address: its path, its mode, its bytes' sha256."""
    digest.update(name.encode("utf-8") + b"\0" + f"{attributes >> 16:o}".encode() + b"\0"
                  + data_digest)


@dataclass(frozen=True)
class Written:
    """What :func:`write_zip` wrote."""

    sha256: str
    size: int
    entries: int
    unpacked_size: int
    #: The content address (DESIGN §5): each member's path, mode and bytes, in order;
    #: the same on every machine, whatever its zlib made of the bytes.
    content_sha256: str = ""
    #: Entry name -> ``<mode>:<sha256 of its bytes>`` (what a manifest keeps).
    members: dict[str, str] = field(default_factory=dict)


def write_zip(path: Path, entries: Iterable[Entry | Copied]) -> Written:
    """Write ``entries`` (already sorted by the caller) to ``path``; return its digest."""
    from sparta_core.stages.package.manifest import member

    digest = hashlib.sha256()
    content = content_digest()
    central: list[bytes] = []
    members: dict[str, str] = {}
    offset = 0
    unpacked = 0
    with path.open("wb") as handle:
        for entry in entries:
            add_content(content, entry.name, entry.attributes, entry.digest)
            members[entry.name] = member(entry.attributes, entry.digest)
            if isinstance(entry, Copied):
                record = bytearray(entry.central)
                _OFFSET.pack_into(record, _OFFSET_AT, offset)
                central.append(bytes(record))
                _write(handle, digest, entry.local)
                offset += len(entry.local)
            else:
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
        content_sha256=content.hexdigest(),
        members=members,
    )


def _write(handle: BinaryIO, digest: Any, data: bytes | memoryview) -> None:
    handle.write(data)
    digest.update(data)
