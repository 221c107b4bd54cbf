"""Output rows: success or failure, the error in a failure, token usage; seed rows included."""

from __future__ import annotations

import json

import pytest

from airflow_batch_gemini.output.rows import (
    MISSING_STATUS,
    OTHER_STATUS_TEXT,
    UNREADABLE_ROW,
    RowError,
    TokenUsage,
    classify_line,
    classify_row,
    parse_row_error,
    token_usage,
)
from tests.seed import FAILURE_ROW as FAILURE
from tests.seed import SUCCESS_ROW as SUCCESS

SKIPS_BAD_BRACES = 'Bad Request: {not json} then {"error": {"code": 400, "status": "INVALID_ARGUMENT"}}'


def test_the_seed_success_row() -> None:
    outcome = classify_row(SUCCESS)
    assert outcome.succeeded and outcome.error is None
    assert outcome.usage == TokenUsage(prompt_tokens=29180, candidates_tokens=36, total_tokens=29216)


def test_the_seed_failure_row() -> None:
    outcome = classify_row(FAILURE)
    assert not outcome.succeeded
    assert outcome.error == RowError(
        raw=FAILURE["status"], code=400, status="INVALID_ARGUMENT", message="Please use a valid role: user, model."
    )
    assert outcome.error.category == "INVALID_ARGUMENT"
    assert outcome.usage == TokenUsage()


def test_a_raw_output_line_is_classified_like_its_row() -> None:
    assert classify_line(json.dumps(SUCCESS).encode() + b"\n").succeeded
    assert classify_line(json.dumps(FAILURE).encode()).error.status == "INVALID_ARGUMENT"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("text", "code", "status", "message", "category"),
    [
        ("Internal error encountered.", None, None, "Internal error encountered.", "Internal error encountered."),
        ('{"error": {"code": "429", "message": "Quota"}}', 429, None, "Quota", "CODE_429"),
        ('Too Many Requests: {"code": 429, "status": "RESOURCE_EXHAUSTED", "message": "q"}', 429,
         "RESOURCE_EXHAUSTED", "q", "RESOURCE_EXHAUSTED"),
        (SKIPS_BAD_BRACES, 400, "INVALID_ARGUMENT", SKIPS_BAD_BRACES, "INVALID_ARGUMENT"),
        ("Deadline: [1, 2]", None, None, "Deadline: [1, 2]", OTHER_STATUS_TEXT),
        ("x" * 100 + ": y", None, None, "x" * 100 + ": y", OTHER_STATUS_TEXT),
        ("Service Unavailable: retry", None, None, "Service Unavailable: retry", "Service Unavailable"),
        ('{"error": {"code": 400, "status": "Jane Roe 078-05-1120"}}', 400, "Jane Roe 078-05-1120",
         '{"error": {"code": 400, "status": "Jane Roe 078-05-1120"}}', OTHER_STATUS_TEXT),
        ("Patient Jane Roe, SSN 078-05-1120: bad", None, None, "Patient Jane Roe, SSN 078-05-1120: bad",
         OTHER_STATUS_TEXT),
    ],
)
def test_errors_embedded_in_status_texts(
    text: str, code: int | None, status: str | None, message: str, category: str
) -> None:
    error = parse_row_error(text)
    assert (error.raw, error.code, error.status, error.message, error.category) == (
        text, code, status, message, category
    )


@pytest.mark.parametrize(
    ("line", "category"),
    [(b"not json\n", UNREADABLE_ROW), (b"[1]\n", UNREADABLE_ROW), (b'{"response": {}}\n', MISSING_STATUS)],
)
def test_rows_that_cannot_be_told_successful_are_failures(line: bytes, category: str) -> None:
    outcome = classify_line(line)
    assert not outcome.succeeded and outcome.error is not None and outcome.error.category == category


def test_a_non_string_status_is_a_failure_with_its_json_text() -> None:
    outcome = classify_row({"status": {"code": 13, "status": "INTERNAL"}, "response": {}})
    assert outcome.error is not None and (outcome.error.code, outcome.error.category) == (13, "INTERNAL")


def test_token_usage_in_snake_case_with_string_counts_and_sums() -> None:
    row = {"status": "", "response": {"usage_metadata": {
        "prompt_token_count": "10", "candidates_token_count": 5, "thoughts_token_count": 2,
        "cached_content_token_count": 4, "total_token_count": 17}}}
    usage = token_usage(row)
    assert usage == TokenUsage(10, 5, 2, 4, 17)
    assert (usage + token_usage(SUCCESS)).as_dict() == {
        "prompt_tokens": 29190, "candidates_tokens": 41, "thoughts_tokens": 2, "cached_tokens": 4,
        "total_tokens": 29233,
    }


@pytest.mark.parametrize("response", [None, {}, {"usageMetadata": None}, {"usageMetadata": {"totalTokenCount": "x"}}])
def test_missing_or_odd_usage_counts_as_zero(response: object) -> None:
    assert token_usage({"status": "", "response": response}) == TokenUsage()
