"""The wait rides out an outage by time, backing off exponentially with jitter; the events it ends with carry
what the typed errors need (the HTTP code and status), so that a 4xx fails fast and an outage may be retried."""

from __future__ import annotations

import random

import pytest

from airflow_batch_gemini.exceptions import (
    GeminiBatchApiError,
    GeminiBatchError,
    GeminiBatchJobFailedError,
    GeminiBatchTimeoutError,
    GeminiBatchTransientError,
    GeminiBatchUnknownStateError,
)
from airflow_batch_gemini.job.retry import poll_backoff
from airflow_batch_gemini.job.watch import JobWatch, result_from_event

NAME = "projects/1/locations/us-central1/batchPredictionJobs/42"
UNAVAILABLE = GeminiBatchTransientError(503, "UNAVAILABLE", "the service is down", "get")


def ride(watch: JobWatch, start: float, outage: float) -> tuple[list[float], dict | None]:
    """Poll through an outage of ``outage`` seconds from ``start``, sleeping as the watch says; return the
    pauses taken and the event that ended the wait (``None``: it was ridden out and a poll succeeded)."""
    now, pauses = start, []
    while now < start + outage:
        decision = watch.observe_error(UNAVAILABLE, now)
        if decision.event is not None:
            return pauses, decision.event
        pauses.append(watch.next_sleep(now))
        now += pauses[-1]
    assert watch.observe({"name": NAME, "state": "JOB_STATE_RUNNING"}).event is None
    return pauses, None


def test_a_five_minute_outage_does_not_end_a_wait_at_its_defaults() -> None:
    watch = JobWatch(NAME, poll_interval=30.0, rng=random.Random(1))
    pauses, event = ride(watch, 1000.0, 5 * 60)
    assert event is None and len(pauses) >= 3
    assert (watch.transient_errors, watch.outage_since) == (0, None), "one good poll ends the outage"


def test_the_default_tolerance_is_at_least_half_an_hour_whatever_the_poll_interval() -> None:
    for interval in (0.5, 30.0, 60.0):
        _, event = ride(JobWatch(NAME, poll_interval=interval, rng=random.Random(2)), 0.0, 29 * 60)
        assert event is None, f"a 29-minute outage ended a wait polling every {interval} s"
    assert JobWatch(NAME).max_outage >= 30 * 60


def test_an_outage_longer_than_max_outage_ends_the_wait_with_a_retryable_error() -> None:
    watch = JobWatch(NAME, max_outage=600.0, poll_interval=30.0, rng=random.Random(3))
    pauses, event = ride(watch, 50.0, 3600)
    assert event is not None and event["kind"] == "outage"
    assert sum(pauses) == pytest.approx(600.0), "the last poll is made right at the end of the tolerance"
    assert (event["http_code"], event["error_status"]) == (503, "UNAVAILABLE")
    with pytest.raises(GeminiBatchTransientError, match=r"failed for 600 s .*max_outage=600 s") as info:
        result_from_event(event)
    assert info.value.is_retryable() and info.value.http_code == 503


def test_max_outage_zero_tolerates_no_error_at_all() -> None:
    event = JobWatch(NAME, max_outage=0.0).observe_error(UNAVAILABLE, 5.0).event
    assert event is not None and event["kind"] == "outage"


def test_pauses_grow_exponentially_with_jitter_up_to_ten_intervals() -> None:
    watch = JobWatch(NAME, max_outage=10**6, poll_interval=30.0, rng=random.Random(4))
    pauses = []
    for number in range(1, 9):
        watch.observe_error(UNAVAILABLE, float(number))
        pauses.append(watch.next_sleep(float(number)))
    ceilings = [30, 60, 120, 240, 300, 300, 300, 300]
    assert all(ceiling / 2 <= pause <= ceiling for pause, ceiling in zip(pauses, ceilings, strict=True))
    assert len({round(pause, 6) for pause in pauses[4:]}) == 4, "jitter: no two pauses at the cap alike"
    watch.observe({"name": NAME, "state": "JOB_STATE_RUNNING"})
    assert watch.next_sleep(10.0) == 30.0, "after the outage, the poll interval again"


def test_an_outage_pause_is_cut_short_by_the_deadline() -> None:
    watch = JobWatch(NAME, deadline=110.0, poll_interval=30.0, rng=random.Random(5))
    for now in (0.0, 1.0, 2.0, 3.0):
        watch.observe_error(UNAVAILABLE, now)
    assert watch.next_sleep(100.0) == 10.0


def test_poll_backoff_follows_the_interval_and_is_capped() -> None:
    assert (poll_backoff(30.0).initial_delay, poll_backoff(30.0).max_delay) == (30.0, 300.0)
    assert poll_backoff(0.1).max_delay == pytest.approx(1.0)
    assert poll_backoff(3600.0).max_delay == 3600.0, "never below the interval itself"
    assert poll_backoff(120.0).max_delay == 600.0


def test_a_4xx_answer_becomes_a_permanent_api_error_with_its_code_and_status() -> None:
    decision = JobWatch(NAME).observe_error(GeminiBatchApiError(404, "NOT_FOUND", "no such job", "get"), 0.0)
    assert decision.event is not None
    with pytest.raises(GeminiBatchApiError, match=f"404 NOT_FOUND on get: polling {NAME}: no such job") as info:
        result_from_event(decision.event)
    assert not isinstance(info.value, GeminiBatchTransientError)
    assert (info.value.http_code, info.value.status, info.value.is_retryable()) == (404, "NOT_FOUND", False)


def test_a_non_transient_5xx_answer_is_an_api_error_a_retry_may_pass() -> None:
    decision = JobWatch(NAME).observe_error(GeminiBatchApiError(501, "NOT_IMPLEMENTED", "later", "get"), 0.0)
    assert decision.event is not None
    with pytest.raises(GeminiBatchApiError) as info:
        result_from_event(decision.event)
    assert info.value.is_retryable()


@pytest.mark.parametrize(
    ("event", "error", "retryable"),
    [
        pytest.param({"status": "failed", "job_name": NAME, "state": "JOB_STATE_FAILED", "error": {"code": 13}},
                     GeminiBatchJobFailedError, True, id="failed-job"),
        pytest.param({"status": "timeout", "job_name": NAME, "state": "JOB_STATE_RUNNING", "deadline": 1.0},
                     GeminiBatchTimeoutError, True, id="timeout"),
        pytest.param({"status": "error", "job_name": NAME, "kind": "unknown_state", "state": "JOB_STATE_NEW"},
                     GeminiBatchUnknownStateError, False, id="unknown-state"),
        pytest.param({"status": "error", "job_name": NAME, "kind": "too_many_transient_errors",
                      "message": "11 transient errors in a row polling it"},
                     GeminiBatchTransientError, True, id="older-trigger-transient"),
        pytest.param({"status": "error", "job_name": NAME, "kind": "api_error", "message": "Polling failed"},
                     GeminiBatchError, False, id="older-trigger-api-error"),
        pytest.param({"status": "mystery", "job_name": NAME}, GeminiBatchError, False, id="unknown-event"),
    ],
)
def test_each_ending_raises_a_typed_error_that_says_whether_a_retry_helps(
    event: dict, error: type[GeminiBatchError], retryable: bool
) -> None:
    with pytest.raises(error) as info:
        result_from_event(event)
    assert info.value.is_retryable() is retryable
