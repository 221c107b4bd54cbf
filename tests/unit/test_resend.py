"""Which failed rows are sent again, and the line that sends one again."""

from __future__ import annotations

import json

import pytest

from airflow_batch_gemini.output.resend import is_retryable, retry_line
from airflow_batch_gemini.output.row_identity import line_identity, row_identity
from airflow_batch_gemini.output.rows import parse_row_error
from tests.seed import FAILURE_ROW, SUCCESS_ROW

QUOTA = 'Too Many Requests: {"error": {"code": 429, "message": "quota", "status": "RESOURCE_EXHAUSTED"}}'


@pytest.mark.parametrize(
    ("status", "retryable"),
    [
        (QUOTA, True),
        ('Service Unavailable: {"error": {"code": 503, "status": "UNAVAILABLE"}}', True),
        ('{"error": {"code": 504, "status": "DEADLINE_EXCEEDED"}}', True),
        ("Deadline exceeded while waiting for the model", True),
        ('Internal: {"error": {"code": 500, "status": "INTERNAL"}}', True),
        (FAILURE_ROW["status"], False),
        ('{"error": {"code": 404, "status": "NOT_FOUND"}}', False),
        ("Something odd", False),
    ],
)
def test_which_errors_are_retryable(status: str, retryable: bool) -> None:
    assert parse_row_error(status).retryable is retryable
    assert is_retryable({"status": status, "request": {"contents": []}}) is retryable


def test_rows_without_request_or_that_succeeded_are_not_resent() -> None:
    assert not is_retryable({"status": QUOTA})
    assert not is_retryable(SUCCESS_ROW)
    assert not is_retryable("garbage")


def test_a_retry_line_keeps_the_key_and_joins_back_to_the_same_input_row() -> None:
    failed = {"status": QUOTA, "processed_time": "t", "key": "q1", "response": {}, "parsed_error": {},
              "request": {"contents": [{"role": "user", "parts": [{"text": "hi", "file_data": None}]}]}}
    line = retry_line(failed)
    assert json.loads(line) == {"key": "q1", "request": {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}}
    assert line_identity(line) == row_identity(failed)
    unkeyed = {key: value for key, value in failed.items() if key != "key"}
    assert line_identity(retry_line(unkeyed)) == row_identity(unkeyed)
