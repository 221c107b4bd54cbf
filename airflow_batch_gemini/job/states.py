"""What each Vertex AI job state means for a waiting task: pure functions, no I/O.

The Google SDKs disagree on which states are terminal (google-genai's ``done`` omits
PARTIALLY_SUCCEEDED; aiplatform counts PAUSED as complete and omits EXPIRED), so the package keeps
its own complete map here and every waiter (trigger, sensor, synchronous wait) uses it.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from airflow_batch_gemini.manifests import JobManifest


class JobOutcome(enum.Enum):
    """What a waiter does on seeing a state."""

    WAIT = "wait"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    UNKNOWN = "unknown"


SUCCESS_STATES = frozenset({"JOB_STATE_SUCCEEDED", "JOB_STATE_PARTIALLY_SUCCEEDED"})
FAILURE_STATES = frozenset({"JOB_STATE_FAILED", "JOB_STATE_CANCELLED", "JOB_STATE_EXPIRED"})
WAITING_STATES = frozenset(
    {
        "JOB_STATE_QUEUED",
        "JOB_STATE_PENDING",
        "JOB_STATE_RUNNING",
        "JOB_STATE_PAUSED",
        "JOB_STATE_UPDATING",
        "JOB_STATE_CANCELLING",
    }
)
TERMINAL_STATES = SUCCESS_STATES | FAILURE_STATES
_REUSABLE = (JobOutcome.WAIT, JobOutcome.SUCCEEDED)


def classify_state(state: str) -> JobOutcome:
    """Map a job state (``JOB_STATE_*``; the prefix may be omitted) to what a waiter does next.

    ``JOB_STATE_UNSPECIFIED`` and any state not listed by the service's documentation are
    :attr:`JobOutcome.UNKNOWN`: a clear error, never an endless poll.
    """
    full = state if state.startswith("JOB_STATE_") else f"JOB_STATE_{state}"
    if full in SUCCESS_STATES:
        return JobOutcome.SUCCEEDED
    if full in FAILURE_STATES:
        return JobOutcome.FAILED
    if full in WAITING_STATES:
        return JobOutcome.WAIT
    return JobOutcome.UNKNOWN


@dataclass(frozen=True)
class Progress:
    """A job's state and row counts as reported by ``completionStats`` (-1 where unknown)."""

    state: str
    succeeded: int
    failed: int
    incomplete: int

    @property
    def total(self) -> int:
        """Rows known so far: succeeded + failed + incomplete (unknown parts count as 0)."""
        return sum(max(count, 0) for count in (self.succeeded, self.failed, self.incomplete))

    def describe(self) -> str:
        """A one-line, human-readable progress message."""
        return (
            f"{self.state}: {self.succeeded} succeeded, {self.failed} failed, "
            f"{self.total} total rows known"
        )


def _int(value: Any, default: int = 0) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def job_progress(job: Mapping[str, Any]) -> Progress:
    """Read a job resource (proto3 JSON: int64 counts are strings, zero counts are omitted)."""
    stats = job.get("completionStats") or {}
    return Progress(
        state=str(job.get("state", "JOB_STATE_UNSPECIFIED")),
        succeeded=_int(stats.get("successfulCount")),
        failed=_int(stats.get("failedCount")),
        incomplete=_int(stats.get("incompleteCount"), default=0),
    )


def is_reusable(job: Mapping[str, Any]) -> bool:
    """Whether a retry may re-attach to ``job``: it is still waiting or has succeeded."""
    return classify_state(str(job.get("state", ""))) in _REUSABLE


def pick_reusable_job(jobs: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The newest job that is still waiting or has succeeded: what a retry re-attaches to.

    Jobs in a failed terminal state are never re-used: a retry after FAILED, CANCELLED or EXPIRED
    submits afresh.
    """
    usable = [job for job in jobs if is_reusable(job)]
    return max(usable, key=lambda job: str(job.get("createTime", "")), default=None)


def job_manifest(job: Mapping[str, Any]) -> JobManifest:
    """The small summary of a job that goes to XCom: never rows, never credentials."""
    progress = job_progress(job)
    output = job.get("outputInfo") or {}
    uris = ((job.get("inputConfig") or {}).get("gcsSource") or {}).get("uris") or []
    manifest: JobManifest = {
        "job_name": job.get("name"),
        "display_name": job.get("displayName"),
        "model": job.get("model"),
        "input_uris": [uris] if isinstance(uris, str) else list(uris),
        "state": progress.state,
        "output_directory": output.get("gcsOutputDirectory")
        or output.get("bigqueryOutputTable")
        or output.get("bigqueryOutputDataset"),
        "completion_stats": {
            "succeeded": progress.succeeded,
            "failed": progress.failed,
            "incomplete": progress.incomplete,
        },
        "create_time": job.get("createTime"),
        "start_time": job.get("startTime"),
        "end_time": job.get("endTime"),
    }
    if job.get("error"):
        manifest["error"] = dict(job["error"])
    return manifest
