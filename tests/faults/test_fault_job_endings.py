"""Jobs that end badly or oddly: FAILED, EXPIRED, CANCELLED, PAUSED then resumed, PARTIALLY_SUCCEEDED.

A failed ending must raise the typed error with the job's error, and the rows the job finished
before it stopped must all be in its output; a paused job must keep the trigger waiting until it
resumes; a partial success is a success whose failed rows are split out, none lost.
"""

from __future__ import annotations

import pytest

from airflow_batch_gemini.exceptions import GeminiBatchJobFailedError
from airflow_batch_gemini.hooks.batch_prediction import GeminiBatchHook
from airflow_batch_gemini.job.states import job_progress
from airflow_batch_gemini.links.batch_job import JOB_NAME_KEY
from tests.failfast import raises_typed
from tests.faults.helpers import account, case_context, jobs_created, split_output, submit_operator, upload_input
from tests.faults.scoreboard import FaultRecord
from tests.taskrun import TaskDeferred, run_task, wait_through_pause

pytestmark = pytest.mark.usefixtures("google_connection")


@pytest.mark.parametrize(
    ("outcome", "state"),
    [("failed", "JOB_STATE_FAILED"), ("expired", "JOB_STATE_EXPIRED"), ("cancelled", "JOB_STATE_CANCELLED")],
)
def test_failed_ending_raises_and_keeps_finished_rows(fault: FaultRecord, upload_lines, outcome: str,
                                                      state: str) -> None:
    input_uri, keys = upload_input(upload_lines, fault, rows=20)
    context = case_context(fault)
    fault.injected += 1
    with raises_typed(GeminiBatchJobFailedError) as info:
        run_task(submit_operator(fault, input_uri, {"emulator-outcome": outcome}), context)
    fault.jobs(logical=1, created=jobs_created(fault))
    assert info.value.state == state
    assert fault.duplicate_jobs == 0
    if outcome != "expired":
        assert info.value.error.get("code"), "FAILED and CANCELLED carry the job's error"
    job = GeminiBatchHook().get_job(context["ti"].xcoms[JOB_NAME_KEY])
    progress = job_progress(job)
    finished = progress.succeeded + progress.failed
    if outcome == "expired":
        assert finished == 0, "an expired job never ran"
        return
    assert 0 < finished < len(keys), "the job stopped midway"
    _, found = split_output(fault, job["outputInfo"]["gcsOutputDirectory"])
    fault.finished_rows(finished, keys, found)
    assert fault.rows_lost == 0 and len(found) == finished


def test_paused_then_resumed(fault: FaultRecord, upload_lines, emulator) -> None:
    input_uri, keys = upload_input(upload_lines, fault, rows=20)
    context = case_context(fault)
    operator = submit_operator(fault, input_uri, {"emulator-outcome": "paused"})
    with pytest.raises(TaskDeferred) as deferred:
        operator.execute(context)
    job_name = context["ti"].xcoms[JOB_NAME_KEY]

    fault.injected += 1
    event = wait_through_pause(deferred.value.trigger, job_name, emulator.resume, hold=0.5)
    manifest = operator.execute_complete(context, event)
    fault.jobs(logical=1, created=jobs_created(fault))
    assert manifest["state"] == "JOB_STATE_SUCCEEDED"
    account(fault, manifest, keys)


def test_partially_succeeded(fault: FaultRecord, upload_lines) -> None:
    input_uri, keys = upload_input(upload_lines, fault, rows=30)
    labels = {"emulator-outcome": "partially-succeeded", "emulator-row-failure": "429-30"}
    fault.injected += 1
    manifest = run_task(submit_operator(fault, input_uri, labels), case_context(fault))
    fault.jobs(logical=1, created=jobs_created(fault))
    assert manifest["state"] == "JOB_STATE_PARTIALLY_SUCCEEDED"
    summary = account(fault, manifest, keys)
    assert summary["failed"] > len(keys) // 3, "injected 429s come on top of the rejected roles"
    assert summary["failures_by_status"].get("RESOURCE_EXHAUSTED")
