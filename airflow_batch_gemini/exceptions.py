"""Typed errors of the package; each message says what went wrong and what to do about it.

One tree under :class:`GeminiBatchError`, a plain ``Exception``: the pure stages (``input``, ``job``,
``output``) raise these without importing Airflow, and Airflow fails a task on any exception.

Each class says whether a task retry could help (:attr:`GeminiBatchError.retryable`): a transient API
error, a failed job or an input changed meanwhile may pass; an invalid input, a 4xx answer or a bad
configuration will not. The operators turn a permanent error into Airflow's fail-fast exception
(:mod:`airflow_batch_gemini.operators.failures`), so that the task's retries do not repeat it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class GeminiBatchError(Exception):
    """Base class of every error this package raises.

    :attr retryable: whether running the task again could end otherwise; ``False`` makes the operators
        fail the task at once, without its retries.
    """

    retryable: bool = False

    def is_retryable(self) -> bool:
        """Whether a task retry could help with this error (a class may decide per instance)."""
        return self.retryable


class GeminiBatchConfigurationError(GeminiBatchError, ValueError):
    """A task's settings cannot work: a malformed name or location, a missing bucket, an input the
    service could not read. Found before any job is created; fix the DAG or the connection, then re-run.
    Also a ``ValueError``, which constructors raised for bad arguments before."""


class GeminiBatchAccessRefusedError(GeminiBatchConfigurationError):
    """A value would reach where the task may not go: a local path outside its base folder, a location
    outside the task's allow-list, credentials sent to an endpoint that is not Google's, a location or
    resource name that is no plain name. Permanent: nothing was read, written or sent."""


class GeminiBatchApiError(GeminiBatchError):
    """The Vertex AI API answered with an error.

    :param http_code: the HTTP status code.
    :param status: the Google status name, e.g. ``NOT_FOUND``.
    :param message: the service's message.
    :param method: the API method that failed, e.g. ``create``.
    """

    def __init__(self, http_code: int, status: str, message: str, method: str = "") -> None:
        self.http_code = http_code
        self.status = status
        self.message = message
        self.method = method
        where = f" on {method}" if method else ""
        super().__init__(f"Vertex AI answered {http_code} {status}{where}: {message}")

    def is_retryable(self) -> bool:
        """A 4xx answer (a mistyped model, a bad request, no permission) is permanent; the others are not."""
        return self.retryable or not 400 <= self.http_code < 500


class GeminiBatchTransientError(GeminiBatchApiError):
    """An error worth retrying: 429, a 5xx or a dropped connection, still failing after the retries."""

    retryable = True


#: Codes of a failed job's ``error`` (``google.rpc.Code``) that a new job for the same request would meet
#: again: INVALID_ARGUMENT (3, e.g. an input the importer refused), NOT_FOUND (5), PERMISSION_DENIED (7),
#: FAILED_PRECONDITION (9, e.g. the service agent may not read the bucket), UNIMPLEMENTED (12),
#: UNAUTHENTICATED (16).
PERMANENT_JOB_ERROR_CODES = frozenset({3, 5, 7, 9, 12, 16})


class GeminiBatchJobFailedError(GeminiBatchError):
    """The batch job ended in a failed terminal state (FAILED, CANCELLED or EXPIRED).

    Retryable when the service failed the job for reasons of its own (INTERNAL, RESOURCE_EXHAUSTED,
    UNAVAILABLE, EXPIRED in the queue): a new job may succeed. Permanent when the job was cancelled (by a
    user, in the console, say: a retry would pay for what they meant to stop) or failed with one of
    :data:`PERMANENT_JOB_ERROR_CODES` (the same request would fail the same way).

    :param job_name: the job's resource name.
    :param state: the terminal state, e.g. ``JOB_STATE_FAILED``.
    :param error: the job's ``error`` field (``{"code", "message"}``), if any.
    """

    retryable = True

    def __init__(self, job_name: str, state: str, error: dict[str, Any] | None = None) -> None:
        self.job_name = job_name
        self.state = state
        self.error = error or {}
        detail = ""
        if self.error:
            detail = f": code {self.error.get('code', '?')}: {self.error.get('message', '')}"
        super().__init__(f"Batch job {job_name} ended {state}{detail}")

    def is_retryable(self) -> bool:
        """Whether a new job could end otherwise: not after a cancel, nor for a request the service refused."""
        if self.state == "JOB_STATE_CANCELLED":
            return False
        return self.error.get("code") not in PERMANENT_JOB_ERROR_CODES


class GeminiBatchUnknownStateError(GeminiBatchError):
    """The job reports a state this package does not know; polling stops rather than running forever."""

    def __init__(self, job_name: str, state: str) -> None:
        self.job_name = job_name
        self.state = state
        super().__init__(
            f"Batch job {job_name} is in unknown state {state!r}; stopping instead of polling forever. "
            "Upgrade airflow-batch-gemini or check the job in the Vertex AI console."
        )


class GeminiBatchTimeoutError(GeminiBatchError):
    """The wait for a batch job passed its deadline.

    Retryable while the job runs on (a retry re-attaches to it); permanent once the job was cancelled at the
    deadline (``cancel_on_timeout``): a retry would create, and pay for, a new job.

    :param message: what timed out.
    :param job_cancelled: whether the job was cancelled at the deadline.
    """

    def __init__(self, message: str, job_cancelled: bool = False) -> None:
        self.job_cancelled = job_cancelled
        if job_cancelled:
            message += ("; the job was cancelled (cancel_on_timeout), so the task is not retried (a retry would pay "
                        "for a new job): raise timeout, or clear the task to run it again")
        super().__init__(message)

    def is_retryable(self) -> bool:
        """Only a job left running makes a retry safe (it re-attaches instead of paying again)."""
        return not self.job_cancelled


class GeminiBatchWaitInterruptedError(GeminiBatchError):
    """The wait was interrupted (SIGINT, SIGTERM, the task killed) and the job cancelled on purpose.

    Permanent once the job is cancelled: a retry would submit a new job and pay again for what the
    interruption meant to stop. If the job could not be cancelled (or ``cancel_on_kill`` is off), it runs on and
    a retry re-attaches to it, so the error is retryable.

    :param job_name: the job's resource name.
    :param cause: what interrupted the wait, e.g. ``SIGINT``.
    :param cancelled: whether the job was cancelled.
    """

    def __init__(self, job_name: str, cause: str, cancelled: bool) -> None:
        self.job_name = job_name
        self.cause = cause
        self.cancelled = cancelled
        if cancelled:
            what = ("the job was cancelled, and the task is not retried (a retry would pay for a new job); "
                    "clear the task to run it again")
        else:
            what = "the job was not cancelled and runs on; a retry of the task re-attaches to it"
        super().__init__(f"The wait for {job_name} was interrupted ({cause}): {what}")

    def is_retryable(self) -> bool:
        """Only a job left running makes a retry safe (it re-attaches instead of paying again)."""
        return not self.cancelled


class GeminiBatchInputError(GeminiBatchError):
    """The batch input is invalid; nothing was uploaded.

    Its message is read by whoever reads the task's log: the problems name a line, a JSON pointer and the
    offending value's type and size, never the value (:mod:`airflow_batch_gemini.input.problems`), unless
    the deployment sets ``[gemini_batch] show_row_values``.

    :param problems: one human-readable line per problem (``line N: /pointer: message``).
    :param total: how many problems there are in all (``problems`` may hold only the first few).
    :param rejects_uri: the rejects file listing every invalid line, when one was written.
    """

    def __init__(self, source: str, problems: list[str], total: int | None = None,
                 rejects_uri: str | None = None) -> None:
        self.source = source
        self.problems = problems
        self.total = len(problems) if total is None else total
        self.rejects_uri = rejects_uri
        shown = "\n  ".join(problems)
        more = f"\n  ... and {self.total - len(problems)} more" if self.total > len(problems) else ""
        every = f"\nEvery rejected line, with all its problems: {rejects_uri}" if rejects_uri else ""
        super().__init__(f"{source}: {self.total} problem(s), nothing uploaded:\n  {shown}{more}{every}")


class GeminiBatchUploadConflictError(GeminiBatchError):
    """The destination object exists with other content; it was not overwritten.

    Permanent (two runs share a destination, or ``overwrite`` is needed) unless raised with
    ``retryable=True``, for a race a second try settles.
    """

    def __init__(self, message: str, retryable: bool = False) -> None:
        self.retryable = retryable
        super().__init__(message)


class GeminiBatchOutputError(GeminiBatchError):
    """The job's output cannot be read or split (e.g. no ``*.jsonl`` under the output directory)."""


