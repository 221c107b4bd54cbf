"""Cutting an input into files within the service's limits of one job: pure, no I/O.

A :class:`ShardPlanner` fills consecutive files of at most :data:`MAX_REQUESTS_PER_JOB` lines and
:data:`MAX_INPUT_BYTES` bytes (or lower limits), each before the next starts: deterministic, so the same
lines give the same files and a re-run finds them. A :class:`Shard` is one planned file (its line range,
row count and digest); :func:`shard_lines` takes one file's content back from a second read of the
input. A :class:`LineSet` holds line numbers (the invalid lines left out) at one bit a line.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import cast

from airflow_batch_gemini.input.digest import ContentDigest
from airflow_batch_gemini.lines import OverlongLine

#: The service's limits on one batch job's input (Vertex AI Gemini batch prediction quotas).
MAX_REQUESTS_PER_JOB = 200_000
MAX_INPUT_BYTES = 1_000_000_000


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
        """Add input line ``number`` (its bytes as they will be uploaded) to the current file or a new one.

        :raises ValueError: the line alone is larger than ``max_bytes`` (the scan refuses such a line first).
        """
        size = len(line)
        if size > self.max_bytes:
            raise ValueError(f"line {number:,} ({size:,} bytes) is larger than a whole file ({self.max_bytes:,} bytes)")
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


#: :func:`shard_lines` hands lines on joined in blocks of about this many bytes (fewer, larger writes).
UPLOAD_BLOCK_BYTES = 1 << 20


def shard_lines(
    numbered: Iterator[tuple[int, bytes | OverlongLine]], shard: Shard, skipped: LineSet,
    transform: Callable[[int, bytes], bytes],
) -> Iterator[bytes]:
    """Take one file's content from a shared stream of ``(number, line)``: the lines up to
    ``shard.last_line`` that are not ``skipped``, each passed through ``transform(number, line)``,
    joined into blocks of about :data:`UPLOAD_BLOCK_BYTES` (whole lines each). An
    :class:`~airflow_batch_gemini.lines.OverlongLine` (an invalid line, never held) is never taken.

    Lines before ``shard.first_line`` are passed over, so a file that was not read (an upload that
    re-used an identical object) leaves the stream where the next file can start.
    """
    block: list[bytes] = []
    size = 0
    for number, raw in numbered:
        if number >= shard.first_line and number not in skipped and isinstance(raw, bytes):
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

