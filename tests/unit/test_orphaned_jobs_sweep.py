"""The sweep's thin shell: a cancel that fails is housekeeping, never what fails the sweeping task; and the
submit task checks its location before the sweep calls the location's endpoint."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from airflow_batch_gemini.exceptions import GeminiBatchApiError
from airflow_batch_gemini.job.identity import identity_labels
from airflow_batch_gemini.job.names import InvalidNameError
from airflow_batch_gemini.operators.failures import GeminiBatchPermanentFailure
from airflow_batch_gemini.operators.orphaned_jobs import sweep_orphaned_jobs
from airflow_batch_gemini.operators.submit_job import GeminiBatchSubmitJobOperator

DAG, TASK = "nightly", "submit"


def job(run_id: str, number: int) -> dict[str, Any]:
    return {"name": f"projects/p/locations/us-central1/batchPredictionJobs/{number}", "state": "JOB_STATE_RUNNING",
            "labels": identity_labels(DAG, TASK, run_id, -1, "r0")}


class Hook:
    """Two orphans of finished runs; cancelling the first is refused (403)."""

    def __init__(self) -> None:
        self.cancelled: list[str] = []

    def list_jobs(self, project_id: str | None, filter: str) -> list[dict[str, Any]]:
        return [job("run_a", 1), job("run_b", 2)]

    def cancel_job(self, job_name: str) -> bool:
        if job_name.endswith("/1"):
            raise GeminiBatchApiError(403, "PERMISSION_DENIED", "no aiplatform.batchPredictionJobs.cancel", "cancel")
        self.cancelled.append(job_name)
        return True


class TaskInstance:
    dag_id, task_id, run_id, map_index, try_number = DAG, TASK, "run_c", -1, 1

    def __init__(self) -> None:
        self.asked = 0

    def get_task_states(self, dag_id: str, task_ids: list[str]) -> dict[str, dict[str, str]]:
        self.asked += 1
        return {"run_a": {TASK: "failed"}, "run_b": {TASK: "success"}, "run_c": {TASK: "running"}}


def test_a_cancel_refused_is_warned_about_and_the_other_orphans_are_still_cancelled(
        caplog: pytest.LogCaptureFixture) -> None:
    hook = Hook()
    with caplog.at_level(logging.WARNING):
        orphans = sweep_orphaned_jobs(hook, TaskInstance(), DAG, TASK, "p",  # type: ignore[arg-type]
                                      logging.getLogger("sweep"))
    assert [orphan.job_name for orphan in orphans] == [job("run_a", 1)["name"], job("run_b", 2)["name"]]
    assert hook.cancelled == [job("run_b", 2)["name"]]
    assert "could not be cancelled" in caplog.text and "403 PERMISSION_DENIED" in caplog.text


def test_a_malformed_location_fails_fast_before_the_sweep_calls_its_endpoint() -> None:
    operator = GeminiBatchSubmitJobOperator(task_id=TASK, input_uris="gs://b/in.jsonl", output_uri_prefix="gs://b/out",
                                            location="Moon Base/1")
    ti = TaskInstance()
    with pytest.raises(GeminiBatchPermanentFailure) as info:
        operator.execute({"ti": ti})  # type: ignore[typeddict-item]
    assert isinstance(info.value.__cause__, InvalidNameError) and ti.asked == 0
