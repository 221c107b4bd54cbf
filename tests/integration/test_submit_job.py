"""The submit operator, trigger, sensor and hooks against the real emulator and fake-gcs-server.

The Airflow task runtime is stood in for by a minimal task instance (ids, XCom, task_state_store);
everything else is the real code: the operator raises ``TaskDeferred``, the test runs the very
trigger it deferred to, and hands the event back to ``execute_complete``. The DAG-level tests in
``test_example_dag.py`` run the same through ``airflow dags test``.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from datetime import timedelta
from typing import Any

import pytest

from airflow_batch_gemini.exceptions import (
    GeminiBatchApiError,
    GeminiBatchError,
    GeminiBatchJobFailedError,
    GeminiBatchTimeoutError,
)
from airflow_batch_gemini.hooks.batch_prediction import GeminiBatchHook
from airflow_batch_gemini.operators.submit_job import JOB_NAME_KEY, GeminiBatchSubmitJobOperator
from airflow_batch_gemini.sensors.batch_job import GeminiBatchJobSensor
from airflow_batch_gemini.triggers.batch_job import GeminiBatchJobTrigger
from tests.conftest import TEST_BUCKET, request_line
from tests.failfast import raises_typed
from tests.taskrun import FakeStateStore, TaskDeferred, new_context, run_task, wait_through_pause

pytestmark = pytest.mark.usefixtures("google_connection")
_runs = itertools.count()


def submit_operator(input_uri: str, **kwargs: Any) -> GeminiBatchSubmitJobOperator:
    kwargs.setdefault("poll_interval", 0.2)
    return GeminiBatchSubmitJobOperator(
        task_id="submit",
        input_uris=input_uri,
        output_uri_prefix=f"gs://{TEST_BUCKET}/out",
        display_name="integration-job",
        **kwargs,
    )


@pytest.fixture
def input_uri(upload_lines) -> str:
    lines = [request_line("hello", key="a1"), request_line("world", key="a2")]
    lines.append({"key": "a3", "request": {"contents": [{"role": "tester", "parts": [{"text": "x"}]}]}})
    return upload_lines(f"in/{next(_runs)}.jsonl", lines)


def test_submit_defers_and_returns_the_manifest(input_uri: str, emulator) -> None:
    creates = emulator.calls("create")
    manifest = run_task(submit_operator(input_uri), new_context())
    assert emulator.calls("create") == creates + 1
    assert manifest["state"] == "JOB_STATE_SUCCEEDED"
    assert manifest["completion_stats"] == {"succeeded": 2, "failed": 1, "incomplete": 0}
    assert manifest["output_directory"].startswith(f"gs://{TEST_BUCKET}/out/prediction-model-")
    assert manifest["model"] == "publishers/google/models/gemini-2.5-flash"


def test_synchronous_wait_gives_the_same_manifest(input_uri: str) -> None:
    manifest = run_task(submit_operator(input_uri, deferrable=False), new_context())
    assert manifest["state"] == "JOB_STATE_SUCCEEDED"
    assert manifest["completion_stats"]["succeeded"] == 2


def test_a_retry_reattaches_through_labels_without_a_second_create(input_uri: str, emulator) -> None:
    run_id = f"manual__retry_{next(_runs)}"
    first_try = new_context(run_id)
    with pytest.raises(TaskDeferred):  # the worker dies after deferring; the job runs on
        submit_operator(input_uri).execute(first_try)
    creates = emulator.calls("create")
    second_try = new_context(run_id)
    manifest = run_task(submit_operator(input_uri), second_try)
    assert emulator.calls("create") == creates
    assert manifest["job_name"] == first_try["ti"].xcoms[JOB_NAME_KEY] == second_try["ti"].xcoms[JOB_NAME_KEY]


def test_a_retry_reattaches_through_task_state_store(input_uri: str, emulator) -> None:
    store = FakeStateStore()
    run_id = f"manual__store_{next(_runs)}"
    first = run_task(submit_operator(input_uri), new_context(run_id, store))
    creates, lists = emulator.calls("create"), emulator.calls("list")
    second = run_task(submit_operator(input_uri), new_context(run_id, store))
    assert store[JOB_NAME_KEY] == first["job_name"] == second["job_name"]
    assert (emulator.calls("create"), emulator.calls("list")) == (creates, lists)


def test_changed_input_on_retry_is_a_new_job(input_uri: str, upload_lines, emulator) -> None:
    run_id = f"manual__changed_{next(_runs)}"
    first = run_task(submit_operator(input_uri), new_context(run_id))
    other = upload_lines(f"in/other-{next(_runs)}.jsonl", [request_line("other")])
    second = run_task(submit_operator(other), new_context(run_id))
    assert first["job_name"] != second["job_name"]


def test_a_retry_after_a_terminal_failure_resubmits(input_uri: str, emulator) -> None:
    run_id = f"manual__failed_{next(_runs)}"
    failing = {"emulator-outcome": "failed"}
    with pytest.raises(GeminiBatchJobFailedError):
        run_task(submit_operator(input_uri, labels=failing), new_context(run_id))
    creates = emulator.calls("create")
    with pytest.raises(GeminiBatchJobFailedError):
        run_task(submit_operator(input_uri, labels=failing), new_context(run_id))
    assert emulator.calls("create") == creates + 1


@pytest.mark.parametrize(
    ("outcome", "state"),
    [("failed", "JOB_STATE_FAILED"), ("expired", "JOB_STATE_EXPIRED"), ("cancelled", "JOB_STATE_CANCELLED")],
)
def test_failed_terminal_states_raise_with_the_job_error(input_uri: str, outcome: str, state: str) -> None:
    with raises_typed(GeminiBatchJobFailedError) as info:
        run_task(submit_operator(input_uri, labels={"emulator-outcome": outcome}), new_context())
    assert info.value.state == state
    # the emulator fails a job with code 13 INTERNAL: a new job may pass; a cancelled one is not paid for again
    assert info.permanent is (outcome == "cancelled")
    if outcome != "expired":
        assert info.value.error.get("code"), "FAILED and CANCELLED jobs carry the job's error"


def test_partially_succeeded_is_an_outcome_to_report(input_uri: str) -> None:
    manifest = run_task(submit_operator(input_uri, labels={"emulator-outcome": "partially-succeeded"}), new_context())
    assert manifest["state"] == "JOB_STATE_PARTIALLY_SUCCEEDED"


def test_paused_keeps_waiting_until_resumed(input_uri: str, emulator) -> None:
    context = new_context()
    operator = submit_operator(input_uri, labels={"emulator-outcome": "paused"})
    with pytest.raises(TaskDeferred) as deferred:
        operator.execute(context)
    job_name = context["ti"].xcoms[JOB_NAME_KEY]

    event = wait_through_pause(deferred.value.trigger, job_name, emulator.resume)
    assert operator.execute_complete(context, event)["state"] == "JOB_STATE_SUCCEEDED"


def test_timeout_cancels_the_job(input_uri: str) -> None:
    context = new_context()
    operator = submit_operator(input_uri, labels={"emulator-run-seconds": "120"}, timeout=timedelta(seconds=2))
    with raises_typed(GeminiBatchTimeoutError) as info:
        run_task(operator, context)
    assert info.permanent, "its job cancelled, a retry would pay for a new one"
    job = GeminiBatchHook().get_job(context["ti"].xcoms[JOB_NAME_KEY])
    assert job["state"] in ("JOB_STATE_CANCELLING", "JOB_STATE_CANCELLED")


def test_execution_timeout_sets_a_deadline_before_airflow_kills_the_task(input_uri: str) -> None:
    operator = submit_operator(input_uri, execution_timeout=timedelta(minutes=10), timeout=timedelta(hours=5))
    context = new_context()
    with pytest.raises(TaskDeferred) as deferred:
        operator.execute(context)
    trigger = deferred.value.trigger
    assert trigger.deadline is not None
    assert 0 < trigger.deadline - time.time() <= 600 - 59
    GeminiBatchHook().cancel_job(context["ti"].xcoms[JOB_NAME_KEY])


def test_killing_the_deferred_task_cancels_the_job(input_uri: str) -> None:
    context = new_context()
    with pytest.raises(TaskDeferred) as deferred:
        submit_operator(input_uri, labels={"emulator-run-seconds": "120"}).execute(context)
    asyncio.run(deferred.value.trigger.on_kill())
    job = GeminiBatchHook().get_job(context["ti"].xcoms[JOB_NAME_KEY])
    assert job["state"] in ("JOB_STATE_CANCELLING", "JOB_STATE_CANCELLED")


def test_killing_a_synchronous_wait_cancels_the_job(input_uri: str) -> None:
    operator = submit_operator(input_uri, labels={"emulator-run-seconds": "120"}, deferrable=False)
    context = new_context()
    operator.submit(context)
    operator.on_kill()
    job = GeminiBatchHook().get_job(context["ti"].xcoms[JOB_NAME_KEY])
    assert job["state"] in ("JOB_STATE_CANCELLING", "JOB_STATE_CANCELLED")


def test_transient_poll_errors_are_tolerated(input_uri: str) -> None:
    labels = {"emulator-api-fault-get": "503-first-3"}
    manifest = run_task(submit_operator(input_uri, labels=labels), new_context())
    assert manifest["state"] == "JOB_STATE_SUCCEEDED"


def test_too_many_transient_errors_end_the_wait_clearly(input_uri: str) -> None:
    labels = {"emulator-api-fault-get": "503-first-50"}
    with pytest.raises(GeminiBatchError, match="transient errors in a row"):
        run_task(submit_operator(input_uri, labels=labels, max_transient_errors=2), new_context())


def test_trigger_serializes_only_small_non_secret_values() -> None:
    trigger = GeminiBatchJobTrigger(job_name="projects/1/locations/l/batchPredictionJobs/1", deadline=5.0)
    path, kwargs = trigger.serialize()
    assert path == "airflow_batch_gemini.triggers.batch_job.GeminiBatchJobTrigger"
    assert set(kwargs) == {
        "job_name", "location", "gcp_conn_id", "impersonation_chain", "poll_interval", "deadline",
        "api_endpoint", "max_transient_errors", "cancel_on_kill", "max_outage",
    }
    assert all(isinstance(value, (str, int, float, bool, type(None))) for value in kwargs.values())
    assert GeminiBatchJobTrigger(**kwargs).serialize() == (path, kwargs)


def test_sensor_waits_on_a_job_submitted_elsewhere(input_uri: str) -> None:
    context = new_context()
    with pytest.raises(TaskDeferred):
        submit_operator(input_uri).execute(context)
    job_name = context["ti"].xcoms[JOB_NAME_KEY]
    sensor = GeminiBatchJobSensor(task_id="sense", job_name=job_name, poke_interval=0.2)
    manifest = run_task(sensor, new_context())
    assert manifest["job_name"] == job_name and manifest["state"] == "JOB_STATE_SUCCEEDED"


def test_hook_lists_cancels_and_deletes(input_uri: str) -> None:
    manifest = run_task(submit_operator(input_uri, labels={"team": "lists"}), new_context())
    name = manifest["job_name"]
    hook = GeminiBatchHook()
    assert name in [job["name"] for job in hook.list_jobs(filter='labels.team="lists"', page_size=1)]
    assert hook.cancel_job(name) is False, "a finished job cannot be cancelled"
    hook.delete_job(name)
    with pytest.raises(GeminiBatchApiError) as info:
        hook.get_job(name)
    assert info.value.status == "NOT_FOUND"
