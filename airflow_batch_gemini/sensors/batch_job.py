"""Wait, deferrably, on a Gemini batch job submitted elsewhere."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseSensorOperator, PokeReturnValue

from airflow_batch_gemini.exceptions import GeminiBatchApiError
from airflow_batch_gemini.job.names import DEFAULT_LOCATION, console_url, parse_job_name
from airflow_batch_gemini.job.wait_settings import (
    DEFAULT_MAX_OUTAGE,
    SERVICE_MAX_WAIT,
    check_max_outage,
    check_max_transient_errors,
    check_poll_interval,
    check_timeout,
)
from airflow_batch_gemini.job.watch import JobWatch, result_from_event
from airflow_batch_gemini.manifests import JobManifest
from airflow_batch_gemini.operators.failures import fails_fast
from airflow_batch_gemini.operators.job_client import GeminiBatchJobClientMixin

if TYPE_CHECKING:
    from airflow.sdk import Context


class GeminiBatchJobSensor(GeminiBatchJobClientMixin, BaseSensorOperator):
    """Wait for a batch job, given by name, to end; return its manifest like the submit operator.

    Ends the way the state map says: SUCCEEDED and PARTIALLY_SUCCEEDED succeed; FAILED, CANCELLED
    and EXPIRED raise :class:`~airflow_batch_gemini.exceptions.GeminiBatchJobFailedError`; an
    unknown state raises rather than poking forever. Errors a retry cannot help with (an unknown state, a 4xx
    answer, a malformed job name) fail the task at once, without its retries. The sensor never cancels a job
    it did not submit. Its log names the job once, with its link in the Google Cloud console.

    Transient errors (429, 5xx, no connection) are ridden out for ``max_outage``, the polls backing off
    exponentially with jitter, deferred or not (the rule of :class:`~airflow_batch_gemini.job.watch.JobWatch`).
    In ``reschedule`` mode each poke is a new process, which starts the count afresh: there the sensor's
    ``timeout`` bounds an outage.

    :param job_name: the job's full resource name
        (``projects/P/locations/L/batchPredictionJobs/ID``). Templated. Parsed strictly before any request, on
        the poke path and the deferred one alike: its location is where the requests go, so a name that is not
        exactly of this shape is refused (:class:`~airflow_batch_gemini.job.names.InvalidNameError`).
    :param gcp_conn_id: the Airflow connection to Google Cloud. Templated.
    :param impersonation_chain: a service account to impersonate, or a chain of them. Templated.
    :param api_endpoint: overrides the Vertex AI REST endpoint. Templated.
    :param deferrable: wait in the triggerer rather than in a worker slot.
    :param max_transient_errors: an extra bound: also give up after this many 429/5xx/network errors in a row
        (``None``, the default: only ``max_outage`` bounds an outage).
    :param max_outage: how long polling may keep failing with transient errors before the sensor gives up (a
        ``timedelta`` or seconds; an hour by default).
    :param poke_interval: seconds between two polls (0.1 s to 96 h; 60 by default), as for any sensor.
    :param timeout: how long to wait in all, more than 0 (96 h by default), as for any sensor.
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
        max_transient_errors: int | None = None,
        max_outage: timedelta | float = DEFAULT_MAX_OUTAGE,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("poke_interval", 60.0)
        kwargs.setdefault("timeout", SERVICE_MAX_WAIT.total_seconds())
        super().__init__(**kwargs)
        owner = f"{type(self).__name__} {self.task_id!r}"
        check_poll_interval(self.poke_interval, owner, "poke_interval")
        check_timeout(self.timeout, owner)
        self.job_name = job_name
        self.gcp_conn_id = gcp_conn_id
        self.impersonation_chain = impersonation_chain
        self.api_endpoint = api_endpoint
        self.deferrable = deferrable
        self.max_transient_errors = check_max_transient_errors(max_transient_errors, owner)
        self.max_outage = check_max_outage(max_outage, owner)
        self.location = DEFAULT_LOCATION
        self._watch: JobWatch | None = None

    @fails_fast
    def execute(self, context: Context) -> Any:
        self.location = parse_job_name(self.job_name).location  # the rendered name says where the job is
        if not self.reschedule or context["ti"].get_first_reschedule_date(context) is None:
            self.log.info("Waiting for batch job %s: %s", self.job_name, console_url(self.job_name))
        if not self.deferrable:
            return super().execute(context)
        self.defer(
            trigger=self.job_trigger(
                self.job_name, self.poke_interval, time.time() + self.timeout, cancel_on_kill=False
            ),
            method_name="execute_complete",
        )

    @property
    def watch(self) -> JobWatch:
        """The watch of the pokes of this try (``deferrable=False``): it remembers an outage across pokes."""
        if self._watch is None:
            self._watch = JobWatch(self.job_name, None, self.max_transient_errors, self.max_outage,
                                   self.poke_interval)
        return self._watch

    @fails_fast
    def poke(self, context: Context) -> PokeReturnValue:
        """One synchronous look at the job (``deferrable=False``); a transient error within the tolerance
        is one more poke to come, sooner or later as the backoff says (:meth:`_get_next_poke_interval`)."""
        try:
            decision = self.watch.observe(self.hook.get_job(self.job_name))
        except GeminiBatchApiError as err:
            decision = self.watch.observe_error(err, time.time())
        decision.log_to(self.log)
        if decision.event is None:
            return PokeReturnValue(is_done=False)
        return PokeReturnValue(is_done=True, xcom_value=result_from_event(decision.event))

    def _get_next_poke_interval(
        self, started_at: datetime | float, run_duration: Callable[[], float], poke_count: int
    ) -> float:
        """During an outage, the watch's backoff; otherwise the sensor's own interval (``poke_interval``, or
        Airflow's ``exponential_backoff`` if set)."""
        if self._watch is not None and self._watch.outage_since is not None:
            return self._watch.next_sleep(time.time())
        return super()._get_next_poke_interval(started_at, run_duration, poke_count)

    @fails_fast
    def execute_complete(self, context: Context, event: dict[str, Any]) -> JobManifest:
        """The manifest of the finished job, or its typed error."""
        return result_from_event(event)
