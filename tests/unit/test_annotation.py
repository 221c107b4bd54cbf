"""A failed row with its parsed error added, every other value kept."""

from __future__ import annotations

import json

import pytest

from airflow_batch_gemini.output.annotation import annotate_failure
from airflow_batch_gemini.output.row_identity import line_identity, row_identity
from airflow_batch_gemini.output.rows import classify_row, parse_row


@pytest.mark.parametrize("raw", [
    b'{"status": "Internal error", "response": {"score": NaN}, "key": "a"}\n',
    b'{"status": "Internal error", "seed": 123456789012345678901234567890, "key": "\xc3\xa9"}\n',
    b'{"status": "Internal error", "key": "plain"}',
])
def test_an_annotated_failure_keeps_every_value_of_its_row(raw: bytes) -> None:
    row = parse_row(raw)
    outcome = classify_row(row)
    assert outcome.error is not None
    annotated = annotate_failure(raw, row, outcome.error)
    assert annotated.endswith(b"\n") and annotated.count(b"\n") == 1
    again = json.loads(annotated)
    parsed_error = again.pop("parsed_error")
    assert parsed_error == {"code": None, "status": None, "message": "Internal error"}
    assert json.dumps(again, sort_keys=True) == json.dumps(json.loads(raw), sort_keys=True)
    assert line_identity(raw) == row_identity(row)


def test_a_line_that_is_no_object_stays_as_it_is() -> None:
    error = classify_row(None).error
    assert error is not None
    assert annotate_failure(b"not json", None, error) == b"not json\n"
    assert annotate_failure(b"[1]\n", [1], error) == b"[1]\n"
