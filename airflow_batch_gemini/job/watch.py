"""Waiting on a batch job, poll by poll: pure decisions shared by the trigger, the sensor and the
synchronous wait, and the events they end with. No I/O here: callers fetch, sleep as told, and this module
decides.

Polls are ``poll_interval`` apart. After a transient error (429, 5xx, no connection) the pause grows
exponentially with jitter (:func:`~airflow_batch_gemini.job.retry.poll_backoff`), and the wait rides out an
outage for ``max_outage`` seconds, however many polls fail meanwhile; one good poll ends the outage.

Event payloads (what a trigger yields and ``execute_complete`` receives) are small JSON dicts:

* ``{"status": "success", "job_name", "manifest"}`` for SUCCEEDED and PARTIALLY_SUCCEEDED;
* ``{"status": "failed", "job_name", "state", "error", "manifest"}`` for FAILED, CANCELLED, EXPIRED;
* ``{"status": "timeout", "job_name", "state", "deadline"}`` when the wait's own deadline passed;
* ``{"status": "error", "job_name", "kind": "unknown_state", "state", "message"}`` for a state this package
  does not know;
* ``{"status": "error", "job_name", "kind", "message", "http_code", "error_status", "error_message",
  "method"}`` when polling failed: ``kind`` is ``api_error`` (a permanent answer, e.g. 404), ``outage``
  (transient errors for longer than ``max_outage``) or ``too_many_transient_errors`` (more in a row than
  ``max_transient_errors``, when that bound is set).

:func:`result_from_event` turns an event into the manifest or the typed error, which says whether a retry of
the task could help (:meth:`~airflow_batch_gemini.exceptions.GeminiBatchError.is_retryable`).
"""

from __future__ import annotations

import random
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
from airflow_batch_gemini.job.retry import poll_backoff
from airflow_batch_gemini.job.states import JobOutcome, Progress, classify_state, job_manifest, job_progress
from airflow_batch_gemini.job.wait_settings import DEFAULT_MAX_OUTAGE
from airflow_batch_gemini.manifests import JobManifest

#: Error kinds of a poll that failed with transient errors for too long: a retry of the task may pass.
TRANSIENT_KINDS = frozenset({"outage", "too_many_transient_errors"})


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
    """The state of one wait: last progress seen, the outage under way, the deadline.

    :param job_name: the job's resource name.
    :param deadline: wall-clock epoch seconds at which the wait gives up, or ``None``.
    :param max_transient_errors: an extra bound: the wait also gives up after this many transient errors
        in a row (``None``: only ``max_outage`` bounds an outage).
    :param max_outage: seconds polling may keep failing with transient errors before the wait gives up.
    :param poll_interval: seconds between two polls while all is well.
    :param rng: the jitter's random source (tests give a seeded one).
    """

    job_name: str
    deadline: float | None = None
    max_transient_errors: int | None = None
    max_outage: float = DEFAULT_MAX_OUTAGE.total_seconds()
    poll_interval: float = 30.0
    rng: random.Random | None = field(default=None, repr=False, compare=False)
    transient_errors: int = 0
    outage_since: float | None = None
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

    def next_sleep(self, now: float) -> float:
        """Seconds to sleep before the next poll: the poll interval, or during an outage the backoff for the
        errors so far (never past the end of the tolerated outage); cut short by the deadline."""
        pause = self.poll_interval
        if self.outage_since is not None:
            pause = poll_backoff(self.poll_interval).delay(self.transient_errors, self.rng)
            pause = min(pause, self.outage_since + self.max_outage - now)
        if self.deadline is not None:
            pause = min(pause, self.deadline - now)
        return max(0.0, pause)

    def observe(self, job: Mapping[str, Any]) -> PollDecision:
        """Decide on a freshly fetched job resource (which also ends an outage)."""
        self.transient_errors = 0
        self.outage_since = None
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

    def observe_error(self, error: GeminiBatchApiError, now: float) -> PollDecision:
        """Decide on a failed poll at ``now``: ride out transient errors for ``max_outage`` seconds (and at
        most ``max_transient_errors`` in a row, when set); end the wait on any other error."""
        if not isinstance(error, GeminiBatchTransientError):
            return self._error_event("api_error", error, f"polling {self.job_name}: {error.message}")
        if self.outage_since is None:
            self.outage_since = now
        self.transient_errors += 1
        lasted = now - self.outage_since
        count = self.transient_errors
        if self.max_transient_errors is not None and count > self.max_transient_errors:
            return self._error_event("too_many_transient_errors", error, (
                f"{count} transient errors in a row polling {self.job_name} (max_transient_errors="
                f"{self.max_transient_errors}); last: {error.message}. The job may still be running: a retry of "
                "the task re-attaches to it"))
        if lasted >= self.max_outage:
            return self._error_event("outage", error, (
                f"polling {self.job_name} failed for {lasted:.0f} s ({count} transient errors in a row), longer "
                f"than max_outage={self.max_outage:.0f} s; last: {error.message}. The job may still be running: "
                "a retry of the task re-attaches to it; raise max_outage to ride out longer outages"))
        return PollDecision(
            message=f"{error} (transient error {count} in a row; polling has failed for {lasted:.0f} s of the "
            f"{self.max_outage:.0f} s tolerated, backing off)",
            level="warning",
        )

    def _error_event(self, kind: str, error: GeminiBatchApiError, text: str) -> PollDecision:
        typed = type(error)(error.http_code, error.status, text, error.method)
        event = {
            "status": "error",
            "job_name": self.job_name,
            "kind": kind,
            "message": str(typed),
            "http_code": error.http_code,
            "error_status": error.status,
            "error_message": text,
            "method": error.method,
        }
        return PollDecision(event=event, message=str(typed), level="error")


