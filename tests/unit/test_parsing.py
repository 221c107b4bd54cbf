"""The two line parsers: the reference gives the value or the one problem that stops a line being JSON, the fast
one the value or ``None``; they agree on what is JSON."""

from __future__ import annotations

import json

import pytest

from airflow_batch_gemini.input.parsing import parse_fast, parse_value_or_problem
from airflow_batch_gemini.input.scanner import scan_blocks
from airflow_batch_gemini.lines import READ_CHUNK_BYTES, iter_line_blocks


def test_a_json_line_gives_its_value_and_no_problem() -> None:
    assert parse_value_or_problem(b'{"request": {"contents": []}}\n', 4) == ({"request": {"contents": []}}, [])
    assert parse_value_or_problem('{"a": 1}', 4) == ({"a": 1}, [])


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"\xff{}", "is not UTF-8 text (byte 1); save the file as UTF-8"),
        ("\ufeff{}", "starts with a byte order mark (BOM); save the file as UTF-8 without BOM"),
        (b" \t\r\n", "is blank; every line must hold one request, remove empty lines"),
        (b'{"a": Infinity}', "is not valid JSON: Infinity is not allowed in JSON"),
        (b'{"a": }', "is not valid JSON: Expecting value at column 7"),
        (b'{"a": "\x01"}', "is not valid JSON: Invalid control character at column 8"),
    ],
)
def test_a_line_that_is_not_json_gives_one_problem_at_its_line(raw: bytes | str, reason: str) -> None:
    value, problems = parse_value_or_problem(raw, 7)
    assert value is None
    assert [(problem.line, problem.pointer, problem.message) for problem in problems] == [(7, "", reason)]


@pytest.mark.parametrize("raw", [b'{"a": [1, 2.5, "x", null, true]}', b"[]", b'"text"', b"12"])
def test_the_fast_parser_gives_the_same_value(raw: bytes) -> None:
    assert parse_fast(raw) == parse_value_or_problem(raw, 1)[0]


@pytest.mark.parametrize("raw", [b'{"a": 1,}', b"{", b"\xff{}", b""])
def test_the_fast_parser_gives_none_where_it_refuses(raw: bytes) -> None:
    assert parse_fast(raw) is None


# Where a syntax error is: the column within its line, counted in characters, the byte offset beside it when
# they differ. Files are read with the line break on each line: it must not move the error to a "line 2".

def json_message(raw: bytes) -> str:
    value, problems = parse_value_or_problem(raw, 1)
    assert value is None and len(problems) == 1
    return problems[0].message


@pytest.mark.parametrize("end", [b"", b"\n", b"\r\n"])
def test_an_error_at_the_end_of_a_line_is_at_its_last_column_and_says_so(end: bytes) -> None:
    assert json_message(b'{"request": {"contents": []}' + end) == (
        "is not valid JSON: Expecting ',' delimiter at column 29, the end of the line (is the line cut short?)")


def test_a_multi_byte_character_before_the_error_counts_one_column_and_its_bytes() -> None:
    before = '{"request": {"contents": [{"parts": [{"text": "日本語 é 😀"}]'
    line = (before + ' x}]}}\n').encode()
    # 日本語 take 3 bytes each, é 2 and 😀 4: the x is 10 bytes further than it is characters
    column = len(before) + 2
    assert json_message(line) == f"is not valid JSON: Expecting ',' delimiter at column {column} (byte {column + 10})"


def test_an_error_deep_in_a_long_line_gives_its_column_with_thousands_separators() -> None:
    before = '{"request": {"contents": [{"parts": [{"text": "' + "é" * 600_000 + '"}]}]} '
    line = (before + '"key": "k"}\n').encode()
    assert len(line) > READ_CHUNK_BYTES, "a line longer than one read of a file"
    column = len(before) + 1
    assert json_message(line) == (f"is not valid JSON: Expecting ',' delimiter at column {column:,} "
                                  f"(byte {column + 600_000:,})")


def test_a_long_line_cut_short_is_at_its_end_in_the_scan_and_in_its_reject() -> None:
    """The scanner (behind the prepare operator and the command line) and the rejects file say the same."""
    good = json.dumps({"request": {"contents": [{"parts": [{"text": "ü" * 700_000}]}]}}, ensure_ascii=False)
    cut = good[: good.index("}")]  # the line as a crashed writer left it: ends right after the text's value
    data = (good + "\n" + cut + "\n").encode()
    chunks = [data[start:start + READ_CHUNK_BYTES] for start in range(0, len(data), READ_CHUNK_BYTES)]
    rejects: list[bytes] = []
    scan = scan_blocks(iter_line_blocks(chunks), on_reject=rejects.append)
    expected = (f"line 2: is not valid JSON: Expecting ',' delimiter at column {len(cut) + 1:,} "
                f"(byte {len(cut) + 1 + 700_000:,}), the end of the line (is the line cut short?)")
    assert [str(problem) for problem in scan.problems] == [expected]
    assert (scan.line_count, scan.row_count) == (2, 1)
    assert json.loads(rejects[0])["error"] == expected
