"""The wait of the submit operator in the worker, and what interrupts it: the watch with the task's deadline
and outage tolerance, the synchronous poll loop, and what SIGINT, SIGTERM and a kill do to the job.

An interruption cancels the job (``cancel_on_kill``) and ends the wait with
:class:`~airflow_batch_gemini.exceptions.GeminiBatchWaitInterruptedError`, which fails the task without its
retries once the job is cancelled: a retry would submit, and pay for, a new job.

* SIGINT (Ctrl-C) reaches a synchronous wait as ``KeyboardInterrupt``.
* SIGTERM reaches it through :meth:`GeminiBatchJobWaitMixin.on_kill`, which Airflow's task runner calls from its
  signal handler; the loop sleeps in short slices, so it notices within a second.
* Under ``airflow dags test`` a deferred task's trigger runs in line, in the same process: SIGINT is handled by
  the trigger (:mod:`airflow_batch_gemini.triggers.batch_job`), SIGTERM by the deferred copy's ``on_kill``.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from airflow_batch_gemini.exceptions import GeminiBatchApiError, GeminiBatchWaitInterruptedError
from airflow_batch_gemini.job.wait_settings import check_timeout
from airflow_batch_gemini.job.watch import JobWatch
from airflow_batch_gemini.operators.job_client import GeminiBatchJobClientMixin

if TYPE_CHECKING:
    from airflow.sdk import Context

#: The longest slice of a synchronous wait's sleep: how soon it notices that the task was killed.
_SLEEP_SLICE = 1.0


class GeminiBatchJobWaitMixin(GeminiBatchJobClientMixin):
    """Waits on a job for an operator with ``poll_interval``, ``timeout``, ``timeout_margin``, ``max_outage``,
    ``max_transient_errors`` and ``cancel_on_kill`` (checked by its constructor), in the worker or deferred."""

    poll_interval: float
    timeout: timedelta | float | None
    timeout_margin: float
    cancel_on_kill: bool
    execution_timeout: timedelta | None
    job_name: str | None
    log: Any
    task_id: str
    #: set by :meth:`on_kill`: what interrupted the wait
    _killed_by: str | None = None
    _cancelled_on_kill = False
    _deferred = False

    @property
    def _owner(self) -> str:
        return f"{type(self).__name__} {self.task_id!r}"

    def _deadline(self, context: Context) -> float | None:
        """Epoch seconds at which the wait stops: ``timeout`` from now, and before ``execution_timeout``."""
        now = time.time()
        deadlines = []
        if (timeout := check_timeout(self.timeout, self._owner)) is not None:
            deadlines.append(now + timeout)
        if self.execution_timeout is not None:
            start = getattr(context["ti"], "start_date", None)
            started = start.timestamp() if start is not None else now
            budget = self.execution_timeout.total_seconds()
            deadlines.append(started + budget - min(self.timeout_margin, budget / 10))
        return min(deadlines, default=None)

    def new_watch(self, context: Context, job_name: str) -> JobWatch:
        """The watch of ``job_name`` for this task: its deadline, poll interval and outage tolerance."""
        return JobWatch(job_name, self._deadline(context), self.max_transient_errors, self.max_outage,
                        self.poll_interval)

    def wait(self, watch: JobWatch) -> dict[str, Any]:
        """Poll in this worker until the watch fires its event (``deferrable=False``).

        :raises GeminiBatchWaitInterruptedError: SIGINT (``KeyboardInterrupt``) or SIGTERM (:meth:`on_kill`)
            arrived; the job was cancelled first if ``cancel_on_kill``.
        """
        try:
            while True:
                self._pause(watch.next_sleep(time.time()))
                if self._killed_by is not None:
                    raise self._interrupted(watch.job_name, self._killed_by)
                decision = watch.check_deadline(time.time())
                if decision is None:
                    try:
                        decision = watch.observe(self.hook.get_job(watch.job_name))
                    except GeminiBatchApiError as err:
                        decision = watch.observe_error(err, time.time())
                decision.log_to(self.log)
                if decision.event is not None:
                    return decision.event
        except KeyboardInterrupt as interrupt:
            raise self._interrupted(watch.job_name, "SIGINT") from interrupt

    def _pause(self, seconds: float) -> None:
        """Sleep in short slices, so that a kill (:meth:`on_kill`, from a signal handler) ends the wait soon."""
        end = time.monotonic() + seconds
        while self._killed_by is None and (left := end - time.monotonic()) > 0:
            time.sleep(min(left, _SLEEP_SLICE))

    def _interrupted(self, job_name: str, cause: str) -> GeminiBatchWaitInterruptedError:
        """Cancel the job (unless :meth:`on_kill` did, or ``cancel_on_kill`` is off); the error to raise."""
        if self.cancel_on_kill and not self._cancelled_on_kill:
            self._cancelled_on_kill = self._cancel(job_name, cause)
        error = GeminiBatchWaitInterruptedError(job_name, cause, self._cancelled_on_kill)
        self.log.error("%s", error)
        return error

    def _cancel(self, job_name: str, cause: str) -> bool:
        """Cancel ``job_name`` because of ``cause``; whether this stopped it (``False`` if it had ended or the
        call failed: then the job is as it was, and a retry re-attaches to it)."""
        try:
            cancelled = self.hook.cancel_job(job_name)
        except GeminiBatchApiError as err:
            self.log.error("%s: could not cancel %s: %s", cause, job_name, err)
            return False
        self.log.warning("%s: %s %s", cause, job_name, "cancelled" if cancelled else "had already ended")
        return cancelled

    def on_kill(self) -> None:
        """The task is killed (SIGTERM: Airflow calls this from its signal handler): cancel the job if
        ``cancel_on_kill``, and end the wait, which then fails without retries.

        A copy of the task that has deferred is killed only when the same process also runs its trigger, as
        ``airflow dags test`` does in line (a worker exits once the task defers): then the process stops as on
        Ctrl-C, so that the trigger does not wait on for the cancelled job and hand a retry a new one to pay.
        """
        cause = "SIGTERM"
        self._killed_by = cause
        if self.cancel_on_kill and self.job_name and not self._cancelled_on_kill:
            self._cancelled_on_kill = self._cancel(self.job_name, cause)
        if self._deferred:
            raise KeyboardInterrupt(f"{cause} while its trigger runs in this process")
