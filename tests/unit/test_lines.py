"""Line cutting of byte chunks: every line keeps its break, whatever the chunks."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from airflow_batch_gemini.input.lines import iter_lines


def test_lines_keep_their_breaks_and_the_last_may_lack_one() -> None:
    assert list(iter_lines([b"ab\ncd", b"e\n\nf"])) == [b"ab\n", b"cde\n", b"\n", b"f"]
    assert list(iter_lines([b"", b"a\n"])) == [b"a\n"]
    assert list(iter_lines([])) == []


@given(st.binary(max_size=300), st.lists(st.integers(1, 50), max_size=20))
def test_any_chunking_gives_the_same_lines(data: bytes, cuts: list[int]) -> None:
    chunks, rest = [], data
    for cut in cuts:
        chunks.append(rest[:cut])
        rest = rest[cut:]
    chunks.append(rest)
    *whole, last = data.split(b"\n")
    expected = [part + b"\n" for part in whole] + ([last] if last else [])
    assert list(iter_lines(chunks)) == expected
