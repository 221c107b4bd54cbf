"""Input lines made from request dicts: a whole line or a bare request, compact JSON, in blocks of a group."""

from __future__ import annotations

import datetime
import json

import pytest

from airflow_batch_gemini.exceptions import GeminiBatchInputError
from airflow_batch_gemini.input.request_lines import request_line, request_line_blocks
from airflow_batch_gemini.input.scanner import GROUP_LINES
from tests.input_lines import text_request


def test_a_value_json_cannot_hold() -> None:
    with pytest.raises(GeminiBatchInputError, match="JSON cannot represent"):
        request_line({"contents": [], "when": datetime.date(2026, 1, 1)})


def test_a_whole_line_is_kept_and_a_bare_request_is_wrapped() -> None:
    assert request_line({"request": text_request(), "key": "é"}) == (
        '{"request":{"contents":[{"role":"user","parts":[{"text":"hi"}]}]},"key":"é"}\n'.encode()
    )
    assert json.loads(request_line(text_request())) == {"request": text_request()}


def test_lines_come_in_blocks_of_one_group() -> None:
    items = [text_request(seed=index) for index in range(2 * GROUP_LINES + 1)]
    blocks = list(request_line_blocks(items))
    assert [block.count(b"\n") for block in blocks] == [GROUP_LINES, GROUP_LINES, 1]
    assert b"".join(blocks) == b"".join(map(request_line, items))
