"""The deferrable trigger: polls one batch job from the triggerer until it ends or the deadline passes."""

from __future__ import annotations

import asyncio
import importlib
import signal
import time
from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING, Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

from airflow_batch_gemini.exceptions import GeminiBatchApiError
from airflow_batch_gemini.job.names import DEFAULT_LOCATION, check_location, parse_job_name
from airflow_batch_gemini.job.wait_settings import (
    DEFAULT_MAX_OUTAGE,
    check_max_outage,
    check_max_transient_errors,
    check_poll_interval,
)
from airflow_batch_gemini.job.watch import JobWatch

if TYPE_CHECKING:
    from airflow_batch_gemini.hooks.batch_prediction import GeminiBatchAsyncHook

#: Imported on first use in a worker thread: the Google provider takes over a second to import,
#: which would otherwise block the triggerer's event loop (and every other trigger on it).
_HOOK_MODULE = "airflow_batch_gemini.hooks.batch_prediction"
#: How long cancelling the job may take when the task is killed or interrupted: within the triggerer's
#: ``[triggerer] on_kill_timeout`` (30 s by default), which would otherwise cut it off unfinished.
_CANCEL_TIMEOUT = 25.0


def interrupted_by_sigint() -> bool:
    """Whether the event loop running this coroutine was told to stop by SIGINT (Ctrl-C).

    ``asyncio.run`` in the main thread (as ``airflow dags test`` runs a deferred task's trigger, in line)
    catches SIGINT itself and cancels its main task; its handler counts the signals it got. A triggerer
    installs handlers of its own (the trigger runner's; SIG_DFL in a forked one), so there this is always
    ``False``: a triggerer that shuts down, or hands the trigger to another triggerer, cancels the coroutine
    exactly as Ctrl-C does, and the job must then run on.
    """
    handler = signal.getsignal(signal.SIGINT)
    on_sigint = getattr(handler, "func", None)  # asyncio.Runner installs functools.partial(self._on_sigint, ...)
    runner = getattr(on_sigint, "__self__", None)
    runner_class = getattr(asyncio, "Runner", None)  # Python 3.11+
    return runner_class is not None and isinstance(runner, runner_class) and getattr(runner, "_interrupt_count", 0) > 0


