from __future__ import annotations

import pytest

from airflow_batch_gemini.exceptions import (
    GeminiBatchApiError,
    GeminiBatchJobFailedError,
    GeminiBatchTimeoutError,
    GeminiBatchTransientError,
    GeminiBatchUnknownStateError,
)
from airflow_batch_gemini.job.watch import JobWatch, result_from_event

NAME = "projects/1/locations/us-central1/batchPredictionJobs/42"


def job(state: str, **extra: object) -> dict:
    return {"name": NAME, "state": state, **extra}


def test_waiting_states_keep_waiting_and_log_only_changes() -> None:
    watch = JobWatch(NAME)
    first = watch.observe(job("JOB_STATE_RUNNING", completionStats={"successfulCount": "1"}))
    again = watch.observe(job("JOB_STATE_RUNNING", completionStats={"successfulCount": "1"}))
    later = watch.observe(job("JOB_STATE_RUNNING", completionStats={"successfulCount": "2"}))
    assert first.event is None and again.event is None and later.event is None
    assert first.message is not None and "1 succeeded" in first.message
    assert again.message is None
    assert later.message is not None and "2 succeeded" in later.message


@pytest.mark.parametrize("state", ["JOB_STATE_SUCCEEDED", "JOB_STATE_PARTIALLY_SUCCEEDED"])
def test_success_states_return_the_manifest(state: str) -> None:
    decision = JobWatch(NAME).observe(job(state, outputInfo={"gcsOutputDirectory": "gs://b/o"}))
    assert decision.event is not None and decision.event["status"] == "success"
    manifest = result_from_event(decision.event)
    assert manifest["state"] == state and manifest["output_directory"] == "gs://b/o"


@pytest.mark.parametrize("state", ["JOB_STATE_FAILED", "JOB_STATE_CANCELLED", "JOB_STATE_EXPIRED"])
def test_failed_states_raise_a_typed_error_carrying_the_job_error(state: str) -> None:
    decision = JobWatch(NAME).observe(job(state, error={"code": 3, "message": "import failed"}))
    assert decision.event is not None
    with pytest.raises(GeminiBatchJobFailedError, match="code 3: import failed") as info:
        result_from_event(decision.event)
    assert info.value.state == state and info.value.error["code"] == 3


def test_unknown_state_is_an_error_not_an_endless_poll() -> None:
    decision = JobWatch(NAME).observe(job("JOB_STATE_SOMETHING_NEW"))
    assert decision.event is not None
    with pytest.raises(GeminiBatchUnknownStateError, match="SOMETHING_NEW"):
        result_from_event(decision.event)


def test_max_transient_errors_is_an_extra_bound_reset_by_a_good_poll() -> None:
    watch = JobWatch(NAME, max_transient_errors=2)
    err = GeminiBatchTransientError(503, "UNAVAILABLE", "down", "get")
    assert watch.observe_error(err, 0.0).event is None
    assert watch.observe_error(err, 1.0).event is None
    watch.observe(job("JOB_STATE_RUNNING"))
    assert watch.observe_error(err, 2.0).event is None
    assert watch.observe_error(err, 3.0).event is None
    final = watch.observe_error(err, 4.0)
    assert final.event is not None and final.event["kind"] == "too_many_transient_errors"
    with pytest.raises(GeminiBatchTransientError, match="3 transient errors in a row"):
        result_from_event(final.event)


def test_a_non_transient_error_ends_the_wait_at_once() -> None:
    decision = JobWatch(NAME).observe_error(GeminiBatchApiError(404, "NOT_FOUND", "no such job", "get"), 0.0)
    assert decision.event is not None and decision.event["kind"] == "api_error"


def test_deadline_gives_a_timeout_event_and_cuts_the_sleep() -> None:
    watch = JobWatch(NAME, deadline=100.0, poll_interval=30.0)
    assert watch.check_deadline(99.0) is None
    assert watch.next_sleep(95.0) == 5.0
    assert watch.next_sleep(50.0) == 30.0
    decision = watch.check_deadline(100.0)
    assert decision is not None and decision.event is not None and decision.event["status"] == "timeout"
    with pytest.raises(GeminiBatchTimeoutError):
        result_from_event(decision.event)
    assert JobWatch(NAME, poll_interval=7.0).next_sleep(0.0) == 7.0

