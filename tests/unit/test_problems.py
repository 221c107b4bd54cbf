"""How problems are told: line number, JSON pointer, message (shortened; a rule's own words; the closest
known name for an unknown field or enum value), in document order."""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import Draft202012Validator

from airflow_batch_gemini.input.line_checks import validate_line
from airflow_batch_gemini.input.problems import LineProblem, closest, json_pointer, schema_error_message
from airflow_batch_gemini.input.schema import build_validator
from tests.input_lines import line, messages, text_request

PART_DATA = "text, inlineData, fileData, functionCall, functionResponse, executableCode, codeExecutionResult"


def test_the_seed_failure_role_is_reported_with_line_number_and_pointer() -> None:
    bad = line({"contents": [{"role": "tester", "parts": [{"text": "Explain how AI works"}]}]})
    assert messages(bad, 1204) == [
        "line 1,204: /request/contents/0/role: a string (6 characters) that is not one of ['user', 'model']"
    ]


def test_problem_fields() -> None:
    [problem] = validate_line(line({"contents": []}), 7)
    assert problem == LineProblem(7, "/request/contents", "an array of 0 items, fewer than the minimum of 1")


def test_every_problem_of_a_line_is_reported_in_document_order() -> None:
    contents = [{"role": "user", "parts": [{"text": "x"}]} for _ in range(12)]
    contents[2]["role"] = "bot"
    contents[10]["role"] = "bot"
    bad = line({"contents": contents, "generationConfig": {"temperature": 3}})
    assert messages(bad) == [
        "line 1: /request/contents/2/role: a string (3 characters) that is not one of ['user', 'model']",
        "line 1: /request/contents/10/role: a string (3 characters) that is not one of ['user', 'model']",
        "line 1: /request/generationConfig/temperature: a number above the maximum of 2",
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
         "/request/toolConfig/functionCallingConfig/mode: a string (4 characters) that is not one of "
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


def test_long_values_are_shortened_in_messages_that_show_values() -> None:
    [problem] = validate_line(line({"contents": "x" * 5000}), 1, build_validator(show_values=True))
    assert len(problem.message) <= 300 and problem.message.endswith("...)")


def test_a_long_value_is_not_in_its_message_only_its_type() -> None:
    [problem] = validate_line(line({"contents": "x" * 5000}), 1)
    assert problem.message == "a string where an array is expected"


@pytest.mark.parametrize(
    ("path", "pointer"),
    [([], ""), (["request", "contents", 0], "/request/contents/0"), (["a/b", "m~n"], "/a~1b/m~0n")],
)
def test_json_pointer(path: list[Any], pointer: str) -> None:
    assert json_pointer(path) == pointer


SECRET = "John Smith 123-45-6789"


@pytest.mark.parametrize(
    ("rule", "value", "expected"),
    [
        ({"enum": ["a", "b"]}, SECRET, "a string (22 characters) that is not one of ['a', 'b']"),
        ({"enum": [1, 2]}, 3, "a number that is not one of [1, 2]"),
        ({"const": "a"}, SECRET, "a string (22 characters) where 'a' is expected"),
        ({"type": "integer"}, SECRET, "a string where an integer is expected"),
        ({"maxLength": 5}, SECRET, "a string of 22 characters, more than the maximum of 5"),
        ({"pattern": "^[a-z]+$"}, SECRET, "a string (22 characters) that does not match '^[a-z]+$'"),
        ({"uniqueItems": True}, [SECRET, SECRET], "an array whose items are not all different"),
        ({"maxItems": 1}, [SECRET, SECRET], "an array of 2 items, more than the maximum of 1"),
        ({"minProperties": 3}, {"name": SECRET}, "an object of 1 field, fewer than the minimum of 3"),
        ({"maximum": 100}, 123456789, "a number above the maximum of 100"),
        ({"exclusiveMinimum": 100}, 42, "a number that is not above 100"),
        ({"multipleOf": 7}, 12345, "a number that is not a multiple of 7"),
        ({"anyOf": [{"type": "number"}, {"maxLength": 2}]}, SECRET,
         "a string that matches none of the forms allowed here"),
        ({"oneOf": [{"type": "string"}, {"maxLength": 30}]}, SECRET,
         "a string that does not match exactly one of the forms allowed here"),
        ({"not": {"type": "string"}}, SECRET, "a string that is not allowed here"),
        ({"contains": {"type": "number"}}, [SECRET], "an array that breaks the schema's contains rule"),
    ],
)
def test_no_rule_says_the_value(rule: dict[str, Any], value: Any, expected: str) -> None:
    validator = build_validator({"properties": {"key": rule}})
    raw = line(text_request(), key=value)
    assert messages(raw, validator=validator) == [f"line 1: /key: {expected}"]
    assert "John" not in expected and "123456789" not in expected and "12345 " not in expected


def test_a_false_schema_says_no_value() -> None:
    error = next(Draft202012Validator({"properties": {"a": False}}).iter_errors({"a": SECRET}))
    assert schema_error_message(error) == "a string that is not allowed here"
    assert schema_error_message(error, show_values=True) == f"False schema does not allow {SECRET!r}"


@pytest.mark.parametrize(
    ("fields", "shown"),
    [
        ({"contents": [{"role": "tester", "parts": [{"text": "x"}]}]},
         "/request/contents/0/role: 'tester' is not one of ['user', 'model']"),
        ({"generationConfig": {"temperature": 3}}, "/request/generationConfig/temperature: 3 is greater than the "
                                                   "maximum of 2"),
        ({"generationConfig": {"stopSequences": "END"}},
         "/request/generationConfig/stopSequences: 'END' is not of type 'array', 'null'"),
        ({"tools": [{"functionDeclarations": [{"name": "get weather"}]}]},
         "/request/tools/0/functionDeclarations/0/name: 'get weather' is not a function name: a letter or _ first, "
         "then letters, digits, _ . : -, at most 128 characters"),
        ({"systemInstruction": {"parts": []}}, "/request/systemInstruction/parts: [] should be non-empty"),
    ],
)
def test_show_values_says_the_offending_value_which_is_otherwise_left_out(fields: dict[str, Any], shown: str) -> None:
    raw = line(text_request(**fields))
    assert messages(raw, validator=build_validator(show_values=True)) == [f"line 1: {shown}"]
    value = shown.split(": ", 1)[1].split(" is ")[0]
    [redacted] = messages(raw)
    assert redacted.startswith(f"line 1: {shown.split(': ', 1)[0]}: ") and value not in redacted
