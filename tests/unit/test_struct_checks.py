"""The checks the generated Structs run in Python: base64 without a regular expression, free-form JSON,
repeated parts decoded once, and the generated ``__post_init__``."""

from __future__ import annotations

import re

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from airflow_batch_gemini.input.schema import load_request_schema
from airflow_batch_gemini.input.struct_checks import (
    BASE64_PATTERN,
    JSON_OBJECT,
    RepeatedPart,
    free_form_fits,
    is_base64,
    post_init_source,
)

_PATTERN = re.compile(BASE64_PATTERN)


def test_every_bytes_field_of_the_schema_has_the_pattern_the_fast_check_stands_for() -> None:
    patterns = {prop.get("pattern") for message in load_request_schema()["$defs"].values()
                for prop in message.get("properties", {}).values() if "base64" in prop.get("description", "")}
    assert patterns == {BASE64_PATTERN}


@given(st.text(alphabet="AZaz09+/_-=\n é.", max_size=12))
def test_is_base64_says_what_the_pattern_says(text: str) -> None:
    assert is_base64(text) == (_PATTERN.search(text) is not None)


@pytest.mark.parametrize(("text", "valid"), [
    ("", True), ("aGk=", True), ("aGk", True), ("aGVsbG8", True), ("aGVsbG8=", True), ("aA==", True), ("aA", True),
    ("a", False), ("aGk==", False), ("aA=", False), ("aGVsbG8==", False), ("aG k", False), ("aGk=\n", False),
    ("a=Gk", False), ("-_-_", True), ("é===", False),
])
def test_is_base64_on_the_edges(text: str, valid: bool) -> None:
    assert is_base64(text) is valid
    assert (_PATTERN.search(text) is not None) is valid


@pytest.mark.parametrize(("raw", "budget", "must_be_object", "fits"), [
    (b'{"a": {"b": 1}}', 2, True, True),
    (b'{"a": {"b": 1}}', 1, True, False),
    (b'[1, 2]', 0, False, True),
    (b'[1, 2]', 0, True, False),
    ('{"a": "\u00e9"}'.encode(), 1, True, True),
    (b'{"a": "\xff"}', 1, True, False),
])
def test_free_form_fits(raw: bytes, budget: int, must_be_object: bool, fits: bool) -> None:
    value = msgspec.json.decode(b'{"v": ' + raw + b"}", type=dict[str, msgspec.Raw])["v"]
    assert free_form_fits(value, budget, must_be_object) is fits


class Point(msgspec.Struct, forbid_unknown_fields=True):
    x: int


def raw(text: bytes) -> msgspec.Raw:
    return msgspec.json.decode(b'{"v": ' + text + b"}", type=dict[str, msgspec.Raw])["v"]


def test_a_repeated_part_is_decoded_once_per_distinct_bytes_and_refusals_are_not_kept() -> None:
    part = RepeatedPart(msgspec.json.Decoder(Point), capacity=2)
    assert part.fits(raw(b'{"x": 1}')) and part.fits(raw(b'{"x": 1}'))
    assert part.accepted == {b'{"x": 1}'}
    assert not part.fits(raw(b'{"x": "one"}')) and not part.fits(raw(b'{"x": "one"}'))
    assert not part.fits(raw(b'{"x": 1, "y": 2}'))
    assert part.fits(raw(b'{"x": 2}')) and part.fits(raw(b'{"x": 3}'))
    assert part.accepted == {b'{"x": 1}', b'{"x": 2}'}, "at most capacity values are kept"


def test_the_generated_post_init_refuses_what_each_rule_refuses() -> None:
    source = post_init_source({"a": "a", "b": "b", "c": "c"}, [["a", "b"]], [("requires", "c", ("a", 1))],
                              {"c": JSON_OBJECT}, budget=1)
    scope: dict[str, object] = {"UNSET": msgspec.UNSET, "fits": free_form_fits}
    namespace: dict[str, object] = {}
    exec(source, scope, namespace)
    kind = msgspec.defstruct("Kind", [("a", int | msgspec.UnsetType, msgspec.UNSET),
                                      ("b", int | msgspec.UnsetType, msgspec.UNSET),
                                      ("c", msgspec.Raw | msgspec.UnsetType, msgspec.UNSET)], namespace=namespace)
    decode = msgspec.json.Decoder(kind).decode
    decode(b'{"a": 1, "c": {"d": 1}}')
    decode(b'{"b": 2}')
    for refused in (b'{}', b'{"b": 2, "c": {"d": 1}}', b'{"a": 1, "c": [1]}', b'{"a": 1, "c": {"d": {"e": 1}}}'):
        with pytest.raises(msgspec.ValidationError):
            decode(refused)
