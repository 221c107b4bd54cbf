"""The batch importer's rules within one line: empty objects (each tool's own remedy), nesting depth (a note),
top-level column names."""

from __future__ import annotations

import json
from typing import Any

import pytest

from airflow_batch_gemini.fieldnames import snake_case
from airflow_batch_gemini.input.importer_rules import EMPTY_TOOLS, empty_object_message
from airflow_batch_gemini.input.line_checks import validate_line
from airflow_batch_gemini.input.problems import MAX_MESSAGE_CHARS
from airflow_batch_gemini.input.scanner import scan_lines
from airflow_batch_gemini.input.schema import load_request_schema
from tests.input_lines import line, messages, text_request

EMPTY = "(the batch importer fails the whole job for this: googleapis/python-genai#2123)"


@pytest.mark.parametrize(
    ("tool", "expected"),
    [
        ("googleSearch", f'is an empty googleSearch tool {EMPTY}; write {{"excludeDomains": null}} instead, which '
                         "asks the same (repair_empty_tools / --repair-empty-tools does it)"),
        ("google_search", f'is an empty google_search tool {EMPTY}; write {{"exclude_domains": null}} instead, '
                          "which asks the same (repair_empty_tools / --repair-empty-tools does it)"),
        ("urlContext", f"is an empty urlContext tool {EMPTY}; UrlContext has no field to give and no workaround is "
                       "known: batch cannot use it; leave it out or send these requests online"),
        ("code_execution", f"is an empty code_execution tool {EMPTY}; ToolCodeExecution has no field to give and no "
                           "workaround is known: batch cannot use it; leave it out or send these requests online"),
        ("googleMaps", f"is an empty googleMaps tool {EMPTY}; give it one of its fields (enableWidget, "
                       "groundingTypes) or leave the tool out"),
        ("retrieval", f"is an empty retrieval tool {EMPTY}; give it its source (vertexAiSearch, vertexRagStore or "
                      "externalApi) or leave the tool out"),
    ],
)
def test_an_empty_tool_says_what_works_in_batch_for_it(tool: str, expected: str) -> None:
    request = text_request(tools=[{"functionDeclarations": [{"name": "f"}]}, {tool: {}}], labels={"team": "a-b"})
    assert messages(line(request)) == [f"line 1: /request/tools/1/{tool}: {expected}"]


def test_another_empty_object_is_to_be_left_out() -> None:
    request = text_request(generationConfig={}, labels={})
    assert messages(line(request)) == [
        f"line 1: /request/generationConfig: is an empty object {EMPTY}; leave it out (an empty message means its "
        "default) or give it a field",
        f"line 1: /request/labels: is an empty object {EMPTY}; leave it out (an empty message means its default) "
        "or give it a field",
    ]


def test_a_tool_name_elsewhere_is_not_a_tool() -> None:
    call = {"functionCall": {"name": "f", "args": {"googleSearch": {}}}}
    [problem] = validate_line(line({"contents": [{"role": "model", "parts": [call]}]}), 1)
    assert problem.pointer == "/request/contents/0/parts/0/functionCall/args/googleSearch"
    assert problem.message.startswith(f"is an empty object {EMPTY}; leave it out")


def _tool_kinds_that_may_be_empty() -> dict[str, tuple[str, ...]]:
    """From the packaged schema: each field of Tool whose message has no required field, with its fields."""
    defs = load_request_schema()["$defs"]
    kinds = {}
    for name, prop in defs["Tool"]["properties"].items():
        target = defs[prop["$ref"].rsplit("/", 1)[1]] if "$ref" in prop else None
        if target is None or target.get("required") or target.get("allOf"):
            continue  # an array (functionDeclarations), or a tool the schema refuses empty
        kinds[name] = tuple(field for field in target["properties"] if "_" not in field)
    return kinds


def test_every_tool_that_may_be_empty_has_its_entry_with_its_fields() -> None:
    kinds = _tool_kinds_that_may_be_empty()
    assert set(kinds) == set(EMPTY_TOOLS)
    for name, fields in kinds.items():
        assert EMPTY_TOOLS[name].fields == fields, name
    assert {name for name, fields in kinds.items() if not fields} == {
        "urlContext", "url_context", "codeExecution", "code_execution"}


@pytest.mark.parametrize("tool", sorted(EMPTY_TOOLS))
def test_every_empty_tool_message_is_short_and_any_repair_is_valid(tool: str) -> None:
    entry = EMPTY_TOOLS[tool]
    assert len(empty_object_message(["request", "tools", 0, tool])) <= MAX_MESSAGE_CHARS
    if entry.repair is not None:
        repaired = json.loads(entry.repair_text(tool) or "")
        assert messages(line(text_request(tools=[{tool: repaired}]))) == []
        assert all(("_" in key) == ("_" in tool) for key in repaired)
        assert set(map(snake_case, repaired)) <= set(map(snake_case, entry.fields))


def test_an_empty_part_is_reported_once() -> None:
    assert messages(line({"contents": [{"role": "user", "parts": [{}]}]})) == [
        "line 1: /request/contents/0/parts/0: needs one of text, inlineData, fileData, functionCall, "
        "functionResponse, executableCode, codeExecutionResult"
    ]


def nested(levels: int) -> dict[str, Any]:
    value: dict[str, Any] = {"leaf": [1]}
    for _ in range(levels - 1):
        value = {"x": [value]}  # arrays add no level
    return value


def test_objects_nested_more_than_15_levels_are_a_note_not_a_problem() -> None:
    # line, request, contents/0, parts/0, functionCall: 5 levels, so "args" may hold 10 more
    call = {"functionCall": {"name": "f", "args": nested(10)}}
    fits = line({"contents": [{"role": "model", "parts": [call]}]})
    call2 = {"functionCall": {"name": "f", "args": nested(11)}}
    deep = line({"contents": [{"role": "model", "parts": [call2]}]})
    assert messages(fits) == [] and messages(deep) == []
    scan = scan_lines([(fits + "\n").encode(), (deep + "\n").encode()])
    assert scan.row_count == 2 and scan.problem_count == 0 and scan.note_count == 1
    [note] = scan.notes
    assert note.line == 2
    assert note.pointer == "/request/contents/0/parts/0/functionCall/args" + "/x/0" * 10
    assert note.message == (
        "nests objects more than 15 levels deep; BigQuery, where the importer loads the input, allows 15 levels "
        "of nested records (Google's batch documentation states no limit); if the job fails at import, nest less "
        "(a JSON string holds any depth)"
    )


@pytest.mark.parametrize("key", ["my-key", "1st", "a.b", "x" * 301, "ключ"])
def test_top_level_keys_must_be_column_names(key: str) -> None:
    [problem] = validate_line(json.dumps({"request": text_request(), key: "v"}), 4)
    assert problem.pointer == f"/{key}"
    assert problem.message == (
        "is not a valid column name; rename it with letters, digits and _, not starting with a digit, at most 300 "
        "characters (the batch importer fails the whole job for this: BigQuery's column-name rules)"
    )


def test_nested_keys_need_not_be_column_names() -> None:
    assert messages(line(text_request(labels={"cost-center": "a"}), _id="x", Key_2="y")) == []
