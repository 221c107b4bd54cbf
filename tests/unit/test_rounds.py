"""A resubmission round's files, and what it resends, against an in-memory row source and result sink."""

from __future__ import annotations

import json

import pytest

from airflow_batch_gemini.exceptions import GeminiBatchConfigurationError
from airflow_batch_gemini.output.rounds import MAX_ROUNDS, check_max_rounds, prepare_round, round_layout
from airflow_batch_gemini.package_files import INPUT_KIND, RESULT_KIND
from tests.memory_rows import MemoryRows, lines
from tests.seed import FAILURE_ROW

QUOTA = 'Too Many Requests: {"error": {"code": 429, "message": "quota", "status": "RESOURCE_EXHAUSTED"}}'


def test_a_round_keeps_its_files_under_rounds_n() -> None:
    assert round_layout("gs://b/final/", 2) == {
        "input_uri": "gs://b/final/rounds/2/input.jsonl",
        "kept_failed_uri": "gs://b/final/rounds/2/kept_failed.jsonl",
        "output_prefix": "gs://b/final/rounds/2/output",
        "results_prefix": "gs://b/final/rounds/2/results",
    }


def test_retryable_failures_and_missing_rows_are_resent_the_others_kept() -> None:
    quota = {"status": QUOTA, "key": "q", "request": {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]},
             "parsed_error": {}}
    invalid = {**FAILURE_ROW, "key": "i"}
    rows = MemoryRows({"gs://b/s/failed.jsonl": lines(quota, invalid) + b"\n",
                       "gs://b/s/missing.jsonl": lines({"key": "m", "request": {}}).rstrip(b"\n")})
    previous = {"failed_uri": "gs://b/s/failed.jsonl", "missing_uri": "gs://b/s/missing.jsonl", "missing": 1}
    pending = prepare_round(rows, rows, previous, 1, "gs://b/f")
    assert pending == {**round_layout("gs://b/f", 1), "round": 1, "input_rows": 2, "kept_failed": 1,
                       "kept_failures_by_status": {"INVALID_ARGUMENT": 1}, "kept_failures_by_code": {"400": 1}}
    assert list(pending)[:2] == ["round", "input_uri"]
    assert rows.rows(pending["input_uri"]) == [
        {"key": "q", "request": {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}},
        {"key": "m", "request": {}},
    ]
    assert [json.loads(line)["key"] for line in rows.parts[pending["kept_failed_uri"]].splitlines()] == ["i"]
    assert rows.kinds == {pending["input_uri"]: INPUT_KIND, pending["kept_failed_uri"]: RESULT_KIND}, (
        "a job may read the round's input, never the failures it keeps")


def test_missing_rows_are_not_read_when_there_are_none() -> None:
    rows = MemoryRows({"gs://b/s/failed.jsonl": b""})
    previous = {"failed_uri": "gs://b/s/failed.jsonl", "missing_uri": "gs://b/s/missing.jsonl", "missing": 0}
    assert prepare_round(rows, rows, previous, 1, "gs://b/f")["input_rows"] == 0
    assert rows.reads == ["gs://b/s/failed.jsonl"]


@pytest.mark.parametrize("max_rounds", [0, 2, MAX_ROUNDS])
def test_max_rounds_within_bounds_is_kept(max_rounds: int) -> None:
    assert check_max_rounds(max_rounds) == max_rounds


@pytest.mark.parametrize("max_rounds", [-1, MAX_ROUNDS + 1, 1000, 1.5, True, "2"])
def test_max_rounds_out_of_bounds_is_a_configuration_error(max_rounds) -> None:
    with pytest.raises(GeminiBatchConfigurationError, match=rf"max_rounds is {max_rounds!r}.*from 0 \(only merge\)"):
        check_max_rounds(max_rounds)
