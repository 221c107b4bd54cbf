"""Waiting on a batch job, poll by poll: pure decisions shared by the trigger, the sensor and the
synchronous wait, and the events they end with. No I/O here: callers fetch, this module decides.

Event payloads (what a trigger yields and ``execute_complete`` receives) are small dicts:

* ``{"status": "success", "job_name", "manifest"}`` for SUCCEEDED and PARTIALLY_SUCCEEDED;
* ``{"status": "failed", "job_name", "state", "error", "manifest"}`` for FAILED, CANCELLED, EXPIRED;
* ``{"status": "timeout", "job_name", "state", "deadline"}`` when the wait's own deadline passed;
* ``{"status": "error", "job_name", "kind", "message"}`` for an unknown state, a non-transient API
  error, or more consecutive transient errors than tolerated.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from airflow_batch_gemini.exceptions import (
    GeminiBatchApiError,
    GeminiBatchError,
    GeminiBatchJobFailedError,
    GeminiBatchTimeoutError,
    GeminiBatchTransientError,
    GeminiBatchUnknownStateError,
)
from airflow_batch_gemini.job.states import JobOutcome, Progress, classify_state, job_manifest, job_progress
from airflow_batch_gemini.manifests import JobManifest


@dataclass(frozen=True)
class PollDecision:
    """What to do after one poll: ``event`` ends the wait; ``message`` is worth logging."""

    event: dict[str, Any] | None = None
    message: str | None = None
    level: str = "info"

    def log_to(self, logger: Any) -> None:
        """Write the message, if any, to ``logger`` at the decision's level."""
        if self.message:
            getattr(logger, self.level)(self.message)


@dataclass
class JobWatch:
    """The state of one wait: last progress seen, consecutive transient errors, the deadline.

    :param job_name: the job's resource name.
    :param deadline: wall-clock epoch seconds at which the wait gives up, or ``None``.
    :param max_transient_errors: consecutive transient errors tolerated before the wait fails.
    """

    job_name: str
    deadline: float | None = None
    max_transient_errors: int = 10
    transient_errors: int = 0
    last_progress: Progress | None = field(default=None)
    last_job: dict[str, Any] | None = field(default=None)

    def check_deadline(self, now: float) -> PollDecision | None:
        """The timeout event once ``now`` has reached the deadline, else ``None``."""
        if self.deadline is None or now < self.deadline:
            return None
        state = self.last_progress.state if self.last_progress else "unknown"
        return PollDecision(
            event={"status": "timeout", "job_name": self.job_name, "state": state, "deadline": self.deadline},
            message=f"Deadline reached while {self.job_name} was {state}",
            level="warning",
        )

    def next_sleep(self, now: float, poll_interval: float) -> float:
        """Seconds to sleep before the next poll: the interval, cut short by the deadline."""
        if self.deadline is None:
            return poll_interval
        return max(0.0, min(poll_interval, self.deadline - now))

    def observe(self, job: Mapping[str, Any]) -> PollDecision:
        """Decide on a freshly fetched job resource."""
        self.transient_errors = 0
        self.last_job = dict(job)
        progress = job_progress(job)
        changed = progress != self.last_progress
        self.last_progress = progress
        message = f"{self.job_name}: {progress.describe()}" if changed else None
        outcome = classify_state(progress.state)
        if outcome is JobOutcome.WAIT:
            return PollDecision(message=message)
        if outcome is JobOutcome.SUCCEEDED:
            event = {"status": "success", "job_name": self.job_name, "manifest": job_manifest(job)}
            return PollDecision(event=event, message=message)
        if outcome is JobOutcome.FAILED:
            event = {
                "status": "failed",
                "job_name": self.job_name,
                "state": progress.state,
                "error": dict(job.get("error") or {}),
                "manifest": job_manifest(job),
            }
            return PollDecision(event=event, message=message, level="error")
        return PollDecision(
            event={
                "status": "error",
                "job_name": self.job_name,
                "kind": "unknown_state",
                "state": progress.state,
                "message": str(GeminiBatchUnknownStateError(self.job_name, progress.state)),
            },
            level="error",
        )

    def observe_error(self, error: GeminiBatchApiError) -> PollDecision:
        """Decide on a failed poll: tolerate transient errors up to the limit, fail on others."""
        if isinstance(error, GeminiBatchTransientError):
            self.transient_errors += 1
            if self.transient_errors <= self.max_transient_errors:
                return PollDecision(
                    message=f"{error} (transient error {self.transient_errors} of "
                    f"{self.max_transient_errors} tolerated in a row)",
                    level="warning",
                )
            kind = "too_many_transient_errors"
            text = f"{self.transient_errors} transient errors in a row polling {self.job_name}; last: {error}"
        else:
            kind = "api_error"
            text = f"Polling {self.job_name} failed: {error}"
        return PollDecision(
            event={"status": "error", "job_name": self.job_name, "kind": kind, "message": text},
            message=text,
            level="error",
        )


def result_from_event(event: Mapping[str, Any]) -> JobManifest:
    """The manifest of a successful wait; the typed error of any other ending.

    :raises GeminiBatchJobFailedError: the job ended FAILED, CANCELLED or EXPIRED.
    :raises GeminiBatchTimeoutError: the wait's deadline passed.
    :raises GeminiBatchUnknownStateError: the job reported a state this package does not know.
    :raises GeminiBatchError: polling failed (API error, too many transient errors).
    """
    status = event.get("status")
    job_name = str(event.get("job_name", "?"))
    if status == "success":
        return cast("JobManifest", dict(event["manifest"]))
    if status == "failed":
        raise GeminiBatchJobFailedError(job_name, str(event.get("state")), event.get("error"))
    if status == "timeout":
        raise GeminiBatchTimeoutError(
            f"Gave up waiting for {job_name} (last seen {event.get('state')}) at its deadline"
        )
    if event.get("kind") == "unknown_state":
        raise GeminiBatchUnknownStateError(job_name, str(event.get("state")))
    raise GeminiBatchError(str(event.get("message") or f"Unexpected event for {job_name}: {dict(event)}"))