def _polling_error(event: Mapping[str, Any]) -> GeminiBatchError:
    """The typed error of a failed poll: a 4xx answer is permanent, transient errors that outlasted the
    tolerance are retryable. An event of an older trigger carries only its message (taken as 503 if transient)."""
    transient = event.get("kind") in TRANSIENT_KINDS
    message = str(event.get("message") or f"Polling {event.get('job_name', '?')} failed")
    code = event.get("http_code")
    if code is None:
        if not transient:
            return GeminiBatchError(message)
        return GeminiBatchTransientError(503, "UNAVAILABLE", message, "get")
    cls = GeminiBatchTransientError if transient else GeminiBatchApiError
    return cls(int(code), str(event.get("error_status") or "UNKNOWN"), str(event.get("error_message") or message),
               str(event.get("method") or ""))


def result_from_event(event: Mapping[str, Any], job_cancelled: bool = False) -> JobManifest:
    """The manifest of a successful wait; the typed error of any other ending.

    :param job_cancelled: the caller cancelled the job after a ``timeout`` event.
    :raises GeminiBatchJobFailedError: the job ended FAILED, CANCELLED or EXPIRED (retryable unless it was
        cancelled or its request was refused).
    :raises GeminiBatchTimeoutError: the wait's deadline passed (retryable unless ``job_cancelled``).
    :raises GeminiBatchUnknownStateError: the job reported a state this package does not know (permanent).
    :raises GeminiBatchTransientError: polling failed with transient errors for longer than tolerated
        (retryable: the job may still run, and a retry re-attaches to it).
    :raises GeminiBatchApiError: polling got a permanent answer, e.g. 404 NOT_FOUND (permanent for a 4xx).
    :raises GeminiBatchError: an event this package does not know (permanent).
    """
    status = event.get("status")
    job_name = str(event.get("job_name", "?"))
    if status == "success":
        return cast("JobManifest", dict(event["manifest"]))
    if status == "failed":
        raise GeminiBatchJobFailedError(job_name, str(event.get("state")), event.get("error"))
    if status == "timeout":
        raise GeminiBatchTimeoutError(
            f"Gave up waiting for {job_name} (last seen {event.get('state')}) at its deadline", job_cancelled
        )
    kind = event.get("kind")
    if kind == "unknown_state":
        raise GeminiBatchUnknownStateError(job_name, str(event.get("state")))
    if kind == "api_error" or kind in TRANSIENT_KINDS:
        raise _polling_error(event)
    raise GeminiBatchError(f"Unexpected event for {job_name}: {dict(event)}")
