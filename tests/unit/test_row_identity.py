"""How output rows join their input lines: by key, else by the normalised request's hash."""

from __future__ import annotations

import pytest

from airflow_batch_gemini.exceptions import GeminiBatchConfigurationError
from airflow_batch_gemini.output.row_identity import (
    key_field_names,
    line_identity,
    normalise,
    read_row_key,
    row_identity,
)
from tests.seed import SEED_INPUT, SUCCESS_ROW


def test_the_seed_success_row_joins_its_input_line_by_request_hash() -> None:
    """The seed success row echoes the seed input's contents with explicit nulls (it leaves out the
    generation config, given here in snake_case): the normalised hashes match."""
    line = SEED_INPUT.read_bytes().splitlines()[0]
    config = {"temperature": 0.9, "top_p": 1, "max_output_tokens": 256, "top_k": None}
    echoed = {**SUCCESS_ROW, "request": {**SUCCESS_ROW["request"], "generation_config": config}}
    assert line_identity(line) == row_identity(echoed)
    assert line_identity(line) != row_identity(SUCCESS_ROW)


def test_snake_case_and_nulls_are_normalised() -> None:
    assert normalise({"generation_config": {"max_output_tokens": 5, "top_p": None}, "x": [{"file_data": None}]}) == {
        "generationConfig": {"maxOutputTokens": 5}, "x": [{}]}


def test_keys_win_over_requests_and_numbers_match_numeric_strings() -> None:
    assert row_identity({"key": "a1", "request": {"x": 1}}) == row_identity({"key": "a1", "request": {"y": 2}})
    assert row_identity({"id": "7"}) == row_identity({"id": 7})
    assert row_identity({"key": "a1"}) != row_identity({"key": "a2"})
    assert line_identity(b"not json") == line_identity(b"not json\n")


def test_the_row_key_is_the_first_key_field_with_a_string_or_a_number() -> None:
    assert read_row_key({"key": "", "id": 7}) == "7"
    assert read_row_key({"key": True, "id": None}) is None
    assert read_row_key({"name": "x"}, key_fields=("name",)) == "x"


def test_key_fields_are_one_name_or_several() -> None:
    assert key_field_names(["key", "id"]) == ("key", "id")
    assert key_field_names("custom_id") == ("custom_id",), "one name, not its letters"
    assert key_field_names(("row-id", "_k2")) == ("row-id", "_k2")


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ([], "key_fields is empty"),
        ("", "key_fields holds '', which is not a field name"),
        (["key", "a key"], "key_fields holds 'a key', which is not a field name"),
        ([7], "key_fields holds 7, which is not a field name"),
        (["status"], "key_fields holds 'status', a field the service writes"),
        (("id", "request"), "key_fields holds 'request', a field the service writes"),
    ],
)
def test_key_fields_that_name_no_input_field_are_a_configuration_error(given, message: str) -> None:
    with pytest.raises(GeminiBatchConfigurationError, match=message):
        key_field_names(given)
