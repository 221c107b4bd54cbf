"""Cutting a byte stream into lines, bounded in length: pure functions, no I/O but reading a file handle the
caller opened. Shared by the input stage (input lines) and the output stage (a job's output rows).

Only ``\\n`` ends a line; each line keeps its ``\\n`` (the last line of a stream may lack it), so the
lines joined give the stream back byte for byte. Memory holds one chunk plus one line at a time,
whatever the size of the stream.

A line longer than ``max_line_bytes`` (:data:`~airflow_batch_gemini.bounds.DEFAULT_MAX_LINE_BYTES` by
default) is not held: once that many bytes of it are read, the rest is only counted and hashed up to its
``\\n``, and the stream gives an :class:`OverlongLine` in its place (with the line's first and last
:data:`HEAD_BYTES`), which the scan turns into a problem of that line and the split into a failed row. So
memory holds at most ``max_line_bytes`` and one chunk of any line, however long.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, overload

from airflow_batch_gemini.bounds import DEFAULT_MAX_LINE_BYTES


@dataclass(frozen=True)
class OverlongLine:
    """A line longer than the limit, in the stream at its place instead of its bytes (never held whole).

    :param size: its length in bytes, without its line break (``\\n`` or ``\\r\\n``), as a rejects record
        gives it (:func:`~airflow_batch_gemini.input.rejects.reject_record`).
    :param sha256: the SHA-256 (hex) of those same bytes (``sed -n 'Np' input.jsonl | tr -d '\\r\\n' |
        sha256sum`` finds it).
    :param limit: the ``max_line_bytes`` it is over.
    :param head: its first :data:`HEAD_BYTES` bytes (the start of a JSON row, where its key may be read); not
        compared: it is a view of the same line.
    :param end: its last :data:`HEAD_BYTES` bytes, without its line break (where a row's key is, when the service
        writes it after the request and the response); not compared either.
    """

    size: int
    sha256: str
    limit: int
    head: bytes = field(default=b"", compare=False, repr=False)
    end: bytes = field(default=b"", compare=False, repr=False)


#: How much of an over-long line its :class:`OverlongLine` keeps: 64 KiB.
HEAD_BYTES = 64 * 1024


class _Skipped:
    """The size and hash of an over-long line without its line break, taken in as it is read: the last two
    bytes read are held back until the line ends, as they may be its ``\\r\\n``."""

    def __init__(self, pieces: Iterable[bytes], limit: int) -> None:
        self.limit = limit
        self.size = 0
        self.hash = hashlib.sha256()
        self.tail = b""
        self.head = b""
        self.end = b""
        for piece in pieces:
            self.add(piece)

    def add(self, piece: bytes) -> None:
        if len(self.head) < HEAD_BYTES:
            self.head += piece[: HEAD_BYTES - len(self.head)]
        data = self.tail + piece
        taken, self.tail = data[:-2], data[-2:]
        self.size += len(taken)
        self.hash.update(taken)
        self.end = taken[-HEAD_BYTES:] if len(taken) >= HEAD_BYTES else (self.end + taken)[-HEAD_BYTES:]

    def marker(self) -> OverlongLine:
        last = self.tail.removesuffix(b"\n").removesuffix(b"\r")
        self.hash.update(last)
        return OverlongLine(self.size + len(last), self.hash.hexdigest(), self.limit, self.head,
                            (self.end + last)[-HEAD_BYTES:])


def iter_lines(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Yield the lines of a byte stream given in chunks, each with its ``\\n`` (the last may lack it),
    however long.

    Memory holds one chunk plus one line at a time, whatever the size of the stream.
    """
    for block in iter_line_blocks(chunks, None):
        yield from split_lines(block)


@overload
def iter_line_blocks(chunks: Iterable[bytes], max_line_bytes: None) -> Iterator[bytes]: ...
@overload
def iter_line_blocks(chunks: Iterable[bytes], max_line_bytes: int = ...) -> Iterator[bytes | OverlongLine]: ...


