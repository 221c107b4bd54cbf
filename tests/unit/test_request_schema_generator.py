"""gemini_batch_local.request_schema: the committed schema is what the generator makes; its pieces
(statement readers, the words check, the v1/v1beta1 merge, numeric-string bounds) each with examples."""

from __future__ import annotations

import copy
import difflib
import re
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from gemini_batch_local.request_schema import proto_json
from gemini_batch_local.request_schema.__main__ import DEFAULT_PATH, render
from gemini_batch_local.request_schema.discovery import load_documents, merged_messages
from gemini_batch_local.request_schema.generate import message_schema, request_schema
from gemini_batch_local.request_schema.proto_json import bounded_string
from gemini_batch_local.request_schema.statements import (
    check_words,
    is_required,
    stated_exclusions,
    stated_range,
)
from tests.paths import REPO


def test_the_committed_schema_is_what_the_generator_makes() -> None:
    committed = (REPO / DEFAULT_PATH).read_text("utf-8")
    made = render()
    if committed != made:
        diff = "".join(list(difflib.unified_diff(committed.splitlines(True), made.splitlines(True),
                                                 "committed", "generated", n=1))[:40])
        pytest.fail(f"the committed request schema differs from the generator's; regenerate with `make schema`\n"
                    f"{diff}")


@pytest.mark.parametrize(
    ("description", "bounds"),
    [
        ("Optional. The valid range is (0.0, 2.0].", {"exclusiveMinimum": 0, "maximum": 2}),
        ("Valid values can range from [-2.0, 2.0].", {"minimum": -2, "maximum": 2}),
        ("It must be in the range [-90.0, +90.0].", {"minimum": -90, "maximum": 90}),
        ("The valid range is [0, 1).", {"minimum": 0, "exclusiveMaximum": 1}),
        ("The valid range is (0.5, 1.5).", {"exclusiveMinimum": 0.5, "exclusiveMaximum": 1.5}),
        ("The maximumm allowed value is 10.", {"maximum": 10}),
        ("Between 0 and 2.", {}),
    ],
)
def test_stated_ranges(description: str, bounds: dict[str, Any]) -> None:
    assert stated_range(description) == bounds


def test_required_is_what_the_description_starts_with() -> None:
    assert is_required("Required. The name.")
    assert not is_required("Optional. Required. only later")
    assert not is_required("Required")


def test_stated_exclusions_name_a_sibling_in_lower_camel() -> None:
    siblings = {"responseSchema": {}, "responseJsonSchema": {}, "voiceConfig": {}}
    assert stated_exclusions("This field is mutually exclusive with `response_schema`.", siblings) == [
        "responseSchema"]
    assert stated_exclusions("If supplied, voice_config must not be supplied.", siblings) == ["voiceConfig"]
    assert stated_exclusions("When this field is set, response_json_schema must be omitted", siblings) == [
        "responseJsonSchema"]
    assert stated_exclusions("Nothing to exclude.", siblings) == []
    with pytest.raises(ValueError, match="'other_field', which is not a sibling field"):
        stated_exclusions("mutually exclusive with `other_field`", siblings)


def test_a_statement_whose_words_vanished_fails_loudly() -> None:
    check_words("Must be either 'user' or 'model'.", "Must be either 'user' or 'model'.", "Content.role")
    with pytest.raises(ValueError, match=r"Content\.role: the description no longer says"):
        check_words("Either 'user', 'model' or 'system'.", "Must be either 'user' or 'model'.", "Content.role")


def test_the_generator_fails_when_googles_words_change() -> None:
    documents = copy.deepcopy(load_documents())
    for version in documents.values():
        role = version["schemas"][f"GoogleCloudAiplatform{version['version'].capitalize()}Content"]
        role["properties"]["role"]["description"] = "The producer of the content."
    with pytest.raises(ValueError, match=r"Content\.role: the description no longer says"):
        request_schema(documents)


