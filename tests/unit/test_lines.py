"""Line cutting of byte chunks: every line keeps its break, whatever the chunks; a line over the limit comes
as an :class:`OverlongLine` at its place, never held."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

from hypothesis import given
from hypothesis import strategies as st

from airflow_batch_gemini.lines import OverlongLine, bounded_blocks, iter_line_blocks, iter_lines, stream_lines


def overlong(raw: bytes, limit: int) -> OverlongLine:
    """The marker of the line ``raw`` over ``limit``: its size and hash without its line break."""
    line = raw.removesuffix(b"\n").removesuffix(b"\r")
    return OverlongLine(len(line), hashlib.sha256(line).hexdigest(), limit)


def chunked(data: bytes, cuts: list[int]) -> list[bytes]:
    """``data`` cut into chunks of the sizes in ``cuts``, and the rest."""
    chunks, rest = [], data
    for cut in cuts:
        chunks.append(rest[:cut])
        rest = rest[cut:]
    chunks.append(rest)
    return chunks


def whole_lines(data: bytes) -> list[bytes]:
    """The lines of ``data``, each with its ``\\n`` (the last may lack it)."""
    *whole, last = data.split(b"\n")
    return [part + b"\n" for part in whole] + ([last] if last else [])


def test_lines_keep_their_breaks_and_the_last_may_lack_one() -> None:
    assert list(iter_lines([b"ab\ncd", b"e\n\nf"])) == [b"ab\n", b"cde\n", b"\n", b"f"]
    assert list(iter_lines([b"", b"a\n"])) == [b"a\n"]
    assert list(iter_lines([])) == []


@given(st.binary(max_size=300), st.lists(st.integers(1, 50), max_size=20))
def test_any_chunking_gives_the_same_lines(data: bytes, cuts: list[int]) -> None:
    assert list(iter_lines(chunked(data, cuts))) == whole_lines(data)


def test_a_line_over_the_limit_comes_as_a_marker_at_its_place() -> None:
    long = b"x" * 30 + b"\n"
    chunks = [b"ab\n", long[:7], long[7:20], long[20:] + b"cd\n", b"ef"]
    assert list(stream_lines(iter_line_blocks(chunks, 10))) == [b"ab\n", overlong(long, 10), b"cd\n", b"ef"]


def test_a_line_exactly_at_the_limit_passes_one_byte_more_does_not() -> None:
    assert list(stream_lines(iter_line_blocks([b"123456789\n", b"1234567890"], 10))) == [b"123456789\n",
                                                                                          b"1234567890"]
    assert list(stream_lines(iter_line_blocks([b"1234567890", b"\n"], 10))) == [overlong(b"1234567890\n", 10)]
    assert list(stream_lines(iter_line_blocks([b"12345678901"], 10))) == [overlong(b"12345678901", 10)]


def test_at_most_the_limit_and_a_chunk_of_a_long_line_is_held() -> None:
    held: list[int] = []

    def chunks() -> Iterator[bytes]:
        for _ in range(100):
            yield b"y" * 7

    for block in iter_line_blocks(chunks(), 20):
        held.append(len(block) if isinstance(block, bytes) else 0)
    assert held == [0]  # the 700-byte line is a marker only: no block of it was ever made


@given(st.lists(st.sampled_from([b"\n", b"a", b"bb", b"c" * 9]), max_size=40), st.integers(1, 12),
       st.lists(st.integers(1, 15), max_size=30))
def test_any_chunking_gives_the_lines_and_markers_of_the_whole(pieces: list[bytes], limit: int,
                                                               cuts: list[int]) -> None:
    data = b"".join(pieces)
    bounded = [raw if len(raw) <= limit else overlong(raw, limit) for raw in whole_lines(data)]
    assert list(stream_lines(iter_line_blocks(chunked(data, cuts), limit))) == bounded
    assert list(stream_lines(bounded_blocks(data, limit))) == bounded


def test_no_limit_holds_every_line() -> None:
    assert list(iter_line_blocks([b"x" * 100, b"\n"], None)) == [b"x" * 100 + b"\n"]
