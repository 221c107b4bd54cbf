"""The deferrable trigger: polls one batch job from the triggerer until it ends or the deadline passes."""

from __future__ import annotations

import asyncio
import importlib
import time
from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING, Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

from airflow_batch_gemini.exceptions import GeminiBatchApiError
from airflow_batch_gemini.job.names import DEFAULT_LOCATION
from airflow_batch_gemini.job.watch import JobWatch

if TYPE_CHECKING:
    from airflow_batch_gemini.hooks.batch_prediction import GeminiBatchAsyncHook

#: Imported on first use in a worker thread: the Google provider takes over a second to import,
#: which would otherwise block the triggerer's event loop (and every other trigger on it).
_HOOK_MODULE = "airflow_batch_gemini.hooks.batch_prediction"


class GeminiBatchJobTrigger(BaseTrigger):
    """Poll a Vertex AI batch job and fire one event when it ends (see :mod:`airflow_batch_gemini.job.watch`).

    Only small, non-secret values are serialized; credentials come from the connection when the
    trigger runs. The trigger only polls: what each state means is decided by
    :class:`~airflow_batch_gemini.job.watch.JobWatch`, and what to do about it by the operator.

    :param job_name: the job's full resource name.
    :param location: the job's Vertex AI region.
    :param gcp_conn_id: the Airflow connection to Google Cloud.
    :param impersonation_chain: a service account to impersonate, or a chain of them.
    :param poll_interval: seconds between two polls.
    :param deadline: wall-clock epoch seconds at which to stop waiting and fire a ``timeout`` event
        (the operator then cancels the job); ``None`` waits as long as the job runs.
    :param api_endpoint: overrides the REST endpoint (e.g. the local emulator).
    :param max_transient_errors: consecutive 429/5xx/network errors tolerated before failing.
    :param cancel_on_kill: cancel the job when the task is killed (mark failed/success, clear) on
        Airflow 3.3+, where the triggerer calls :meth:`on_kill`.
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
        max_transient_errors: int = 10,
        cancel_on_kill: bool = True,
    ) -> None:
        super().__init__()
        self.job_name = job_name
        self.location = location
        self.gcp_conn_id = gcp_conn_id
        self.impersonation_chain = impersonation_chain
        self.poll_interval = poll_interval
        self.deadline = deadline
        self.api_endpoint = api_endpoint
        self.max_transient_errors = max_transient_errors
        self.cancel_on_kill = cancel_on_kill

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

    async def run(self) -> AsyncIterator[TriggerEvent]:
        """Poll until the job ends, the deadline passes or polling fails; yield exactly one event."""
        watch = JobWatch(self.job_name, self.deadline, self.max_transient_errors)
        hook = await self._hook()
        try:
            while True:
                decision = watch.check_deadline(time.time())
                if decision is None:
                    try:
                        decision = watch.observe(await hook.get_job(self.job_name))
                    except GeminiBatchApiError as err:
                        decision = watch.observe_error(err)
                decision.log_to(self.log)
                if decision.event is not None:
                    yield TriggerEvent(decision.event)
                    return
                await asyncio.sleep(watch.next_sleep(time.time(), self.poll_interval))
        finally:
            await hook.close()

    async def on_kill(self) -> None:
        """Cancel the remote job when a user kills the task (called by Airflow 3.3+ only)."""
        if not self.cancel_on_kill:
            return
        hook = await self._hook()
        try:
            cancelled = await asyncio.wait_for(hook.cancel_job(self.job_name), timeout=60)
            self.log.warning(
                "Task killed: %s %s", self.job_name, "cancelled" if cancelled else "had already finished"
            )
        finally:
            await hook.close()
