"""Which endings a task retry could change: a new job pays again, so only where it may end otherwise."""

from __future__ import annotations

import pytest

from airflow_batch_gemini.exceptions import (
    GeminiBatchConfigurationError,
    GeminiBatchJobFailedError,
    GeminiBatchTimeoutError,
    GeminiBatchUploadConflictError,
)
from airflow_batch_gemini.job.watch import result_from_event

JOB = "projects/p/locations/us-central1/batchPredictionJobs/1"


@pytest.mark.parametrize(("state", "code", "retryable"), [
    ("JOB_STATE_FAILED", 13, True),       # INTERNAL: the service's own failure
    ("JOB_STATE_FAILED", 8, True),        # RESOURCE_EXHAUSTED
    ("JOB_STATE_EXPIRED", None, True),    # too long in the queue
    ("JOB_STATE_FAILED", 3, False),       # INVALID_ARGUMENT: the importer refused the input
    ("JOB_STATE_FAILED", 9, False),       # FAILED_PRECONDITION: the service agent may not read the bucket
    ("JOB_STATE_FAILED", 7, False),       # PERMISSION_DENIED
    ("JOB_STATE_CANCELLED", 1, False),    # cancelled (in the console, say): a retry would pay for it again
])
def test_a_failed_job_is_retried_only_where_a_new_job_may_end_otherwise(state: str, code: int | None,
                                                                       retryable: bool) -> None:
    error = {"code": code, "message": "m"} if code is not None else None
    assert GeminiBatchJobFailedError(JOB, state, error).is_retryable() is retryable


@pytest.mark.parametrize("cancelled", [False, True])
def test_a_timeout_is_retried_only_while_its_job_runs_on(cancelled: bool) -> None:
    event = {"status": "timeout", "job_name": JOB, "state": "JOB_STATE_RUNNING", "deadline": 1.0}
    with pytest.raises(GeminiBatchTimeoutError) as info:
        result_from_event(event, job_cancelled=cancelled)
    assert info.value.is_retryable() is not cancelled
    assert ("not retried" in str(info.value)) is cancelled


def test_an_upload_conflict_is_permanent_unless_a_race_a_retry_settles() -> None:
    assert not GeminiBatchUploadConflictError("two runs share the destination").is_retryable()
    assert GeminiBatchUploadConflictError("vanished right after upload", retryable=True).is_retryable()


def test_a_configuration_error_is_still_a_value_error() -> None:
    assert issubclass(GeminiBatchConfigurationError, ValueError)
