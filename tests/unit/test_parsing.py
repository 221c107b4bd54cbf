"""The two line parsers: the reference gives the value or the one problem that stops a line being JSON, the fast
one the value or ``None``; they agree on what is JSON."""

from __future__ import annotations

import pytest

from airflow_batch_gemini.input.parsing import parse_fast, parse_value_or_problem


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
