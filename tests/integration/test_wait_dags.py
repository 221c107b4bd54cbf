"""The sensor's task log and the orphan sweep under real ``airflow dags test`` processes on the local stack."""

from __future__ import annotations

import signal
import uuid
from pathlib import Path

import pytest

from airflow_batch_gemini.hooks.batch_prediction import GeminiBatchHook
from airflow_batch_gemini.job.names import console_url
from airflow_batch_gemini.job.spec import build_job_body
from gemini_batch_local.local_stack import LocalStack
from tests.conftest import TEST_BUCKET, request_line
from tests.dag_runs import migrated_home
from tests.watched_runs import (
    CANCELLED_STATES,
    case_jobs,
    run_dag,
    run_id_of,
    running_job,
    set_task_state,
    start_dag,
    task_instances,
    wait_until,
)

pytestmark = pytest.mark.usefixtures("google_connection")
SUBMIT = "submit_and_wait"


@pytest.fixture(scope="module")
def airflow_home(stack: LocalStack, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return migrated_home(stack, tmp_path_factory.mktemp("airflow-home-waits"))


@pytest.mark.parametrize("mode", ["deferred", "sync"])
def test_the_sensor_log_has_one_line_with_the_console_link(stack, airflow_home, upload_lines, mode: str) -> None:
    uri = upload_lines(f"sense/{mode}-{uuid.uuid4().hex[:6]}.jsonl", [request_line("one")])
    body = build_job_body(display_name="sensed", model="publishers/google/models/gemini-2.5-flash", input_uris=[uri],
                          output_uri=f"gs://{TEST_BUCKET}/sense/out", labels={"emulator-run-seconds": "2"})
    name = str(GeminiBatchHook().create_job(body, "local-project")["name"])
    output = run_dag(stack, airflow_home, f"gemini_batch_sense_{mode}", {"job_name": name}, f"sense-{mode}")
    assert "JOB_STATE_SUCCEEDED" in output, output[-4000:]
    lines = [line for line in output.splitlines() if console_url(name) in line]
    assert len(lines) == 1, "\n".join(lines) or output[-4000:]
    assert f"Waiting for batch job {name}: " in lines[0]


def abandon_a_deferred_task(stack: LocalStack, home: Path, case: str, uri: str) -> tuple[str, dict]:
    """Start a run whose task defers, then kill the process outright (no handler runs, as when a triggerer
    drops a trigger before Airflow 3.3): the job runs on. Return the run id and the job."""
    run = start_dag(stack, home, "gemini_batch_wait_deferred", {"input_uri": uri, "case": case, "run_seconds": "300"},
                    case)
    job = wait_until(lambda: running_job(case), 120, "the job to run")
    wait_until(lambda: "running trigger in line" in run.output(), 60, "the trigger to run")
    run.send(signal.SIGKILL)
    run.wait(timeout=30)
    run_id = run_id_of(run.output())
    assert task_instances(home, "gemini_batch_wait_deferred", SUBMIT)[run_id] != "success"
    return run_id, job


def test_the_sweeper_cancels_an_orphaned_job_and_leaves_a_waiting_tasks_job(stack, airflow_home, upload_lines) -> None:
    uri = upload_lines(f"sweep/{uuid.uuid4().hex[:6]}.jsonl", [request_line("one"), request_line("two")])
    orphan_case, waiting_case = f"orphan-{uuid.uuid4().hex[:6]}", f"waiting-{uuid.uuid4().hex[:6]}"
    orphan_run, orphan = abandon_a_deferred_task(stack, airflow_home, orphan_case, uri)
    waiting_run, waiting = abandon_a_deferred_task(stack, airflow_home, waiting_case, uri)
    set_task_state(airflow_home, "gemini_batch_wait_deferred", SUBMIT, orphan_run, "failed")  # marked failed
    set_task_state(airflow_home, "gemini_batch_wait_deferred", SUBMIT, waiting_run, "deferred")  # still waits

    output = run_dag(stack, airflow_home, "gemini_batch_sweeper", {"target_dag_id": "gemini_batch_wait_deferred"},
                     "sweeper")
    hook = GeminiBatchHook()
    try:
        assert hook.get_job(orphan["name"])["state"] in CANCELLED_STATES, output[-4000:]
        assert hook.get_job(waiting["name"])["state"] == "JOB_STATE_RUNNING"
        assert f"its task instance of {orphan_run} is failed" in output
        assert "1 orphaned job(s) of submit_and_wait in gemini_batch_wait_deferred cancelled" in output
        assert [job["name"] for job in case_jobs(orphan_case) + case_jobs(waiting_case)] == [
            orphan["name"], waiting["name"]]
    finally:
        hook.cancel_job(waiting["name"])
