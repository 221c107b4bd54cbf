"""The final results over the rounds: the files that make each final file, the merged manifest."""

from __future__ import annotations

from airflow_batch_gemini.output.merge import (
    final_sources,
    merge_rounds,
    resubmit_manifest,
)
from airflow_batch_gemini.output.results import result_uris
from tests.rounds import round_one, round_zero


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


def test_the_resubmit_manifest_adds_the_round_that_stopped_and_the_final_files() -> None:
    unfinished = {"round": 1, "job_name": "j1", "state": "JOB_STATE_FAILED", "error": "e"}
    stopped = {"round": 2, "job_name": "j2", "state": "JOB_STATE_EXPIRED", "error": "x"}
    finals = result_uris("gs://b/f")
    manifest = resubmit_manifest([round_zero(), {**round_one(), "unfinished": unfinished}], [stopped], finals)
    assert manifest["unfinished_rounds"] == [unfinished, stopped]
    assert {name: manifest[name] for name in finals} == finals
    assert list(manifest)[-3:] == ["succeeded_uri", "failed_uri", "missing_uri"]
