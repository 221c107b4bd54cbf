"""The batch importer's rules within one line: empty objects, nesting depth, top-level column names."""

from __future__ import annotations

import json
from typing import Any

import pytest

from airflow_batch_gemini.input.line_checks import validate_line
from tests.input_lines import IMPORTER, line, messages, text_request


def test_an_empty_object_anywhere_fails_the_importer() -> None:
    request = text_request(tools=[{"googleSearch": {}}], labels={"team": "a-b"})
    assert messages(line(request)) == [
        f"line 1: /request/tools/0/googleSearch: is an empty object; give it a field or leave it out {IMPORTER}"
    ]


def test_an_empty_part_is_reported_once() -> None:
    assert messages(line({"contents": [{"role": "user", "parts": [{}]}]})) == [
        "line 1: /request/contents/0/parts/0: needs exactly one of text, inlineData, fileData, functionCall, "
        "functionResponse, executableCode, codeExecutionResult; found none"
    ]


def test_objects_nested_more_than_15_levels_fail_the_importer() -> None:
    def nested(levels: int) -> dict[str, Any]:
        value: dict[str, Any] = {"leaf": [1]}
        for _ in range(levels - 1):
            value = {"x": [value]}  # arrays add no level
        return value

    # line, request, contents/0, parts/0, functionCall: 5 levels, so "args" may hold 10 more
    call = {"functionCall": {"name": "f", "args": nested(10)}}
    fits = line({"contents": [{"role": "model", "parts": [call]}]})
    assert messages(fits) == []
    call["functionCall"]["args"] = nested(11)
    [problem] = validate_line(line({"contents": [{"role": "model", "parts": [call]}]}), 1)
    assert problem.message == f"nests objects more than 15 levels deep {IMPORTER}"
    assert problem.pointer.startswith("/request/contents/0/parts/0/functionCall/args/x/0/x/0")


@pytest.mark.parametrize("key", ["my-key", "1st", "a.b", "x" * 301, "ключ"])
def test_top_level_keys_must_be_column_names(key: str) -> None:
    [problem] = validate_line(json.dumps({"request": text_request(), key: "v"}), 4)
    assert problem.pointer == f"/{key}"
    assert problem.message.startswith("is not a valid column name")


def test_nested_keys_need_not_be_column_names() -> None:
    assert messages(line(text_request(labels={"cost-center": "a"}), _id="x", Key_2="y")) == []
