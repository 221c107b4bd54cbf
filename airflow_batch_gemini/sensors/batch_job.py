"""Wait, deferrably, on a Gemini batch job submitted elsewhere."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseSensorOperator, PokeReturnValue

from airflow_batch_gemini.job.names import DEFAULT_LOCATION, parse_job_name
from airflow_batch_gemini.job.watch import JobWatch, result_from_event
from airflow_batch_gemini.manifests import JobManifest
from airflow_batch_gemini.operators.job_client import GeminiBatchJobClientMixin

if TYPE_CHECKING:
    from airflow.sdk import Context


class GeminiBatchJobSensor(GeminiBatchJobClientMixin, BaseSensorOperator):
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
        self.location = DEFAULT_LOCATION

    def execute(self, context: Context) -> Any:
        self.location = parse_job_name(self.job_name).location  # the rendered name says where the job is
        if not self.deferrable:
            return super().execute(context)
        self.defer(
            trigger=self.job_trigger(
                self.job_name, self.poke_interval, time.time() + self.timeout, cancel_on_kill=False
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

    def execute_complete(self, context: Context, event: dict[str, Any]) -> JobManifest:
        """The manifest of the finished job, or its typed error."""
        return result_from_event(event)
