"""What the submit operator and the sensor share: the Vertex AI hook and the trigger they defer to."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property

from airflow_batch_gemini.hooks.batch_prediction import GeminiBatchHook
from airflow_batch_gemini.triggers.batch_job import GeminiBatchJobTrigger


class GeminiBatchJobClientMixin:
    """Builds :class:`GeminiBatchHook` and :class:`GeminiBatchJobTrigger` from the task's connection
    settings (``gcp_conn_id``, ``impersonation_chain``, ``location``, ``api_endpoint``) and outage tolerance
    (``max_outage``, ``max_transient_errors``)."""

    gcp_conn_id: str
    impersonation_chain: str | Sequence[str] | None
    location: str
    api_endpoint: str | None
    max_transient_errors: int | None
    max_outage: float

    @cached_property
    def hook(self) -> GeminiBatchHook:
        """The Vertex AI hook for this task's connection and location."""
        return GeminiBatchHook(
            gcp_conn_id=self.gcp_conn_id,
            impersonation_chain=self.impersonation_chain,
            location=self.location,
            api_endpoint=self.api_endpoint,
        )

    def job_trigger(
        self, job_name: str, poll_interval: float, deadline: float | None, cancel_on_kill: bool
    ) -> GeminiBatchJobTrigger:
        """The trigger that waits on ``job_name`` with this task's connection settings and outage tolerance."""
        return GeminiBatchJobTrigger(
            job_name=job_name,
            location=self.location,
            gcp_conn_id=self.gcp_conn_id,
            impersonation_chain=self.impersonation_chain,
            poll_interval=poll_interval,
            deadline=deadline,
            api_endpoint=self.api_endpoint,
            max_transient_errors=self.max_transient_errors,
            cancel_on_kill=cancel_on_kill,
            max_outage=self.max_outage,
        )
