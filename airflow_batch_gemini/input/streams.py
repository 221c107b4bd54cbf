"""Streaming helpers: split byte chunks into lines, digest content the way Cloud Storage does, cut an
input into files within the service's limits. No I/O but reading a file handle the caller opened."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, cast

import google_crc32c


def iter_lines(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Yield the lines of a byte stream given in chunks, each with its ``\\n`` (the last may lack it).

    Memory holds one chunk plus one line at a time, whatever the size of the stream.
    """
    for block in iter_line_blocks(chunks):
        yield from split_lines(block)


def iter_line_blocks(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Yield a byte stream given in chunks as blocks of whole lines, each ending with ``\\n`` (the last
    may lack it): one block per chunk, less the partial line carried to the next.

    Memory holds one chunk plus one line at a time, whatever the size of the stream.
    """
    pending: list[bytes] = []
    for chunk in chunks:
        cut = chunk.rfind(b"\n") + 1
        if not cut:
            pending.append(chunk)
            continue
        yield b"".join([*pending, chunk[:cut]]) if pending else chunk[:cut]
        pending = [chunk[cut:]] if cut < len(chunk) else []
    if pending:
        yield b"".join(pending)


#: Bytes read from a local file at a time by :func:`read_line_blocks`.
READ_CHUNK_BYTES = 1024 * 1024


def read_line_blocks(handle: IO[bytes]) -> Iterator[bytes]:
    """Yield an open binary file as blocks of whole lines (:func:`iter_line_blocks`), reading
    :data:`READ_CHUNK_BYTES` at a time."""
    return iter_line_blocks(iter(lambda: handle.read(READ_CHUNK_BYTES), b""))


def split_lines(block: bytes) -> list[bytes]:
    """The lines of a block, each with its ``\\n`` (the last may lack it); only ``\\n`` ends a line."""
    pieces = block.split(b"\n")
    last = pieces.pop()
    lines = [piece + b"\n" for piece in pieces]
    if last:
        lines.append(last)
    return lines


class ContentDigest:
    """Size, CRC32C and MD5 of content fed piece by piece, in Cloud Storage's encoding (base64).

    Compare with an object's metadata through :meth:`matches` to tell whether it holds the same bytes.
    """

    def __init__(self) -> None:
        self.size = 0
        self._crc32c = google_crc32c.Checksum()
        self._md5 = hashlib.md5(usedforsecurity=False)

    def update(self, data: bytes) -> None:
        """Add the next piece of content."""
        self.size += len(data)
        self._crc32c.update(data)
        self._md5.update(data)

    @property
    def crc32c(self) -> str:
        """The CRC32C of the content so far, base64 of its big-endian bytes, as Cloud Storage shows it."""
        return base64.b64encode(self._crc32c.digest()).decode("ascii")

    @property
    def md5(self) -> str:
        """The MD5 of the content so far, base64-encoded, as Cloud Storage shows it."""
        return base64.b64encode(self._md5.digest()).decode("ascii")

    def matches(self, size: int | None, crc32c: str | None, md5: str | None) -> bool:
        """Tell whether an object with this size and checksums holds the same bytes.

        The MD5 is compared only when the object has one (composite objects do not); the size and the
        CRC32C must always be present and equal.
        """
        if size != self.size or crc32c != self.crc32c:
            return False
        return md5 is None or md5 == self.md5

    def describe(self) -> str:
        """A short human-readable summary, for messages."""
        return f"{self.size:,} bytes, crc32c {self.crc32c}"


class LineSet:
    """A set of line numbers as a bitmap: one bit per line up to the highest number added, whatever
    how many there are (a million invalid lines take 125 KB, not tens of MB)."""

    def __init__(self) -> None:
        self._bits = bytearray()
        self._count = 0

    def add(self, number: int) -> None:
        """Add a line number (``>= 0``)."""
        index, bit = divmod(number, 8)
        if index >= len(self._bits):
            self._bits.extend(bytes(index + 1 - len(self._bits)))
        if not self._bits[index] >> bit & 1:
            self._bits[index] |= 1 << bit
            self._count += 1

    def __contains__(self, number: object) -> bool:
        if not isinstance(number, int) or number < 0:
            return False
        index, bit = divmod(number, 8)
        return index < len(self._bits) and bool(self._bits[index] >> bit & 1)

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[int]:
        for index, byte in enumerate(self._bits):
            if byte:
                yield from (index * 8 + bit for bit in range(8) if byte >> bit & 1)


@dataclass
class Shard:
    """One planned input file: which input lines it holds and the digest of its bytes.

    :param first_line: the number of its first input line.
    :param last_line: the number of its last input line (lines in between may be left out as invalid).
    :param row_count: how many lines it holds.
    :param digest: size and checksums of its content.
    """

    first_line: int
    last_line: int
    row_count: int = 0
    digest: ContentDigest = field(default_factory=ContentDigest)


#: The planner hashes lines in batches of this many (one C call instead of three per line).
_DIGEST_BATCH_LINES = 1024


class ShardPlanner:
    """Cuts a stream of lines into consecutive files of at most ``max_rows`` lines and ``max_bytes`` bytes.

    Deterministic: the same lines give the same files. Each file is filled before the next one starts.

    :param max_rows: at most this many lines per file.
    :param max_bytes: at most this many bytes per file.
    :param digest: compute each file's :class:`ContentDigest` (size, CRC32C, MD5); without it only the
        size is counted.
    """

    def __init__(self, max_rows: int, max_bytes: int, digest: bool = True) -> None:
        self.max_rows = max_rows
        self.max_bytes = max_bytes
        self.digest = digest
        self._shards: list[Shard] = []
        self._pending: list[bytes] = []
        self._size = 0

    @property
    def index(self) -> int:
        """The index of the file the last line went to (``-1`` before the first)."""
        return len(self._shards) - 1

    def _room_for(self, rows: int, size: int) -> bool:
        return bool(self._shards) and (
            self._shards[-1].row_count + rows <= self.max_rows and self._size + size <= self.max_bytes
        )

    def add(self, number: int, line: bytes) -> None:
        """Add input line ``number`` (its bytes as they will be uploaded) to the current file or a new one."""
        size = len(line)
        if not self._room_for(1, size):
            self._flush()
            self._shards.append(Shard(first_line=number, last_line=number))
            self._size = 0
        self._take(number, 1, size)
        if self.digest:
            self._pending.append(line)
            if len(self._pending) >= _DIGEST_BATCH_LINES:
                self._flush()

    def add_block(self, first: int, count: int, size: int, block: bytes | None) -> bool:
        """Add ``count`` consecutive lines numbered from ``first``, ``size`` bytes in all, if they all fit in
        the current file; return ``False`` (and add nothing) when they do not: add them one by one then.

        :param block: the lines joined (needed only when digesting).
        """
        if not self._room_for(count, size):
            return False
        self._flush()
        self._take(first + count - 1, count, size)
        if self.digest:
            self._shards[-1].digest.update(cast("bytes", block))
        return True

    def _take(self, last: int, count: int, size: int) -> None:
        current = self._shards[-1]
        current.last_line = last
        current.row_count += count
        self._size += size
        if not self.digest:
            current.digest.size += size  # the checksums are left empty

    def _flush(self) -> None:
        if self._pending:
            self._shards[-1].digest.update(b"".join(self._pending))
            self._pending.clear()

    def finish(self) -> list[Shard]:
        """The planned files, in order (none if no line was added)."""
        self._flush()
        return self._shards


def shard_uri(destination_uri: str, index: int, count: int) -> str:
    """The URI of file ``index`` of ``count``: the destination itself when there is one file, else
    ``requests-00000-of-00003.jsonl`` beside it for ``requests.jsonl``."""
    if count == 1:
        return destination_uri
    return _with_stem_suffix(destination_uri, f"-{index:05d}-of-{count:05d}")


#: :func:`shard_lines` hands lines on joined in blocks of about this many bytes (fewer, larger writes).
UPLOAD_BLOCK_BYTES = 1 << 20


def shard_lines(
    numbered: Iterator[tuple[int, bytes]], shard: Shard, skipped: LineSet, transform: Callable[[int, bytes], bytes]
) -> Iterator[bytes]:
    """Take one file's content from a shared stream of ``(number, line)``: the lines up to
    ``shard.last_line`` that are not ``skipped``, each passed through ``transform(number, line)``,
    joined into blocks of about :data:`UPLOAD_BLOCK_BYTES` (whole lines each).

    Lines before ``shard.first_line`` are passed over, so a file that was not read (an upload that
    re-used an identical object) leaves the stream where the next file can start.
    """
    block: list[bytes] = []
    size = 0
    for number, raw in numbered:
        if number >= shard.first_line and number not in skipped:
            line = transform(number, raw)
            block.append(line)
            size += len(line)
            if size >= UPLOAD_BLOCK_BYTES:
                yield b"".join(block)
                block.clear()
                size = 0
        if number >= shard.last_line:
            break
    if block:
        yield b"".join(block)


def rejects_uri_for(destination_uri: str) -> str:
    """Where the rejected lines of an input go: ``requests.rejects.jsonl`` beside ``requests.jsonl``."""
    return _with_stem_suffix(destination_uri, ".rejects")


def _with_stem_suffix(uri: str, suffix: str) -> str:
    """``gs://b/dir/requests.jsonl`` with ``suffix`` after ``requests`` (a name without extension gets ``.jsonl``)."""
    head, slash, name = uri.rpartition("/")
    stem, _, extension = name.partition(".")
    return f"{head}{slash}{stem}{suffix}.{extension or 'jsonl'}"
