"""The packaged request schema, its rules each with an example, and an ``extra_schema`` on top of it."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from airflow_batch_gemini.input.line_checks import validate_line
from airflow_batch_gemini.input.schema import build_validator, load_request_schema
from tests.input_lines import SEED_LINE, line, messages, text_request


def test_the_packaged_schema_is_a_valid_draft_2020_12_schema() -> None:
    schema = load_request_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)


def test_the_seed_input_line_is_valid() -> None:
    assert validate_line(SEED_LINE, 1) == []
    assert validate_line(SEED_LINE.decode(), 1) == []


@pytest.mark.parametrize(
    "part",
    [
        {"text": "hello"},
        {"inlineData": {"mimeType": "image/png", "data": "iVBORw0KGgo="}},
        {"inline_data": {"mime_type": "image/png", "data": "iVBORw0KGgo="}},
        {"fileData": {"fileUri": "gs://b/v.mp4", "mimeType": "video/mp4"}},
        {"file_data": {"file_uri": "gs://b/v.mp4", "mime_type": "video/mp4"}},
        {"functionCall": {"name": "lookup", "args": {"q": "x"}}},
        {"function_response": {"name": "lookup", "response": {"answer": 42}}},
    ],
)
def test_each_kind_of_part_is_accepted_in_camel_and_snake_case(part: dict[str, Any]) -> None:
    assert messages(line({"contents": [{"role": "user", "parts": [part]}]})) == []


@pytest.mark.parametrize(
    ("part", "expected"),
    [
        ({"fileData": {"fileUri": "gs://b/v.mp4"}}, "/request/contents/0/parts/0/fileData: "),
        ({"inlineData": {"mimeType": "png", "data": "AA=="}}, "/request/contents/0/parts/0/inlineData/mimeType: "),
        ({"text": 5}, "/request/contents/0/parts/0/text: 5 is not of type 'string'"),
    ],
)
def test_part_contents_are_checked(part: dict[str, Any], expected: str) -> None:
    [problem] = messages(line({"contents": [{"role": "user", "parts": [part]}]}))
    assert problem.startswith(f"line 1: {expected}")


@pytest.mark.parametrize(
    ("config", "pointer"),
    [
        ({"temperature": 2.01}, "/temperature"),
        ({"temperature": -0.1}, "/temperature"),
        ({"temperature": True}, "/temperature"),
        ({"topP": 1.5}, "/topP"),
        ({"top_p": -1}, "/top_p"),
        ({"maxOutputTokens": 0}, "/maxOutputTokens"),
        ({"max_output_tokens": 1.5}, "/max_output_tokens"),
        ({"candidateCount": 0}, "/candidateCount"),
        ({"stopSequences": "END"}, "/stopSequences"),
    ],
)
def test_generation_config_bounds(config: dict[str, Any], pointer: str) -> None:
    [problem] = validate_line(line(text_request(generationConfig=config)), 1)
    assert problem.pointer == f"/request/generationConfig{pointer}"


def test_a_full_request_in_snake_case_with_extra_keys_is_valid() -> None:
    request = text_request(
        system_instruction={"parts": [{"text": "Be brief."}]},
        generation_config={"temperature": 0, "top_p": 1, "top_k": 40, "max_output_tokens": 1,
                           "response_mime_type": "application/json", "seed": 7},
        tools=[{"function_declarations": [{"name": "lookup"}]}],
        tool_config={"function_calling_config": {"mode": "AUTO"}},
        safety_settings=[{"category": "HARM_CATEGORY_HATE_SPEECH", "threshold": "BLOCK_NONE"}],
        labels={"team": "search"},
    )
    assert messages(line(request, key="row-1", id="a1")) == []


@pytest.mark.parametrize(
    ("field", "value", "pointer"),
    [
        ("systemInstruction", {"role": "system"}, "/request/systemInstruction"),
        ("safetySettings", [{"category": "HARM_CATEGORY_HATE_SPEECH"}], "/request/safetySettings/0"),
        ("labels", {"team": 5}, "/request/labels/team"),
        ("tools", [{}], "/request/tools/0"),
    ],
)
def test_optional_request_fields_are_checked(field: str, value: Any, pointer: str) -> None:
    [problem] = validate_line(line(text_request(**{field: value})), 1)
    assert problem.pointer == pointer


def test_extra_schema_is_combined_with_the_packaged_one() -> None:
    validator = build_validator({"required": ["key"], "properties": {"key": {"type": "string", "pattern": "^[a-z]"}}})
    assert messages(SEED_LINE, 5, validator=validator) == ["line 5: 'key' is a required property"]
    assert messages(line(text_request(), key="7"), 6, validator=validator) == [
        "line 6: /key: '7' does not match '^[a-z]'"
    ]
    both_wrong = line({"contents": [{"role": "bot", "parts": [{"text": "x"}]}]}, key="row-1")
    assert messages(both_wrong, 8, validator=validator) == [
        "line 8: /request/contents/0/role: 'bot' is not one of ['user', 'model']"
    ]


def test_an_invalid_extra_schema_is_refused() -> None:
    with pytest.raises(ValueError, match="extra_schema is not a valid JSON Schema"):
        build_validator({"type": "no-such-type"})


def test_the_schema_copy_may_be_changed_without_effect() -> None:
    schema = load_request_schema()
    original = copy.deepcopy(schema)
    schema["$defs"]["Content"]["properties"]["role"] = {"enum": ["tester"]}
    assert load_request_schema() == original
    assert validate_line(SEED_LINE, 1) == []


@given(st.text(max_size=100), st.sampled_from(["user", "model"]), st.floats(0, 2), st.integers(1, 10**6))
def test_well_formed_requests_are_valid(text: str, role: str, temperature: float, tokens: int) -> None:
    request = {"contents": [{"role": role, "parts": [{"text": text}]}],
               "generationConfig": {"temperature": temperature, "maxOutputTokens": tokens}}
    assert validate_line(json.dumps({"request": request}), 1) == []


def test_every_camel_case_field_has_its_snake_case_twin() -> None:
    def objects(schema: Any) -> Any:
        if isinstance(schema, dict):
            yield schema
            for value in schema.values():
                yield from objects(value)
        elif isinstance(schema, list):
            for value in schema:
                yield from objects(value)

    for schema in objects(load_request_schema()):
        properties = schema.get("properties") if isinstance(schema.get("properties"), dict) else {}
        for name, subschema in properties.items():
            twin = "".join(f"_{c.lower()}" if c.isupper() else c for c in name)
            assert properties.get(twin) == subschema, f"{name} has no snake_case twin {twin}"


def part_line(part: dict[str, Any]) -> str:
    return line({"contents": [{"role": "user", "parts": [part]}]})


@pytest.mark.parametrize(
    ("request_fields", "expected"),
    [
        ({"safetySettings": [{"category": "HARM_CATEGORY_HATE", "threshold": "BLOCK_NONE"}]},
         "/request/safetySettings/0/category: 'HARM_CATEGORY_HATE' is not one of ['HARM_CATEGORY_UNSPECIFIED'"),
        ({"safety_settings": [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_SOME"}]},
         "/request/safety_settings/0/threshold: 'BLOCK_SOME' is not one of ['HARM_BLOCK_THRESHOLD_UNSPECIFIED'"),
        ({"generationConfig": {"stopSequences": ["a", "b", "c", "d", "e", "f"]}},
         "/request/generationConfig/stopSequences: ['a', 'b', 'c', 'd', 'e', 'f'] is too long"),
        ({"generationConfig": {"presencePenalty": 2}}, "/request/generationConfig/presencePenalty: 2 is greater than"),
        ({"generationConfig": {"frequency_penalty": -2.5}},
         "/request/generationConfig/frequency_penalty: -2.5 is less"),
        ({"generationConfig": {"seed": 1.5}}, "/request/generationConfig/seed: 1.5 is not of type 'integer'"),
        ({"generationConfig": {"topK": 0}}, "/request/generationConfig/topK: 0 is less than the minimum of 1"),
        ({"generationConfig": {"candidateCount": 9}}, "/request/generationConfig/candidateCount: 9 is greater"),
        ({"generationConfig": {"responseMimeType": "text/csv"}},
         "/request/generationConfig/responseMimeType: 'text/csv' is not one of"),
        ({"generationConfig": {"responseSchema": "OBJECT"}},
         "/request/generationConfig/responseSchema: 'OBJECT' is not of type 'object'"),
        ({"generationConfig": {"responseModalities": ["TEXT", "VIDEO"]}},
         "/request/generationConfig/responseModalities/1: 'VIDEO' is not one of"),
        ({"generationConfig": {"thinkingConfig": {"thinkingBudget": -2}}},
         "/request/generationConfig/thinkingConfig/thinkingBudget: -2 is less than the minimum of -1"),
        ({"tools": [{"functionDeclarations": [{"name": "get weather"}]}]},
         "/request/tools/0/functionDeclarations/0/name: 'get weather' is not a function name"),
        ({"tools": [{"retrieval": {"disableAttribution": True}}]}, "/request/tools/0/retrieval: "),
        ({"tools": [{"webSearch": {"on": True}}]}, "/request/tools/0: "),
        ({"toolConfig": {"functionCallingConfig": {"mode": "SOMETIMES"}}},
         "/request/toolConfig/functionCallingConfig/mode: 'SOMETIMES' is not one of"),
        ({"labels": {"team": "x" * 64}}, "/request/labels/team: "),
        ({"systemInstruction": {"parts": []}}, "/request/systemInstruction/parts: [] should be non-empty"),
    ],
)
def test_request_rules_each_with_a_failing_example(request_fields: dict[str, Any], expected: str) -> None:
    [problem] = messages(line(text_request(**request_fields)))
    assert problem.startswith(f"line 1: {expected}")


@pytest.mark.parametrize(
    ("part", "expected"),
    [
        ({"fileData": {"fileUri": "s3://bucket/a.png", "mimeType": "image/png"}},
         "/request/contents/0/parts/0/fileData/fileUri: 's3://bucket/a.png' is not a gs://bucket/object or "
         "https:// URI"),
        ({"fileData": {"fileUri": "gs://bucket/a.png"}}, "/request/contents/0/parts/0/fileData: "),
        ({"inline_data": {"mime_type": "image/png\n", "data": "AA=="}},
         "/request/contents/0/parts/0/inline_data/mime_type: 'image/png\\n' is not a MIME type such as image/png"),
        ({"text": "a", "thought": "yes"}, "/request/contents/0/parts/0/thought: 'yes' is not of type 'boolean'"),
        ({"text": "a", "thoughtSignature": ""}, "/request/contents/0/parts/0/thoughtSignature: '' should be non-empty"),
        ({"executableCode": {"language": "JS", "code": "1"}},
         "/request/contents/0/parts/0/executableCode/language: 'JS' is not one of"),
        ({"codeExecutionResult": {"output": "1"}},
         "/request/contents/0/parts/0/codeExecutionResult: 'outcome' is a required property"),
        ({"functionResponse": {"name": "f"}},
         "/request/contents/0/parts/0/functionResponse: 'response' is a required property"),
    ],
)
def test_part_rules_each_with_a_failing_example(part: dict[str, Any], expected: str) -> None:
    [problem] = messages(part_line(part))
    assert problem.startswith(f"line 1: {expected}")


def test_thought_parts_and_every_tool_kind_are_accepted() -> None:
    request = text_request(
        tools=[{"googleSearch": {"excludeDomains": ["example.com"]}}, {"codeExecution": {"enabled": True}},
               {"retrieval": {"vertexAiSearch": {"datastore": "projects/p/datastores/d"}}},
               {"functionDeclarations": [{"name": "get_weather", "parameters": {"type": "OBJECT"}}]}],
        toolConfig={"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["get_weather"]}},
        generationConfig={"responseModalities": ["TEXT"], "thinkingConfig": {"thinkingBudget": -1,
                                                                             "includeThoughts": True}},
    )
    request["contents"].append({"role": "model", "parts": [{"text": "thinking", "thought": True,
                                                            "thoughtSignature": "c2ln"}]})
    assert messages(line(request)) == []