class GeminiBatchInputChangedError(GeminiBatchError):
    """The input changed between its validation and its upload; the upload was cancelled, nothing kept."""

    retryable = True  # once the other writer is done, a retry reads one version


class GeminiBatchPartialFailureError(GeminiBatchError):
    """Too many rows failed or are missing for the task's policy (``fail_on_partial``, ``max_failure_ratio``).

    The result files are written and the manifest pushed before this is raised.

    :param reason: which limit was crossed, and by how much.
    :param manifest: the results' manifest (counts and file URIs).
    """

    def __init__(self, reason: str, manifest: Mapping[str, Any]) -> None:
        self.reason = reason
        self.manifest = manifest
        super().__init__(
            f"{reason}: {manifest.get('failed', 0)} failed row(s) in {manifest.get('failed_uri')}, "
            f"{manifest.get('missing', 0)} missing in {manifest.get('missing_uri')}. Read failures_by_status "
            "in the manifest; resubmit retryable rows (GeminiBatchResubmitFailedOperator) or relax the policy."
        )


class GeminiBatchPreflightError(GeminiBatchConfigurationError):
    """The checks before a job's create found what would make the job fail, or be paid for in vain: input
    that is missing, unreadable or not input at all, a missing output or result bucket, an output the
    downstream tasks cannot read. No job was created.

    :param problems: one line per problem, each naming the object, bucket or task and what to change.
    """

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        shown = "\n  ".join(problems)
        super().__init__(f"No batch job created: {len(problems)} problem(s) found before the create:\n  {shown}")
