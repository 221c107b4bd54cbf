"""Reconciliation, retry planning and round merging: the pure parts, tested directly."""

from __future__ import annotations

import json

import pytest

from airflow_batch_gemini.output.reconcile import (
    Claim,
    RowLedger,
    Tally,
    annotate_failure,
    disagreements,
    final_sources,
    is_retryable,
    line_identity,
    merge_rounds,
    normalise,
    policy_violation,
    retry_line,
    row_identity,
    summary_table,
)
from airflow_batch_gemini.output.rows import classify_row, parse_line, parse_row_error
from tests.seed import FAILURE_ROW, SEED_INPUT, SUCCESS_ROW

QUOTA = 'Too Many Requests: {"error": {"code": 429, "message": "quota", "status": "RESOURCE_EXHAUSTED"}}'


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


def test_the_ledger_tells_matched_duplicate_and_unexpected_rows() -> None:
    ledger = RowLedger()
    for key in ("a", "b", "b"):
        ledger.expect(row_identity({"key": key}))
    assert (ledger.rows, ledger.outstanding) == (3, 3)
    claims = [ledger.claim(row_identity({"key": key})) for key in ("a", "a", "b", "z")]
    assert claims == [Claim.MATCHED, Claim.DUPLICATE, Claim.MATCHED, Claim.UNEXPECTED]
    assert ledger.outstanding == 1, "one of the two b rows is still missing"


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


def test_disagreements_with_completion_stats_are_named() -> None:
    tally = Tally()
    for row in (SUCCESS_ROW, SUCCESS_ROW, FAILURE_ROW):
        tally.add(classify_row(row))
    assert disagreements(tally, 0, {"succeeded": 2, "failed": 1, "incomplete": 0}) == []
    found = disagreements(tally, 1, {"succeeded": 3, "failed": 1, "incomplete": 0})
    assert found == ["completionStats reports 3 succeeded row(s), the output holds 2",
                     "1 input row(s) have no output row (completionStats incomplete: 0)"]


def round_zero() -> dict:
    return {"job_name": "j0", "input_rows": 10, "reconciled": True, "succeeded": 6, "failed": 4, "missing": 0,
            "succeeded_uri": "gs://b/s/succeeded.jsonl", "failed_uri": "gs://b/s/failed.jsonl",
            "missing_uri": "gs://b/s/missing.jsonl", "failures_by_status": {"RESOURCE_EXHAUSTED": 3,
                                                                            "INVALID_ARGUMENT": 1},
            "failures_by_code": {"429": 3, "400": 1}, "token_usage": {"total_tokens": 60},
            "model_versions": {"m@default": 6}}


def round_one() -> dict:
    return {"round": 1, "job_name": "j1", "input_rows": 3, "kept_failed": 1, "succeeded": 2, "failed": 1,
            "missing": 0, "kept_failed_uri": "gs://b/f/rounds/1/kept_failed.jsonl",
            "kept_failures_by_status": {"INVALID_ARGUMENT": 1}, "kept_failures_by_code": {"400": 1},
            "succeeded_uri": "gs://b/f/rounds/1/results/succeeded.jsonl",
            "failed_uri": "gs://b/f/rounds/1/results/failed.jsonl",
            "missing_uri": "gs://b/f/rounds/1/results/missing.jsonl",
            "failures_by_status": {"RESOURCE_EXHAUSTED": 1}, "failures_by_code": {"429": 1},
            "token_usage": {"total_tokens": 20}, "model_versions": {"m@default": 2}}


def test_rounds_merge_into_one_manifest_that_adds_up() -> None:
    merged = merge_rounds([round_zero(), round_one()])
    assert (merged["succeeded"], merged["failed"], merged["missing"], merged["input_rows"]) == (8, 2, 0, 10)
    assert merged["failures_by_status"] == {"INVALID_ARGUMENT": 1, "RESOURCE_EXHAUSTED": 1}
    assert merged["token_usage"] == {"total_tokens": 80} and merged["model_versions"] == {"m@default": 8}
    assert [item["resubmitted"] for item in merged["round_summaries"]] == [3, 0]
    assert merged["job_names"] == ["j0", "j1"] and merged["rounds"] == 1 and merged["disagreements"] == []
    assert final_sources([round_zero(), round_one()]) == {
        "succeeded_uri": ["gs://b/s/succeeded.jsonl", "gs://b/f/rounds/1/results/succeeded.jsonl"],
        "failed_uri": ["gs://b/f/rounds/1/kept_failed.jsonl", "gs://b/f/rounds/1/results/failed.jsonl"],
        "missing_uri": ["gs://b/f/rounds/1/results/missing.jsonl"],
    }


def test_rounds_that_do_not_add_up_are_reported() -> None:
    broken = {**round_one(), "succeeded": 1}
    assert merge_rounds([round_zero(), broken])["disagreements"] == [
        "succeeded + failed + missing is 9, the input holds 10 row(s)"]


def test_policy() -> None:
    manifest = {"succeeded": 8, "failed": 1, "missing": 1, "input_rows": 10}
    assert policy_violation(manifest, fail_on_partial=False, max_failure_ratio=None) is None
    assert policy_violation(manifest, fail_on_partial=False, max_failure_ratio=0.2) is None
    assert "more than max_failure_ratio 10.0%" in str(policy_violation(manifest, False, 0.1))
    assert "fail_on_partial" in str(policy_violation(manifest, True, None))
    assert policy_violation({"succeeded": 0, "failed": 0}, True, 0.0) is None


def test_the_summary_table_names_files_failures_and_disagreements() -> None:
    table = summary_table({**round_zero(), "disagreements": ["x"]})
    assert "gs://b/s/failed.jsonl" in table and "RESOURCE_EXHAUSTED" in table and "DISAGREEMENT: x" in table


@pytest.mark.parametrize("raw", [
    b'{"status": "Internal error", "response": {"score": NaN}, "key": "a"}\n',
    b'{"status": "Internal error", "seed": 123456789012345678901234567890, "key": "\xc3\xa9"}\n',
    b'{"status": "Internal error", "key": "plain"}',
])
def test_an_annotated_failure_keeps_every_value_of_its_row(raw: bytes) -> None:
    row = parse_line(raw)
    outcome = classify_row(row)
    assert outcome.error is not None
    annotated = annotate_failure(raw, row, outcome.error)
    assert annotated.endswith(b"\n") and annotated.count(b"\n") == 1
    again = json.loads(annotated)
    parsed_error = again.pop("parsed_error")
    assert parsed_error == {"code": None, "status": None, "message": "Internal error"}
    assert json.dumps(again, sort_keys=True) == json.dumps(json.loads(raw), sort_keys=True)
    assert line_identity(raw) == row_identity(row)
