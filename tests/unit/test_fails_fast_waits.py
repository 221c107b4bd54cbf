"""The entry points of the waits fail fast on permanent errors and let retryable ones through; the sensor and
the trigger ride out outages as the watch says; triggers serialized by an earlier version still load and run."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest

from airflow_batch_gemini.exceptions import (
    GeminiBatchApiError,
    GeminiBatchJobFailedError,
    GeminiBatchTransientError,
    GeminiBatchUnknownStateError,
)
from airflow_batch_gemini.job.names import console_url
from airflow_batch_gemini.job.watch import JobWatch
from airflow_batch_gemini.operators.failures import GeminiBatchPermanentFailure
from airflow_batch_gemini.operators.submit_job import GeminiBatchSubmitJobOperator
from airflow_batch_gemini.sensors.batch_job import GeminiBatchJobSensor
from airflow_batch_gemini.triggers.batch_job import GeminiBatchJobTrigger
from tests.taskrun import first_event, new_context
from tests.unit.fake_hooks import JOB, ScriptedAsyncHook, ScriptedHook, job, use_async_hook, use_hook

DOWN = GeminiBatchTransientError(503, "UNAVAILABLE", "down", "get")
NOT_FOUND = GeminiBatchApiError(404, "NOT_FOUND", "no such job", "get")
#: What the previous version's trigger serialized (max_transient_errors, no max_outage).
OLD_TRIGGER_KWARGS = {
    "job_name": JOB, "location": "us-central1", "gcp_conn_id": "google_cloud_default", "impersonation_chain": None,
    "poll_interval": 0.1, "deadline": None, "api_endpoint": None, "max_transient_errors": 10, "cancel_on_kill": True,
}


def event_of(error: GeminiBatchApiError) -> dict[str, Any]:
    event = JobWatch(JOB, max_outage=0).observe_error(error, 0.0).event
    assert event is not None
    return json.loads(json.dumps(event))  # what Airflow stores


def submit_operator() -> GeminiBatchSubmitJobOperator:
    return GeminiBatchSubmitJobOperator(task_id="submit", input_uris="gs://b/in.jsonl", output_uri_prefix="gs://b/o")


def sensor(hook: ScriptedHook, **kwargs: Any) -> GeminiBatchJobSensor:
    kwargs.setdefault("poke_interval", 10.0)
    task = GeminiBatchJobSensor(task_id="sense", job_name=JOB, deferrable=False, **kwargs)
    use_hook(task, hook)
    return task


def test_execute_complete_fails_fast_on_a_4xx_and_lets_an_outage_be_retried() -> None:
    with pytest.raises(GeminiBatchPermanentFailure, match="GeminiBatchApiError") as info:
        submit_operator().execute_complete(new_context(), event_of(NOT_FOUND))
    assert isinstance(info.value.__cause__, GeminiBatchApiError) and info.value.__cause__.http_code == 404
    with pytest.raises(GeminiBatchTransientError):
        submit_operator().execute_complete(new_context(), event_of(DOWN))
    failed = {"status": "failed", "job_name": JOB, "state": "JOB_STATE_FAILED", "error": {"code": 13}}
    with pytest.raises(GeminiBatchJobFailedError):
        submit_operator().execute_complete(new_context(), failed)


def test_the_sensor_fails_fast_on_an_unknown_state_and_on_a_4xx() -> None:
    with pytest.raises(GeminiBatchPermanentFailure) as info:
        sensor(ScriptedHook([job("JOB_STATE_NEW_THING")])).poke(new_context())
    assert isinstance(info.value.__cause__, GeminiBatchUnknownStateError)
    with pytest.raises(GeminiBatchPermanentFailure):
        sensor(ScriptedHook([NOT_FOUND])).poke(new_context())
    with pytest.raises(GeminiBatchPermanentFailure):
        sensor(ScriptedHook([])).execute_complete(new_context(), event_of(NOT_FOUND))


def test_the_sensor_rides_out_an_outage_between_pokes_backing_off() -> None:
    hook = ScriptedHook([DOWN, DOWN, DOWN, job("JOB_STATE_RUNNING"), job("JOB_STATE_SUCCEEDED")])
    task = sensor(hook)
    pauses = []
    for _ in range(4):
        assert not task.poke(new_context()).is_done
        pauses.append(task._get_next_poke_interval(time.monotonic(), lambda: 0.0, 1))
    done = task.poke(new_context())
    assert done.is_done and done.xcom_value["state"] == "JOB_STATE_SUCCEEDED"
    assert 5.0 <= pauses[0] <= 10.0 and 10.0 <= pauses[1] <= 20.0 and 20.0 <= pauses[2] <= 40.0
    assert pauses[3] == 10.0, "after the outage, the poke interval again"


def test_the_sensor_gives_up_after_max_outage_with_a_retryable_error() -> None:
    with pytest.raises(GeminiBatchTransientError, match="max_outage=0 s"):
        sensor(ScriptedHook([DOWN]), max_outage=0).poke(new_context())


def test_the_sensor_logs_the_console_link_once(capsys: pytest.CaptureFixture[str]) -> None:
    task = sensor(ScriptedHook([job("JOB_STATE_RUNNING"), job("JOB_STATE_SUCCEEDED")]), poke_interval=0.1)
    assert task.execute(new_context())["state"] == "JOB_STATE_SUCCEEDED"
    lines = [line for line in capsys.readouterr().out.splitlines() if console_url(JOB) in line]
    assert len(lines) == 1 and f"Waiting for batch job {JOB}: " in lines[0]


def test_a_trigger_rides_out_more_errors_than_the_old_count_allowed() -> None:
    trigger = GeminiBatchJobTrigger(job_name=JOB, poll_interval=0.1)
    hook = ScriptedAsyncHook([DOWN] * 12 + [job("JOB_STATE_SUCCEEDED")])
    use_async_hook(trigger, hook)
    trigger.new_watch = lambda: JobWatch(JOB, None, None, 3600.0, 0.001)  # type: ignore[method-assign]
    assert asyncio.run(first_event(trigger))["status"] == "success"
    assert hook.gets == 13


def test_a_trigger_serialized_by_the_previous_version_still_loads_and_runs() -> None:
    trigger = GeminiBatchJobTrigger(**json.loads(json.dumps(OLD_TRIGGER_KWARGS)))
    assert trigger.max_transient_errors == 10 and trigger.max_outage >= 1800
    hook = ScriptedAsyncHook([DOWN, DOWN, job("JOB_STATE_SUCCEEDED")])
    use_async_hook(trigger, hook)
    assert asyncio.run(first_event(trigger))["status"] == "success"
    path, kwargs = trigger.serialize()
    assert GeminiBatchJobTrigger(**kwargs).serialize() == (path, kwargs)
    assert {**OLD_TRIGGER_KWARGS, "max_outage": trigger.max_outage} == kwargs