class GeminiBatchJobTrigger(BaseTrigger):
    """Poll a Vertex AI batch job and fire one event when it ends (see :mod:`airflow_batch_gemini.job.watch`).

    Only small, non-secret values are serialized; credentials come from the connection when the
    trigger runs. The trigger only polls: what each state means is decided by
    :class:`~airflow_batch_gemini.job.watch.JobWatch`, and what to do about it by the operator.

    Transient errors (429, 5xx, no connection) make it back off, exponentially with jitter, and it rides out
    an outage for ``max_outage`` seconds. It cancels the job (``cancel_on_kill``) when the task is killed on
    Airflow 3.3+ (the triggerer calls :meth:`on_kill`), and when Ctrl-C stops an ``airflow dags test`` that
    runs it in line; never when a triggerer shuts down or hands it to another triggerer, which resumes the wait.

    :param job_name: the job's full resource name.
    :param location: the job's Vertex AI region.
    :param gcp_conn_id: the Airflow connection to Google Cloud.
    :param impersonation_chain: a service account to impersonate, or a chain of them.
    :param poll_interval: seconds between two polls (0.1 s to 96 h).
    :param deadline: wall-clock epoch seconds at which to stop waiting and fire a ``timeout`` event
        (the operator then cancels the job); ``None`` waits as long as the job runs.
    :param api_endpoint: overrides the REST endpoint (e.g. the local emulator).
    :param max_transient_errors: an extra bound on transient errors in a row (``None``: only ``max_outage``).
        Triggers serialized by earlier versions carry it (then 10); they still load and run.
    :param cancel_on_kill: cancel the job when the task is killed (mark failed/success, clear) on
        Airflow 3.3+, where the triggerer calls :meth:`on_kill`, and on Ctrl-C of ``airflow dags test``.
    :param max_outage: seconds polling may keep failing with transient errors before the trigger fires an
        ``outage`` error event (by default an hour).
    """

    def __init__(
        self,
        job_name: str,
        location: str = DEFAULT_LOCATION,
        gcp_conn_id: str = "google_cloud_default",
        impersonation_chain: str | Sequence[str] | None = None,
        poll_interval: float = 30.0,
        deadline: float | None = None,
        api_endpoint: str | None = None,
        max_transient_errors: int | None = None,
        cancel_on_kill: bool = True,
        max_outage: float = DEFAULT_MAX_OUTAGE.total_seconds(),
    ) -> None:
        super().__init__()
        owner = f"GeminiBatchJobTrigger for {job_name}"
        self.job_name = job_name
        self.location = location
        self.gcp_conn_id = gcp_conn_id
        self.impersonation_chain = impersonation_chain
        self.poll_interval = check_poll_interval(poll_interval, owner)
        self.deadline = deadline
        self.api_endpoint = api_endpoint
        self.max_transient_errors = check_max_transient_errors(max_transient_errors, owner)
        self.cancel_on_kill = cancel_on_kill
        self.max_outage = check_max_outage(max_outage, owner)

    def serialize(self) -> tuple[str, dict[str, Any]]:
        """Class path and the keyword arguments that rebuild this trigger (no secrets)."""
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "job_name": self.job_name,
                "location": self.location,
                "gcp_conn_id": self.gcp_conn_id,
                "impersonation_chain": self.impersonation_chain,
                "poll_interval": self.poll_interval,
                "deadline": self.deadline,
                "api_endpoint": self.api_endpoint,
                "max_transient_errors": self.max_transient_errors,
                "cancel_on_kill": self.cancel_on_kill,
                "max_outage": self.max_outage,
            },
        )

    async def _hook(self) -> GeminiBatchAsyncHook:
        hooks = await asyncio.to_thread(importlib.import_module, _HOOK_MODULE)
        return hooks.GeminiBatchAsyncHook(
            gcp_conn_id=self.gcp_conn_id,
            impersonation_chain=self.impersonation_chain,
            location=self.location,
            api_endpoint=self.api_endpoint,
        )

    def new_watch(self) -> JobWatch:
        """The watch that decides each poll of this trigger."""
        return JobWatch(self.job_name, self.deadline, self.max_transient_errors, self.max_outage, self.poll_interval)

    async def run(self) -> AsyncIterator[TriggerEvent]:
        """Poll until the job ends, the deadline passes or polling fails; yield exactly one event.

        A malformed job name or location (one that could point a request elsewhere) raises
        :class:`~airflow_batch_gemini.job.names.InvalidNameError` before the hook is made. (Not in
        ``__init__``: a triggerer survives only a ``TypeError`` there.)
        """
        parse_job_name(self.job_name)
        check_location(self.location)
        watch = self.new_watch()
        hook = await self._hook()
        try:
            while True:
                decision = watch.check_deadline(time.time())
                if decision is None:
                    try:
                        decision = watch.observe(await hook.get_job(self.job_name))
                    except GeminiBatchApiError as err:
                        decision = watch.observe_error(err, time.time())
                decision.log_to(self.log)
                if decision.event is not None:
                    yield TriggerEvent(decision.event)
                    return
                await asyncio.sleep(watch.next_sleep(time.time()))
        except asyncio.CancelledError:
            if interrupted_by_sigint():
                await self._cancel_job("Interrupted (SIGINT)")
            raise
        finally:
            await hook.close()

    async def on_kill(self) -> None:
        """Cancel the remote job when a user kills the task (called by Airflow 3.3+ only)."""
        await self._cancel_job("Task killed")

    async def _cancel_job(self, why: str) -> None:
        if not self.cancel_on_kill:
            self.log.warning("%s: %s runs on (cancel_on_kill is off)", why, self.job_name)
            return
        hook = await self._hook()
        try:
            cancelled = await asyncio.wait_for(hook.cancel_job(self.job_name), timeout=_CANCEL_TIMEOUT)
            self.log.warning("%s: %s %s", why, self.job_name, "cancelled" if cancelled else "had already finished")
        finally:
            await hook.close()