def iter_line_blocks(
    chunks: Iterable[bytes], max_line_bytes: int | None = DEFAULT_MAX_LINE_BYTES
) -> Iterator[bytes | OverlongLine]:
    """Yield a byte stream given in chunks as blocks of whole lines, each ending with ``\\n`` (the last
    may lack it): about one block per chunk, less the partial line carried to the next.

    A line longer than ``max_line_bytes`` (its line break included) comes as an :class:`OverlongLine`
    between the blocks, at its place; at most ``max_line_bytes`` of it and one chunk are held. ``None``:
    no limit (every line is held whole).
    """
    limit = sys.maxsize if max_line_bytes is None else max_line_bytes
    pending: list[bytes] = []  # the start of a line that has not ended yet
    held = 0  # its size
    skipped: _Skipped | None = None  # the over-long line being read past
    for chunk in chunks:
        if pending or skipped is not None:
            end = chunk.find(b"\n") + 1
            if skipped is None and held + (end or len(chunk)) <= limit:
                if not end:
                    pending.append(chunk)
                    held += len(chunk)
                    continue
            else:  # the line is over the limit: only counted and hashed from here to its end
                skipped = skipped or _Skipped(pending, limit)
                pending, held = [], 0
                if not end:
                    skipped.add(chunk)
                    continue
                skipped.add(chunk[:end])
                yield skipped.marker()
                skipped, chunk = None, chunk[end:]
        cut = chunk.rfind(b"\n") + 1
        if cut:
            block = b"".join([*pending, chunk[:cut]]) if pending else chunk[:cut]
            yield from bounded_blocks(block, limit) if len(block) > limit else (block,)
        pending = [chunk[cut:]] if cut < len(chunk) else []
        held = len(chunk) - cut
    if pending and held > limit:
        skipped = _Skipped(pending, limit)
    if skipped is not None:
        yield skipped.marker()
    elif pending:
        yield b"".join(pending)


def bounded_blocks(block: bytes, limit: int) -> Iterator[bytes | OverlongLine]:
    """A block of whole lines (the last may lack its line break) as blocks, each line longer than ``limit``
    given as an :class:`OverlongLine` between them; a jump of up to ``limit`` bytes at a time, so a block of
    short lines costs a few searches."""
    start = kept = 0
    while len(block) - start > limit:
        end = block.rfind(b"\n", start, start + limit) + 1
        if end:  # the lines from start to end are each within the limit
            start = end
            continue
        end = block.find(b"\n", start + limit) + 1 or len(block)
        if kept < start:
            yield block[kept:start]
        yield _Skipped([block[start:end]], limit).marker()
        start = kept = end
    if kept < len(block):
        yield block[kept:]


#: Bytes read from a local file at a time by :func:`read_line_blocks`.
READ_CHUNK_BYTES = 1024 * 1024


def read_line_blocks(handle: IO[bytes], max_line_bytes: int = DEFAULT_MAX_LINE_BYTES) -> Iterator[bytes | OverlongLine]:
    """Yield an open binary file as blocks of whole lines (:func:`iter_line_blocks`, with its limit of
    ``max_line_bytes`` a line), reading :data:`READ_CHUNK_BYTES` at a time."""
    return iter_line_blocks(iter(lambda: handle.read(READ_CHUNK_BYTES), b""), max_line_bytes)


def split_lines(block: bytes) -> list[bytes]:
    """The lines of a block, each with its ``\\n`` (the last may lack it); only ``\\n`` ends a line."""
    pieces = block.split(b"\n")
    last = pieces.pop()
    lines = [piece + b"\n" for piece in pieces]
    if last:
        lines.append(last)
    return lines


def stream_lines(blocks: Iterable[bytes | OverlongLine]) -> Iterator[bytes | OverlongLine]:
    """The lines of a stream of blocks (:func:`iter_line_blocks`), an :class:`OverlongLine` as one line."""
    for block in blocks:
        if isinstance(block, OverlongLine):
            yield block
        else:
            yield from split_lines(block)
