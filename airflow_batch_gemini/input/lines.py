"""Cutting a byte stream into input lines: pure functions, no I/O but reading a file handle the caller
opened.

Only ``\\n`` ends a line; each line keeps its ``\\n`` (the last line of a stream may lack it), so the
lines joined give the stream back byte for byte. Memory holds one chunk plus one line at a time,
whatever the size of the stream.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import IO


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