def _documents(v1_fields: dict[str, Any], v1beta1_fields: dict[str, Any]) -> dict[str, Any]:
    def document(prefix: str, fields: dict[str, Any], revision: str) -> dict[str, Any]:
        return {"revision": revision, "schemas": {f"{prefix}GenerateContentRequest": {"properties": fields}}}

    return {"v1": document("GoogleCloudAiplatformV1", v1_fields, "1"),
            "v1beta1": document("GoogleCloudAiplatformV1beta1", v1beta1_fields, "2")}


def test_v1beta1_only_fields_and_enum_values_are_marked() -> None:
    mode_v1 = {"type": "string", "enum": ["MODE_UNSPECIFIED", "AUTO"]}
    mode_beta = {"type": "string", "enum": ["MODE_UNSPECIFIED", "AUTO", "VALIDATED"]}
    documents = _documents({"mode": mode_v1}, {"mode": mode_beta, "extra": {"type": "boolean"}})
    [message] = merged_messages(documents).values()
    assert message.versions == {"mode": ["v1", "v1beta1"], "extra": ["v1beta1"]}
    assert message.fields["mode"]["enum"] == ["MODE_UNSPECIFIED", "AUTO", "VALIDATED"]
    assert message.enum_versions["mode"]["VALIDATED"] == ["v1beta1"]
    properties = message_schema(message)["properties"]
    assert properties["extra"]["x-api-versions"] == ["v1beta1"] and "x-api-versions" not in properties["mode"]
    assert properties["mode"]["x-v1-enum"] == ["MODE_UNSPECIFIED", "AUTO"]
    assert properties["mode"]["then"] == {"enum": ["MODE_UNSPECIFIED", "AUTO", "VALIDATED"]}


@pytest.mark.parametrize(
    ("bounds", "integer", "accepted", "refused"),
    [
        ({"minimum": 0, "maximum": 2}, False, ["0", "0.5", "1.999", "2", "2.000"], ["2.01", "3", "-0.1", "NaN", "1e0"]),
        ({"exclusiveMinimum": 0, "maximum": 24}, False, ["0.01", "1", "24", "24.0"], ["0", "0.0", "24.5", "-1"]),
        ({"minimum": -2, "maximum": 2}, False, ["-2", "-1.5", "0", "2"], ["-2.5", "2.5", "-3"]),
        ({"maximum": 10}, True, ["10", "0", "-7", "-123456"], ["11", "1.5", "100"]),
    ],
)
def test_numeric_strings_keep_the_stated_range(bounds: dict[str, Any], integer: bool, accepted: list[str],
                                               refused: list[str]) -> None:
    pattern = re.compile(bounded_string(bounds, integer)["pattern"])
    assert [text for text in accepted if not pattern.search(text)] == []
    assert [text for text in refused if pattern.search(text)] == []


def test_bounds_no_pattern_can_say_fail_loudly() -> None:
    with pytest.raises(ValueError, match="not whole numbers"):
        bounded_string({"minimum": 0.5, "maximum": 1}, integer=False)


@pytest.mark.parametrize(("fmt", "inside", "outside"), [
    ("int32", ["-2147483648", "2147483647", "0", "007", "42"],
     ["2147483648", "-2147483649", "9999999999", "1.0", "+1"]),
    ("uint32", ["0", "4294967295"], ["4294967296", "-1"]),
    ("int64", ["-9223372036854775808", "9223372036854775807"], ["9223372036854775808", "-9223372036854775809"]),
    ("uint64", ["18446744073709551615"], ["18446744073709551616", "-5"]),
])
def test_an_integer_written_as_a_string_holds_its_format_s_range(fmt: str, inside: list[str],
                                                                  outside: list[str]) -> None:
    schema = proto_json.integer(fmt)
    validator = Draft202012Validator(schema)
    assert [value for value in inside if not validator.is_valid(value)] == []
    assert [value for value in outside if validator.is_valid(value)] == []
    low, high = (int(value) for value in (schema["minimum"], schema["maximum"]))
    assert not validator.is_valid(high + 1) and not validator.is_valid(low - 1) and validator.is_valid(high)
