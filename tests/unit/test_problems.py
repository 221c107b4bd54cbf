"""How problems are told: line number, JSON pointer, message (shortened; a rule's own words; the closest
known name for an unknown field or enum value), in document order."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_batch_gemini.input.line_checks import validate_line
from airflow_batch_gemini.input.problems import LineProblem, closest, json_pointer
from tests.input_lines import line, messages, text_request

PART_DATA = "text, inlineData, fileData, functionCall, functionResponse, executableCode, codeExecutionResult"


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
    assert messages(bad) == [
        f"line 1: /request/contents/0/parts/0: sets more than one of {PART_DATA}; give exactly one",
        f"line 1: /request/contents/0/parts/1: needs one of {PART_DATA}",
    ]


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"generationConfg": {}}, "/request/generationConfg: is not a field of GenerateContentRequest; "
                                  "did you mean generationConfig?"),
        ({"generation_confg": {"temperature": 1}}, "/request/generation_confg: is not a field of "
                                                   "GenerateContentRequest; did you mean generationConfig?"),
        ({"systemInstructions": {"parts": [{"text": "x"}]}}, "/request/systemInstructions: is not a field of "
                                                             "GenerateContentRequest; did you mean systemInstruction?"),
        ({"generationConfig": {"temprature": 1}}, "/request/generationConfig/temprature: is not a field of "
                                                  "GenerationConfig; did you mean temperature?"),
        ({"zzz": 1}, "/request/zzz: is not a field of GenerateContentRequest"),
        ({"toolConfig": {"functionCallingConfig": {"mode": "auto"}}},
         "/request/toolConfig/functionCallingConfig/mode: 'auto' is not one of "
         "['MODE_UNSPECIFIED', 'AUTO', 'ANY', 'NONE', 'VALIDATED']; did you mean AUTO?"),
    ],
)
def test_unknown_names_and_values_get_the_closest_known_one(fields: dict[str, Any], expected: str) -> None:
    raw = line(text_request(**fields)).replace('"generationConfg": {}', '"generationConfg": {"seed": 1}')
    assert messages(raw) == [f"line 1: {expected}"]


@pytest.mark.parametrize(
    ("name", "known", "expected"),
    [
        ("HARM_CATEGORY_HATE", ["HARM_CATEGORY_HATE_SPEECH", "HARM_CATEGORY_IMAGE_HATE"], "HARM_CATEGORY_HATE_SPEECH"),
        ("usr", ["user", "model"], "user"),
        ("tester", ["user", "model"], None),
        ("max_output_token", ["maxOutputTokens", "max_output_tokens", "topK"], "maxOutputTokens"),
        ("OBJ", ["STRING", "OBJECT"], "OBJECT"),
        ("", ["a"], None),
    ],
)
def test_closest(name: str, known: list[str], expected: str | None) -> None:
    assert closest(name, known) == expected


def test_long_values_are_shortened_in_messages() -> None:
    [problem] = validate_line(line({"contents": "x" * 5000}), 1)
    assert len(problem.message) <= 300 and problem.message.endswith("...)")


@pytest.mark.parametrize(
    ("path", "pointer"),
    [([], ""), (["request", "contents", 0], "/request/contents/0"), (["a/b", "m~n"], "/a~1b/m~0n")],
)
def test_json_pointer(path: list[Any], pointer: str) -> None:
    assert json_pointer(path) == pointer
