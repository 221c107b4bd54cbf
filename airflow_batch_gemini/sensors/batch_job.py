"""Wait, deferrably, on a Gemini batch job submitted elsewhere."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseSensorOperator, PokeReturnValue

from airflow_batch_gemini.hooks.batch_prediction import GeminiBatchHook
from airflow_batch_gemini.naming import DEFAULT_LOCATION, parse_job_name
from airflow_batch_gemini.triggers.batch_job import GeminiBatchJobTrigger
from airflow_batch_gemini.waiting import JobWatch, result_from_event

if TYPE_CHECKING:
    from airflow.sdk import Context


class GeminiBatchJobSensor(BaseSensorOperator):
    """Wait for a batch job, given by name, to end; return its manifest like the submit operator.

    Ends the way the state map says: SUCCEEDED and PARTIALLY_SUCCEEDED succeed; FAILED, CANCELLED
    and EXPIRED raise :class:`~airflow_batch_gemini.exceptions.GeminiBatchJobFailedError`; an
    unknown state raises rather than poking forever. The sensor never cancels a job it did not
    submit.

    :param job_name: the job's full resource name
        (``projects/P/locations/L/batchPredictionJobs/ID``). Templated.
    :param gcp_conn_id: the Airflow connection to Google Cloud. Templated.
    :param impersonation_chain: a service account to impersonate, or a chain of them. Templated.
    :param api_endpoint: overrides the Vertex AI REST endpoint. Templated.
    :param deferrable: wait in the triggerer rather than in a worker slot.
    :param max_transient_errors: consecutive 429/5xx/network errors tolerated while deferred.
    """

    template_fields: Sequence[str] = ("job_name", "gcp_conn_id", "impersonation_chain", "api_endpoint")

    def __init__(
        self,
        *,
        job_name: str,
        gcp_conn_id: str = "google_cloud_default",
        impersonation_chain: str | Sequence[str] | None = None,
        api_endpoint: str | None = None,
        deferrable: bool = True,
        max_transient_errors: int = 10,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("poke_interval", 60.0)
        kwargs.setdefault("timeout", timedelta(hours=96).total_seconds())
        super().__init__(**kwargs)
        self.job_name = job_name
        self.gcp_conn_id = gcp_conn_id
        self.impersonation_chain = impersonation_chain
        self.api_endpoint = api_endpoint
        self.deferrable = deferrable
        self.max_transient_errors = max_transient_errors

    @cached_property
    def location(self) -> str:
        """The job's region, read from its name."""
        try:
            return parse_job_name(self.job_name).location
        except ValueError:
            return DEFAULT_LOCATION

    @cached_property
    def hook(self) -> GeminiBatchHook:
        """The Vertex AI hook for this sensor's connection."""
        return GeminiBatchHook(
            gcp_conn_id=self.gcp_conn_id,
            impersonation_chain=self.impersonation_chain,
            location=self.location,
            api_endpoint=self.api_endpoint,
        )

    def execute(self, context: Context) -> Any:
        parse_job_name(self.job_name)
        if not self.deferrable:
            return super().execute(context)
        self.defer(
            trigger=GeminiBatchJobTrigger(
                job_name=self.job_name,
                location=self.location,
                gcp_conn_id=self.gcp_conn_id,
                impersonation_chain=self.impersonation_chain,
                poll_interval=self.poke_interval,
                deadline=time.time() + self.timeout,
                api_endpoint=self.api_endpoint,
                max_transient_errors=self.max_transient_errors,
                cancel_on_kill=False,
            ),
            method_name="execute_complete",
        )

    def poke(self, context: Context) -> PokeReturnValue:
        """One synchronous look at the job (``deferrable=False``)."""
        decision = JobWatch(self.job_name).observe(self.hook.get_job(self.job_name))
        decision.log_to(self.log)
        if decision.event is None:
            return PokeReturnValue(is_done=False)
        return PokeReturnValue(is_done=True, xcom_value=result_from_event(decision.event))

    def execute_complete(self, context: Context, event: dict[str, Any]) -> dict[str, Any]:
        """The manifest of the finished job, or its typed error."""
        return result_from_event(event)
