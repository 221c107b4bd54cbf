"""The packaged request schema (generated from Google's discovery documents): what it accepts and refuses,
the regressions issue 12 lists (valid requests the hand-written schema refused, broken ones it accepted),
unknown fields allowed on request, notes, and an ``extra_schema`` on top of it."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from airflow_batch_gemini.input.line_checks import validate_line
from airflow_batch_gemini.input.scanner import scan_lines
from airflow_batch_gemini.input.schema import build_validator, load_request_schema
from airflow_batch_gemini.input.schema_variants import V1BETA1_ONLY
from tests.input_lines import SEED_LINE, line, messages, text_request

JSON_MIME = {"responseMimeType": "application/json"}


def part_line(part: dict[str, Any]) -> str:
    return line({"contents": [{"role": "user", "parts": [part]}]})


def test_the_packaged_schema_is_a_valid_draft_2020_12_schema_from_the_discovery_documents() -> None:
    schema = load_request_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert set(schema["x-discovery-revisions"]) == {"v1", "v1beta1"}
    Draft202012Validator.check_schema(schema)


def test_the_seed_input_line_is_valid() -> None:
    assert validate_line(SEED_LINE, 1) == []
    assert validate_line(SEED_LINE.decode(), 1) == []


@pytest.mark.parametrize(
    "part",
    [
        {"text": "hello"},
        {"inlineData": {"mimeType": "image/png", "data": "iVBORw0KGgo="}},
        {"inline_data": {"mime_type": "image/png", "data": "iVBORw0KGgo"}},
        {"fileData": {"fileUri": "gs://b/v.mp4", "mimeType": "video/mp4"}},
        {"file_data": {"file_uri": "gs://b/v.mp4", "mime_type": "video/mp4"}},
        {"functionCall": {"name": "lookup", "args": {"q": "x"}}},
        {"function_response": {"name": "lookup", "response": {"answer": 42}}},
        {"text": "a", "videoMetadata": {"startOffset": "1.5s", "endOffset": "3s", "fps": "2.5"}},
        {"text": "a", "fileData": None},  # null means unset: one member of the oneof is set
    ],
)
def test_each_kind_of_part_is_accepted_in_camel_and_snake_case(part: dict[str, Any]) -> None:
    assert messages(part_line(part)) == []


@pytest.mark.parametrize(
    "fields",
    [
        {"tools": [{"computerUse": {"environment": "ENVIRONMENT_BROWSER"}}]},
        {"tools": [{"urlContext": None}, {"googleMaps": {"enableWidget": True}},
                   {"enterpriseWebSearch": {"excludeDomains": ["a.com"]}}]},
        {"generationConfig": {"responseModalities": ["VIDEO"]}},
        {"tools": [{"functionDeclarations": [{"name": "f" * 128}]}]},
        {"generationConfig": {"presencePenalty": 2.0, "frequencyPenalty": -2}},
        {"generationConfig": {"seed": "42", "maxOutputTokens": "100", "temperature": "0.5"}},
        {"generationConfig": None, "tools": None, "systemInstruction": None, "labels": None},
        {"generationConfig": {**JSON_MIME, "responseSchema": {"type": "OBJECT", "properties": {"a": {
            "type": "ARRAY", "items": {"type": "OBJECT", "properties": {"b": {"type": "STRING"}}}}}}}},
        {"generationConfig": {"temperature": 0, "responseModalities": [1], "mediaResolution": "MEDIA_RESOLUTION_LOW"}},
    ],
)
def test_valid_requests_the_hand_written_schema_refused_are_accepted(fields: dict[str, Any]) -> None:
    assert messages(line(text_request(**fields))) == []


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"generationConfig": {**JSON_MIME, "responseSchema": {"type": "OBJECT", "propertys": {}}}},
         "/request/generationConfig/responseSchema/propertys: is not a field of Schema; did you mean properties?"),
        ({"tools": [{"functionDeclarations": [{"name": "f", "parameters": {"type": "OBJECT", "properties": {
            "a": {"type": "STRNG"}}}}]}]},
         '/request/tools/0/functionDeclarations/0/parameters/properties/a/type: a string (5 '
         "characters) that is not one of ['TYPE_UNSPECIFIED', 'STRING', 'NUMBER', 'INTEGER', "
         "'BOOLEAN', 'ARRAY', 'OBJECT', 'NULL']; did you mean STRING?"),
        ({"tools": [{"functionDeclarations": [{"name": "f", "parameters": {"properties": {
            "a b": {"type": "STRING"}}}}]}]},
         '/request/tools/0/functionDeclarations/0/parameters/properties: a string (3 characters) '
         'that is not a parameter name: a letter or _ first, then letters, digits and _, at most 64'),
        ({"tools": [{"retrieval": {"vertexAiSearch": {"datastore": "d", "maxResults": "11"}}}]},
         '/request/tools/0/retrieval/vertexAiSearch/maxResults: a string (2 characters) that is '
         'not an integer at most 10 (a JSON number or a decimal string)'),
        ({"generationConfig": {"speechConfig": {"voiceConfig": {"prebuiltVoiceConfig": {"voiceNam": "Kore"}}}}},
         "/request/generationConfig/speechConfig/voiceConfig/prebuiltVoiceConfig/voiceNam: is not a field of "
         "PrebuiltVoiceConfig; did you mean voiceName?"),
        ({"generationConfig": {"imageConfig": {"aspectRatio": 5}}},
         '/request/generationConfig/imageConfig/aspectRatio: a number where a string or null is '
         'expected'),
        ({"generationConfig": {"routingConfig": {"autoMode": {"modelRoutingPreference": "FASTEST"}}}},
         '/request/generationConfig/routingConfig/autoMode/modelRoutingPreference: a string (7 '
         "characters) that is not one of ['UNKNOWN', 'PRIORITIZE_QUALITY', 'BALANCED', "
         "'PRIORITIZE_COST']"),
        ({"modelArmorConfig": {"promptTemplateName": 5}},
         '/request/modelArmorConfig/promptTemplateName: a number where a string or null is expected'),
        ({"generationConfg": {"temperature": 1}},
         "/request/generationConfg: is not a field of GenerateContentRequest; did you mean generationConfig?"),
        ({"generationConfig": {"thinkingConfig": {"thinkingBudgt": 5}}},
         "/request/generationConfig/thinkingConfig/thinkingBudgt: is not a field of GenerationConfigThinkingConfig; "
         "did you mean thinkingBudget?"),
        ({"generationConfig": {**JSON_MIME, "responseSchema": {"type": "OBJECT"}, "responseJsonSchema": True}},
         "/request/generationConfig: sets both responseJsonSchema and responseSchema, which are mutually exclusive"),
        ({"tools": [{"functionDeclarations": [{"name": "f", "parameters": {"type": "OBJECT"},
                                               "parametersJsonSchema": {"type": "object"}}]}]},
         "/request/tools/0/functionDeclarations/0: sets both parametersJsonSchema and parameters, which are "
         "mutually exclusive"),
        ({"safetySettings": [{"category": "HARM_CATEGORY_HATE_SPEECH", "threshold": "OFF"}],
          "modelArmorConfig": {"promptTemplateName": "t"}},
         "/request: sets both modelArmorConfig and safetySettings, which are mutually exclusive"),
        ({"generationConfig": {"responseSchema": {"type": "OBJECT"}}},
         "/request/generationConfig: sets responseSchema, which needs responseMimeType set to 'application/json'"),
        ({"generationConfig": {"temperature": "3"}},
         '/request/generationConfig/temperature: a string (1 character) that is not a number in '
         '[0, 2] (a JSON number or a decimal string)'),
        ({"generationConfig": {"temperature": 2.01}},
         '/request/generationConfig/temperature: a number above the maximum of 2'),
        ({"generationConfig": {"max_output_tokens": 1.5}},
         '/request/generationConfig/max_output_tokens: a number where an integer, a string or null '
         'is expected'),
        ({"generationConfig": {"stopSequences": "END"}},
         '/request/generationConfig/stopSequences: a string where an array or null is expected'),
        ({"toolConfig": {"functionCallingConfig": {"mode": "SOMETIMES"}}},
         '/request/toolConfig/functionCallingConfig/mode: a string (9 characters) that is not one '
         "of ['MODE_UNSPECIFIED', 'AUTO', 'ANY', 'NONE', 'VALIDATED']"),
        ({"labels": {"team": 5}}, '/request/labels/team: a number where a string is expected'),
        ({"tools": [{"functionDeclarations": [{"name": "get weather"}]}]},
         '/request/tools/0/functionDeclarations/0/name: a string (11 characters) that is not a '
         'function name: a letter or _ first, then letters, digits, _ . : -, at most 128 characters'),
        ({"systemInstruction": {"parts": []}}, '/request/systemInstruction/parts: an array of 0 '
                                               'items, fewer than the minimum of 1'),
        ({"generationConfig": {"seed": "2147483648"}},
         '/request/generationConfig/seed: a string (10 characters) that is not an integer in '
         '[-2147483648, 2147483647] (a JSON number or a string of digits)'),
        ({"generation_config": None, "generationConfig": {"temperature": 1}},
         "/request: gives both generationConfig and generation_config; give one of them"),
        ({"generationConfig": {"speechConfig": {"multiSpeakerVoiceConfig": {"speakerVoiceConfigs": [
            {"speaker": "a", "voiceConfig": {"prebuiltVoiceConfig": {"voiceName": "Kore"}}}]}}}},
         '/request/generationConfig/speechConfig/multiSpeakerVoiceConfig/speakerVoiceConfigs: an '
         'array of 1 item, fewer than the minimum of 2'),
    ],
)
def test_broken_requests_are_refused_with_the_exact_message(fields: dict[str, Any], expected: str) -> None:
    assert messages(line(text_request(**fields))) == [f"line 1: {expected}"]


@pytest.mark.parametrize(
    ("part", "expected"),
    [
        ({"text": "a", "videoMetadata": {"startOffset": "1.5"}},
         '/request/contents/0/parts/0/videoMetadata/startOffset: a string (3 characters) that is '
         'not a duration in seconds like "1.5s"'),
        ({"inlineData": {"mimeType": "image/png", "data": "not base64!"}},
         '/request/contents/0/parts/0/inlineData/data: a string (11 characters) that is not base64 '
         '(standard or URL-safe; padding optional)'),
        ({"fileData": {"fileUri": "gs://b/v.mp4"}},
         "/request/contents/0/parts/0/fileData: needs mimeType, which is required"),
        ({"inline_data": {"mime_type": "image/png\n", "data": "AA=="}},
         '/request/contents/0/parts/0/inline_data/mime_type: a string (10 characters) that is not '
         'a MIME type like image/png'),
        ({"text": "a", "thought": "yes"},
         '/request/contents/0/parts/0/thought: a string where a boolean or null is expected'),
        ({"executableCode": {"language": "JS", "code": "1"}},
         '/request/contents/0/parts/0/executableCode/language: a string (2 characters) that is not '
         "one of ['LANGUAGE_UNSPECIFIED', 'PYTHON']"),
        ({"codeExecutionResult": {"output": "1"}},
         "/request/contents/0/parts/0/codeExecutionResult: 'outcome' is a required property"),
        ({"functionResponse": {"name": "f"}},
         "/request/contents/0/parts/0/functionResponse: 'response' is a required property"),
        ({"fileData": {"fileUri": "", "mimeType": "video/mp4"}},
         '/request/contents/0/parts/0/fileData/fileUri: a string of 0 characters, fewer than the '
         'minimum of 1'),
        ({"text": None, "fileData": None},
         "/request/contents/0/parts/0: needs one of text, inlineData, fileData, functionCall, functionResponse, "
         "executableCode, codeExecutionResult"),
    ],
)
def test_part_rules_each_with_a_failing_example(part: dict[str, Any], expected: str) -> None:
    assert messages(part_line(part)) == [f"line 1: {expected}"]


def test_unknown_fields_may_be_allowed_everywhere_while_known_ones_are_still_checked() -> None:
    validator = build_validator(allow_unknown_fields=True)
    unknown = text_request(futureField=1, generationConfig={"newKnob": "x", "thinkingConfig": {"later": True}},
                           tools=[{"someNewTool": {"on": 1}}, {"functionDeclarations": [{"name": "f", "soon": 1}]}])
    unknown["contents"][0]["parts"][0]["partExtra"] = {"a": 1}
    assert messages(line(unknown), validator=validator) == []
    assert messages(line(unknown)) == [
        "line 1: /request/futureField: is not a field of GenerateContentRequest",
        "line 1: /request/contents/0/parts/0/partExtra: is not a field of Part",
        "line 1: /request/generationConfig/newKnob: is not a field of GenerationConfig",
        "line 1: /request/generationConfig/thinkingConfig/later: is not a field of GenerationConfigThinkingConfig",
        "line 1: /request/tools/0/someNewTool: is not a field of Tool",
        "line 1: /request/tools/1/functionDeclarations/0/soon: is not a field of FunctionDeclaration",
    ]
    known_broken = text_request(futureField=1, generationConfig={"newKnob": 1, "temperature": 3})
    assert messages(line(known_broken), validator=validator) == [
        'line 1: /request/generationConfig/temperature: a number above the maximum of 2']


def test_notes_a_v1beta1_only_field_and_too_many_stop_sequences() -> None:
    lines = [line(text_request(generationConfig={"modelConfig": {"featureSelectionPreference": "BALANCED"}})),
             line(text_request(generationConfig={"stopSequences": list("abcdef")})),
             line(text_request(generationConfig={"stopSequences": list("abcde")}))]
    scan = scan_lines([raw.encode() + b"\n" for raw in lines])
    assert (scan.row_count, scan.problem_count, scan.note_count) == (3, 0, 3)
    assert [str(note) for note in scan.notes] == [
        f"line 1: /request/generationConfig/modelConfig: {V1BETA1_ONLY}",
        f"line 1: /request/generationConfig/modelConfig/featureSelectionPreference: {V1BETA1_ONLY}",
        "line 2: /request/generationConfig/stopSequences: has more than 5 stop sequences; Google's discovery "
        "document states no limit, but the model endpoints have refused more than 5",
    ]


def test_extra_schema_is_combined_with_the_packaged_one() -> None:
    validator = build_validator({"required": ["key"], "properties": {"key": {"type": "string", "pattern": "^[a-z]"}}})
    assert messages(SEED_LINE, 5, validator=validator) == ["line 5: 'key' is a required property"]
    assert messages(line(text_request(), key="7"), 6, validator=validator) == [
        "line 6: /key: a string (1 character) that does not match '^[a-z]'"
    ]
    both_wrong = line({"contents": [{"role": "bot", "parts": [{"text": "x"}]}]}, key="row-1")
    assert messages(both_wrong, 8, validator=validator) == [
        "line 8: /request/contents/0/role: a string (3 characters) that is not one of ['user', 'model']"
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


def test_every_field_has_its_snake_case_twin_in_each_message() -> None:
    for name, message in load_request_schema()["$defs"].items():
        properties = message["properties"]
        for field, subschema in properties.items():
            twin = "".join(f"_{c.lower()}" if c.isupper() else c for c in field)
            assert properties.get(twin) == subschema, f"{name}.{field} has no snake_case twin {twin}"
