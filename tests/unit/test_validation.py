"""The request schema and the line checks: pure functions, seed input included."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from airflow_batch_gemini.input.validation import (
    LineProblem,
    build_validator,
    json_pointer,
    load_request_schema,
    scan_lines,
    validate_line,
)
from tests.seed import SEED_INPUT

SEED_LINE = SEED_INPUT.read_bytes()


def line(request: dict[str, Any], **extra: Any) -> str:
    return json.dumps({"request": request, **extra})


def messages(raw: bytes | str, number: int = 1, **kwargs: Any) -> list[str]:
    return [str(problem) for problem in validate_line(raw, number, **kwargs)]


def text_request(**fields: Any) -> dict[str, Any]:
    return {"contents": [{"role": "user", "parts": [{"text": "hi"}]}], **fields}


def test_the_packaged_schema_is_a_valid_draft_2020_12_schema() -> None:
    schema = load_request_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)


def test_the_seed_input_line_is_valid() -> None:
    assert validate_line(SEED_LINE, 1) == []
    assert validate_line(SEED_LINE.decode(), 1) == []


def test_the_seed_failure_role_is_reported_with_line_number_and_pointer() -> None:
    bad = line({"contents": [{"role": "tester", "parts": [{"text": "Explain how AI works"}]}]})
    assert messages(bad, 1204) == [
        "line 1,204: /request/contents/0/role: 'tester' is not one of ['user', 'model']"
    ]


def test_problem_fields() -> None:
    [problem] = validate_line(line({"contents": []}), 7)
    assert problem == LineProblem(7, "/request/contents", "[] should be non-empty")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"", "line 3: is blank; every line must hold one request, remove empty lines"),
        (b"  \r\n", "line 3: is blank; every line must hold one request, remove empty lines"),
        (b"\xef\xbb\xbf" + SEED_LINE, (
            "line 3: starts with a byte order mark (BOM); save the file as UTF-8 without BOM"
        )),
        (b'{"request": ', "line 3: is not valid JSON: Expecting value at column 13"),
        (b"\xff{}", "line 3: is not UTF-8 text (byte 1); save the file as UTF-8"),
        (b'{"request": NaN}', "line 3: is not valid JSON: NaN is not allowed in JSON"),
        (b"[1, 2]", 'line 3: must be a JSON object like {"request": {...}}, not array'),
        (b'"text"', 'line 3: must be a JSON object like {"request": {...}}, not str'),
        (b'{"key": "a"}', "line 3: 'request' is a required property"),
        (b'{"request": {}}', "line 3: /request: 'contents' is a required property"),
    ],
)
def test_lines_that_are_not_requests(raw: bytes, expected: str) -> None:
    assert messages(raw, 3) == [expected]


def test_a_trailing_line_break_is_fine_in_both_conventions() -> None:
    assert validate_line(SEED_LINE.rstrip(b"\n") + b"\r\n", 1) == []
    assert validate_line(SEED_LINE.rstrip(b"\n"), 1) == []


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


def test_long_values_are_shortened_in_messages() -> None:
    [problem] = validate_line(line({"contents": "x" * 5000}), 1)
    assert len(problem.message) <= 300 and problem.message.endswith("...)")


@pytest.mark.parametrize(
    ("path", "pointer"),
    [([], ""), (["request", "contents", 0], "/request/contents/0"), (["a/b", "m~n"], "/a~1b/m~0n")],
)
def test_json_pointer(path: list[Any], pointer: str) -> None:
    assert json_pointer(path) == pointer


def test_scan_counts_valid_lines_and_keeps_the_first_problems() -> None:
    good = SEED_LINE
    bad = (line({"contents": [{"role": "bot", "parts": [{"text": "x"}]}]}) + "\n").encode()
    lines = [good, bad, b"\n", good, bad, bad]
    scan = scan_lines(lines, max_problems=2)
    assert scan.row_count == 2
    assert set(scan.invalid_lines) == {2, 3, 5, 6}
    assert scan.problem_count == 4
    assert [str(p).split(":")[0] for p in scan.problems] == ["line 2", "line 3"]
    assert scan.size_bytes == 2 * len(good) and scan.line_count == 6


@given(st.binary(max_size=200))
def test_any_bytes_give_a_list_of_problems_never_an_exception(raw: bytes) -> None:
    problems = validate_line(raw, 9)
    assert all(problem.line == 9 for problem in problems)


@given(st.text(max_size=100), st.sampled_from(["user", "model"]), st.floats(0, 2), st.integers(1, 10**6))
def test_well_formed_requests_are_valid(text: str, role: str, temperature: float, tokens: int) -> None:
    request = {"contents": [{"role": role, "parts": [{"text": text}]}],
               "generationConfig": {"temperature": temperature, "maxOutputTokens": tokens}}
    assert validate_line(json.dumps({"request": request}), 1) == []


IMPORTER = "(the batch importer fails the whole job for this)"


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


def test_a_top_level_key_must_keep_its_type_across_lines() -> None:
    lines = [
        (line(text_request(), key="a1") + "\n").encode(),
        (line(text_request(), key=None) + "\n").encode(),
        (line(text_request(), key=2) + "\n").encode(),
        (line(text_request(), key="a3", score=1.5) + "\n").encode(),
        (line(text_request(), key="a4", score=2) + "\n").encode(),
        (line(text_request(), key="a5", score="high") + "\n").encode(),
    ]
    scan = scan_lines(lines)
    assert [str(problem) for problem in scan.problems] == [
        "line 3: /key: is a number here but a string on line 1; every line must give a top-level key the same "
        f"type {IMPORTER}",
        "line 6: /score: is a string here but a number on line 4; every line must give a top-level key the same "
        f"type {IMPORTER}",
    ]
    assert set(scan.invalid_lines) == {3, 6} and scan.row_count == 4


def test_numeric_looking_key_values_are_noted_for_a_warning() -> None:
    values = ["00123", "a7", "4.5e3", " 12 ", "-7", "12a"]
    scan = scan_lines([(line(text_request(), key=value) + "\n").encode() for value in values])
    assert scan.problems == [] and scan.row_count == len(values)
    assert scan.columns.numeric_strings == {"key": (1, 4)}
    [warning] = scan.columns.warnings()
    assert warning.startswith("'key' holds numeric-looking strings on 4 line(s), the first on line 1")
    assert "prefix them with a letter" in warning


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


def test_an_extra_schema_is_applied_in_scans_by_the_fast_path() -> None:
    validator = build_validator({"required": ["key"]})
    scan = scan_lines([SEED_LINE, (line(text_request(), key="a") + "\n").encode()], validator)
    assert [str(problem) for problem in scan.problems] == ["line 1: 'key' is a required property"]
    assert scan.row_count == 1


def test_rows_are_planned_into_files_within_the_limits() -> None:
    lines = [(line(text_request(), key=f"k{i}") + "\n").encode() for i in range(7)]
    scan = scan_lines([*lines[:3], b"\n", *lines[3:]], max_rows_per_file=3)
    assert [(shard.first_line, shard.last_line, shard.row_count) for shard in scan.shards] == [
        (1, 3, 3), (5, 7, 3), (8, 8, 1)]
    assert scan.shards[1].digest.size == sum(map(len, lines[3:6]))
    by_bytes = scan_lines(lines, max_bytes_per_file=2 * len(lines[0]))
    assert [shard.row_count for shard in by_bytes.shards] == [2, 2, 2, 1]


def test_row_keys_are_added_where_missing_and_stable() -> None:
    from airflow_batch_gemini.input.validation import parse_fast, with_row_key

    raw = b' {"request": {"contents": []}}\n'
    value = parse_fast(raw)
    keyed = with_row_key(raw, value, 1204, "key")
    assert keyed == b'{"key":"r00001204","request": {"contents": []}}\n'
    assert value["key"] == "r00001204" and json.loads(keyed) == value
    assert with_row_key(keyed, parse_fast(keyed), 7, "key") == keyed, "a line with a key keeps it"
    assert with_row_key(b"{}", {}, 1, "key") == b"{}" and with_row_key(b"[1]", [1], 1, "key") == b"[1]"
    scan = scan_lines([SEED_LINE, SEED_LINE], row_key_field="key")
    assert scan.row_count == 2 and scan.size_bytes == 2 * len(SEED_LINE) + 2 * len('"key":"r00000001",')


def test_rejected_lines_are_recorded_with_every_problem() -> None:
    rejects: list[bytes] = []
    bad = (line({"contents": [{"role": "bot", "parts": [{"text": 1}]}]}) + "\n").encode()
    scan_lines([SEED_LINE, bad, b"\xff\n"], max_problems=0, on_reject=rejects.append)
    first, second = (json.loads(record) for record in rejects)
    assert first["line"] == 2 and [p["pointer"] for p in first["problems"]] == [
        "/request/contents/0/parts/0/text", "/request/contents/0/role"]
    assert first["original"] == bad.decode().rstrip("\n") and first["error"].startswith("line 2: ")
    assert second == {"line": 3, "problems": [{"pointer": "", "message": "is not UTF-8 text (byte 1); save the file "
                                                                         "as UTF-8"}],
                      "error": "line 3: is not UTF-8 text (byte 1); save the file as UTF-8", "original_base64": "/w=="}
