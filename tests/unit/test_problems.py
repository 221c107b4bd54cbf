"""How problems are told: line number, JSON pointer, message (shortened, an exactly-one-of rule naming its
choices), in document order."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_batch_gemini.input.line_checks import validate_line
from airflow_batch_gemini.input.problems import LineProblem, json_pointer
from tests.input_lines import line, messages


def test_the_seed_failure_role_is_reported_with_line_number_and_pointer() -> None:
    bad = line({"contents": [{"role": "tester", "parts": [{"text": "Explain how AI works"}]}]})
    assert messages(bad, 1204) == [
        "line 1,204: /request/contents/0/role: 'tester' is not one of ['user', 'model']"
    ]


def test_problem_fields() -> None:
    [problem] = validate_line(line({"contents": []}), 7)
    assert problem == LineProblem(7, "/request/contents", "[] should be non-empty")


def test_every_problem_of_a_line_is_reported_in_document_order() -> None:
    contents = [{"role": "user", "parts": [{"text": "x"}]} for _ in range(12)]
    contents[2]["role"] = "bot"
    contents[10]["role"] = "bot"
    bad = line({"contents": contents, "generationConfig": {"temperature": 3}})
    assert messages(bad) == [
        "line 1: /request/contents/2/role: 'bot' is not one of ['user', 'model']",
        "line 1: /request/contents/10/role: 'bot' is not one of ['user', 'model']",
        "line 1: /request/generationConfig/temperature: 3 is greater than the maximum of 2",
    ]


def test_a_part_needs_exactly_one_kind_of_data() -> None:
    bad = line({"contents": [{"role": "user", "parts": [
        {"text": "a", "fileData": {"fileUri": "gs://b/o.png", "mimeType": "image/png"}},
        {"thought": True},
    ]}]})
    problems = messages(bad)
    choices = "text, inlineData, fileData, functionCall, functionResponse, executableCode, codeExecutionResult"
    assert problems == [
        f"line 1: /request/contents/0/parts/0: needs exactly one of {choices}; found text, fileData",
        f"line 1: /request/contents/0/parts/1: needs exactly one of {choices}; found none",
    ]


def test_long_values_are_shortened_in_messages() -> None:
    [problem] = validate_line(line({"contents": "x" * 5000}), 1)
    assert len(problem.message) <= 300 and problem.message.endswith("...)")


@pytest.mark.parametrize(
    ("path", "pointer"),
    [([], ""), (["request", "contents", 0], "/request/contents/0"), (["a/b", "m~n"], "/a~1b/m~0n")],
)
def test_json_pointer(path: list[Any], pointer: str) -> None:
    assert json_pointer(path) == pointer
