"""Which jobs a sweep cancels: only unfinished jobs of a finished instance of the very task swept."""

from __future__ import annotations

import pytest

from airflow_batch_gemini.job.identity import identity_labels
from airflow_batch_gemini.job.sweep import (
    TaskInstanceState,
    orphaned_jobs,
    task_instance_states,
    unfinished_jobs_filter,
)

DAG, TASK = "nightly.batch", "submit"


def job(run_id: str, state: str = "JOB_STATE_RUNNING", map_index: int = -1, dag: str = DAG, task: str = TASK) -> dict:
    labels = identity_labels(dag, task, run_id, map_index, "r0")
    return {"name": f"projects/1/locations/l/batchPredictionJobs/{abs(hash((run_id, map_index, dag, task)))}",
            "state": state, "labels": labels}


def names(jobs: list[dict]) -> set[str]:
    return {str(j["name"]) for j in jobs}


def orphan_names(jobs: list[dict], states: list[TaskInstanceState]) -> set[str]:
    return {orphan.job_name for orphan in orphaned_jobs(jobs, DAG, TASK, states)}


@pytest.mark.parametrize("finished", ["success", "failed", "skipped", "upstream_failed", "removed"])
def test_the_job_of_a_finished_instance_is_orphaned(finished: str) -> None:
    orphan = job("run_a")
    (found,) = orphaned_jobs([orphan], DAG, TASK, [TaskInstanceState("run_a", -1, finished)])
    assert (found.job_name, found.task_state, found.run_id) == (orphan["name"], finished, "run_a")
    assert "run_a is " + finished in found.describe()


@pytest.mark.parametrize(
    "active", ["running", "deferred", "queued", "scheduled", "up_for_retry", "up_for_reschedule", "restarting",
               "awaiting_input", None],
)
def test_the_job_of_a_running_deferred_waiting_or_cleared_instance_is_left_alone(active: str | None) -> None:
    assert orphaned_jobs([job("run_a")], DAG, TASK, [TaskInstanceState("run_a", -1, active)]) == []


@pytest.mark.parametrize("state", ["JOB_STATE_CANCELLING", "JOB_STATE_SUCCEEDED", "JOB_STATE_FAILED"])
def test_a_job_already_ending_is_not_cancelled_again(state: str) -> None:
    assert orphaned_jobs([job("run_a", state)], DAG, TASK, [TaskInstanceState("run_a", -1, "failed")]) == []


def test_another_tasks_or_dags_job_is_never_touched_even_with_the_same_run() -> None:
    other_task, other_dag = job("run_a", task="split"), job("run_a", dag="nightly-batch")
    twin = {**other_dag, "labels": {**other_dag["labels"], "airflow_dag": job("run_a")["labels"]["airflow_dag"]}}
    finished = [TaskInstanceState("run_a", -1, "failed")]
    assert orphaned_jobs([other_task, other_dag, twin], DAG, TASK, finished) == []


def test_a_job_no_instance_owns_is_left_alone() -> None:
    jobs = [job("deleted_run"), {"name": "n", "state": "JOB_STATE_RUNNING", "labels": {}}]
    assert orphaned_jobs(jobs, DAG, TASK, [TaskInstanceState("run_a", -1, "failed")]) == []


def test_mapped_instances_are_told_apart_by_map_index() -> None:
    jobs = [job("run_a", map_index=0), job("run_a", map_index=1), job("run_a", map_index=2)]
    states = task_instance_states(TASK, {"run_a": {"submit_0": "failed", "submit_1": "running", "submit_2": "success",
                                                   "submit_x": "failed", "other_0": "failed"}})
    assert sorted((ti.map_index, ti.state) for ti in states) == [(0, "failed"), (1, "running"), (2, "success")]
    assert orphan_names(jobs, states) == names([jobs[0], jobs[2]])


def test_task_states_of_several_runs_are_read_per_run() -> None:
    states = task_instance_states(TASK, {"run_a": {"submit": "failed"}, "run_b": {"submit": None},
                                         "run_c": {"submitter": "failed"}})
    assert sorted(states, key=lambda ti: ti.run_id) == [
        TaskInstanceState("run_a", -1, "failed"), TaskInstanceState("run_b", -1, None)]


def test_the_list_filter_asks_for_this_tasks_waiting_jobs_only() -> None:
    text = unfinished_jobs_filter(DAG, TASK)
    assert text.startswith('labels.airflow_dag="nightly-batch" AND labels.airflow_task="submit" AND (')
    assert 'state="JOB_STATE_RUNNING"' in text and 'state="JOB_STATE_PAUSED"' in text
    assert "CANCELLING" not in text and "SUCCEEDED" not in text
