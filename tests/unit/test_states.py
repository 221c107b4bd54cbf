from __future__ import annotations

import pytest

from airflow_batch_gemini.job.states import JobOutcome, classify_state, job_manifest, job_progress, pick_reusable_job


@pytest.mark.parametrize(
    ("state", "outcome"),
    [
        ("JOB_STATE_SUCCEEDED", JobOutcome.SUCCEEDED),
        ("JOB_STATE_PARTIALLY_SUCCEEDED", JobOutcome.SUCCEEDED),
        ("JOB_STATE_FAILED", JobOutcome.FAILED),
        ("JOB_STATE_CANCELLED", JobOutcome.FAILED),
        ("JOB_STATE_EXPIRED", JobOutcome.FAILED),
        ("JOB_STATE_QUEUED", JobOutcome.WAIT),
        ("JOB_STATE_PENDING", JobOutcome.WAIT),
        ("JOB_STATE_RUNNING", JobOutcome.WAIT),
        ("JOB_STATE_PAUSED", JobOutcome.WAIT),
        ("JOB_STATE_UPDATING", JobOutcome.WAIT),
        ("JOB_STATE_CANCELLING", JobOutcome.WAIT),
        ("RUNNING", JobOutcome.WAIT),
        ("JOB_STATE_UNSPECIFIED", JobOutcome.UNKNOWN),
        ("JOB_STATE_TELEPORTED", JobOutcome.UNKNOWN),
        ("", JobOutcome.UNKNOWN),
    ],
)
def test_every_documented_state_has_an_outcome(state: str, outcome: JobOutcome) -> None:
    assert classify_state(state) is outcome


def test_progress_reads_proto3_json_strings_and_omitted_zeros() -> None:
    progress = job_progress({"state": "JOB_STATE_RUNNING", "completionStats": {"successfulCount": "7"}})
    assert (progress.succeeded, progress.failed, progress.incomplete, progress.total) == (7, 0, 0, 7)
    assert "7 succeeded" in progress.describe()
    assert job_progress({"completionStats": {"incompleteCount": "-1"}}).total == 0


def test_reuse_picks_newest_live_or_succeeded_job_never_a_failed_one() -> None:
    jobs = [
        {"name": "a", "state": "JOB_STATE_FAILED", "createTime": "2026-01-03T00:00:00Z"},
        {"name": "b", "state": "JOB_STATE_RUNNING", "createTime": "2026-01-01T00:00:00Z"},
        {"name": "c", "state": "JOB_STATE_SUCCEEDED", "createTime": "2026-01-02T00:00:00Z"},
        {"name": "d", "state": "JOB_STATE_EXPIRED", "createTime": "2026-01-04T00:00:00Z"},
    ]
    reusable = pick_reusable_job(jobs)
    assert reusable is not None and reusable["name"] == "c"
    assert pick_reusable_job(jobs[:1] + jobs[3:]) is None


def test_manifest_is_small_and_typed() -> None:
    job = {
        "name": "projects/1/locations/us-central1/batchPredictionJobs/123",
        "displayName": "d",
        "model": "publishers/google/models/gemini-2.5-flash",
        "state": "JOB_STATE_FAILED",
        "completionStats": {"successfulCount": "2", "failedCount": "1"},
        "outputInfo": {"gcsOutputDirectory": "gs://b/out/prediction-model-x"},
        "error": {"code": 3, "message": "bad input"},
    }
    manifest = job_manifest(job)
    assert manifest["output_directory"] == "gs://b/out/prediction-model-x"
    assert manifest["completion_stats"] == {"succeeded": 2, "failed": 1, "incomplete": 0}
    assert manifest["error"] == {"code": 3, "message": "bad input"}
