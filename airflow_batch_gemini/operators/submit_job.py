"""Submit a Gemini batch job (idempotently) and wait for it, deferred or synchronously."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any, NoReturn

from airflow.sdk import BaseOperator

from airflow_batch_gemini.confinement import allowed_prefixes, check_allowed_uri, check_allowed_uris
from airflow_batch_gemini.hooks.storage import GeminiBatchStorageHook
from airflow_batch_gemini.job.identity import REQUEST_LABEL, identity_labels, request_fingerprint
from airflow_batch_gemini.job.names import DEFAULT_LOCATION, check_location, console_url, model_resource_name
from airflow_batch_gemini.job.preflight import check_model_location
from airflow_batch_gemini.job.spec import build_job_body, prepared_input_uris
from airflow_batch_gemini.job.states import is_reusable
from airflow_batch_gemini.job.wait_settings import (
    DEFAULT_MAX_OUTAGE,
    SERVICE_MAX_WAIT,
    check_margin,
    check_max_outage,
    check_max_transient_errors,
    check_poll_interval,
    check_timeout,
)
from airflow_batch_gemini.job.watch import result_from_event
from airflow_batch_gemini.lineage import openlineage_datasets
from airflow_batch_gemini.links.batch_job import JOB_NAME_KEY, GeminiBatchJobLink
from airflow_batch_gemini.manifests import JobManifest
from airflow_batch_gemini.operators.failures import fails_fast
from airflow_batch_gemini.operators.job_wait import GeminiBatchJobWaitMixin
from airflow_batch_gemini.operators.orphaned_jobs import sweep_orphaned_jobs
from airflow_batch_gemini.operators.submit_preflight import cancel_stale_jobs, check_destinations, checked_input
from airflow_batch_gemini.uris import as_uri_list

#: The default display name: every run has a ``run_after``, not every one a logical date (``ts_nodash``).
DEFAULT_DISPLAY_NAME = (
    "{{ (dag.dag_id ~ '-' ~ task.task_id ~ '-' ~ (dag_run.logical_date or dag_run.run_after)"
    ".strftime('%Y%m%dT%H%M%S'))[:128] }}"
)

if TYPE_CHECKING:
    from airflow.providers.openlineage.extractors import OperatorLineage
    from airflow.sdk import Context
    from airflow.triggers.base import BaseTrigger


class GeminiBatchSubmitJobOperator(GeminiBatchJobWaitMixin, BaseOperator):
    """Submit a Vertex AI Gemini batch prediction job from Cloud Storage and wait until it ends.

    The job gets deterministic identity labels (dag, task, run, map index) and a fingerprint of
    what it was asked (model, input, output). A retry of this task never creates a second job: it
    re-attaches to the job an earlier try created while that job is waiting, running or has
    succeeded (found through ``task_state_store`` on Airflow 3.3+, else through the labels), and
    submits again only after a terminal failure or when the input changed. The job name is pushed
    to XCom (key ``job_name``) before the task defers. Before it submits, the task cancels the jobs of
    its own earlier task instances that no instance waits for any more (``cancel_orphaned_jobs``).

    On success the task returns a small manifest: ``job_name``, ``display_name``, ``model``,
    ``state`` (SUCCEEDED or PARTIALLY_SUCCEEDED), ``output_directory``, ``completion_stats``
    (``succeeded``, ``failed``, ``incomplete``), ``create_time``, ``start_time``, ``end_time``.
    FAILED, CANCELLED and EXPIRED raise :class:`~airflow_batch_gemini.exceptions.GeminiBatchJobFailedError`
    with the job's error; a state the package does not know raises
    :class:`~airflow_batch_gemini.exceptions.GeminiBatchUnknownStateError`. Errors a retry cannot help with
    (an unknown state, a 4xx answer, bad settings, a wait interrupted and its job cancelled) fail the task at
    once, without its retries (:mod:`airflow_batch_gemini.operators.failures`).

    While it waits, SIGINT (Ctrl-C) and SIGTERM (the task killed) cancel the job when ``cancel_on_kill``, in
    the worker (``deferrable=False``) and under ``airflow dags test`` in both modes; a deferred task killed on
    Airflow 3.3+ has its job cancelled by the trigger. The wait's settings are checked when the DAG is
    parsed: a value that cannot work is an import error of the DAG.

    :param input_uris: the JSON Lines input: one ``gs://`` URI, a list of them, or the dict
        returned by :class:`~airflow_batch_gemini.operators.prepare_input.GeminiBatchPrepareInputOperator`
        (its ``input_uris`` are used; a result cut into several files is refused, map the task over
        the files instead). Templated.
    :param output_uri_prefix: where results go: ``gs://bucket/prefix`` (each job gets its own
        ``prediction-model-*`` folder below it) or ``bq://project.dataset.table``. Templated.
    :param model: ``gemini-2.5-flash``, ``publishers/google/models/...`` or a tuned model
        ``projects/P/locations/L/models/M``. Templated.
    :param display_name: the job's display name (1 to 128 characters). Templated; by default
        ``{dag_id}-{task_id}-{date}``, cut at 128 characters, where the date is the run's logical date, or its
        ``run_after`` for a run without one (``20260102T030405``).
    :param labels: extra labels for the job (billing, ownership). Templated.
    :param project_id: the Google Cloud project; the connection's by default. Templated.
    :param location: the Vertex AI region. Templated.
    :param gcp_conn_id: the Airflow connection to Google Cloud. Templated.
    :param impersonation_chain: a service account to impersonate, or a chain of them, each granting
        the Service Account Token Creator role to the one before it. Templated.
    :param api_endpoint: overrides the Vertex AI REST endpoint (else the connection extra
        ``vertex_ai_endpoint``). Templated.
    :param deferrable: wait in the triggerer (no worker slot held) rather than in the worker.
    :param poll_interval: seconds between two polls of the job, from 0.1 s to 96 h.
    :param timeout: how long to wait for the job (a ``timedelta`` or seconds, more than 0). When it passes, or
        shortly before the task's ``execution_timeout`` would kill it, the wait ends with a timeout
        and the job is cancelled if ``cancel_on_timeout``. By default the service's own maximum (96 h).
    :param cancel_on_timeout: cancel the job when the wait times out.
    :param cancel_on_kill: cancel the job when the wait is interrupted: SIGINT or SIGTERM while it waits (in
        the worker, or under ``airflow dags test``), the task killed while deferred (Airflow 3.3+). The task
        then fails without its retries, which would pay for a new job.
    :param max_transient_errors: an extra bound: the wait also gives up after this many 429/5xx/network errors
        in a row. ``None`` (the default) leaves the bound to ``max_outage``; kept for DAGs written for earlier
        versions, where it was the only bound.
    :param timeout_margin: seconds kept between the wait's deadline and ``execution_timeout``, so
        the job can be cancelled before Airflow kills the task (0 or more).
    :param max_outage: how long polling may keep failing with 429/5xx/network errors before the wait gives up
        (a ``timedelta`` or seconds; an hour by default). Meanwhile the polls back off exponentially, with
        jitter, up to ten poll intervals (at most 10 minutes) apart; one good poll ends the outage. A wait that
        gives up raises :class:`~airflow_batch_gemini.exceptions.GeminiBatchTransientError`: the job may still
        run, and a retry of the task re-attaches to it.
    :param cancel_orphaned_jobs: before submitting, cancel the unfinished jobs of this task's other instances
        that have finished (a deferred task killed before Airflow 3.3 leaves its job running); see
        :class:`~airflow_batch_gemini.operators.orphaned_jobs.GeminiBatchCancelOrphanedJobsOperator`.
    :param allowed_source_prefixes: the ``gs://`` buckets or folders the job may read its input from
        (``["gs://team-a/"]``): ``input_uris``, once rendered, must all lie under one of them, or the task
        fails before it reads anything or creates a job. ``None`` (the default) allows every bucket.
    :param allowed_destination_prefixes: the buckets or folders (``gs://team-a/out/``), or BigQuery projects,
        datasets or tables (``bq://project.dataset``), ``output_uri_prefix`` must lie under, checked as the
        input is. ``None`` (the default) allows any.
    """

    template_fields: Sequence[str] = (
        "input_uris",
        "output_uri_prefix",
        "model",
        "display_name",
        "labels",
        "project_id",
        "location",
        "gcp_conn_id",
        "impersonation_chain",
        "api_endpoint",
    )
    template_fields_renderers = {"labels": "json"}
    ui_color = "#c6dafc"
    operator_extra_links = (GeminiBatchJobLink(),)

    def __init__(
        self,
        *,
        input_uris: str | Sequence[str] | Mapping[str, Any],
        output_uri_prefix: str,
        model: str = "gemini-2.5-flash",
        display_name: str = DEFAULT_DISPLAY_NAME,
        labels: Mapping[str, str] | None = None,
        project_id: str | None = None,
        location: str = DEFAULT_LOCATION,
        gcp_conn_id: str = "google_cloud_default",
        impersonation_chain: str | Sequence[str] | None = None,
        api_endpoint: str | None = None,
        deferrable: bool = True,
        poll_interval: float = 30.0,
        timeout: timedelta | float | None = SERVICE_MAX_WAIT,
        cancel_on_timeout: bool = True,
        cancel_on_kill: bool = True,
        max_transient_errors: int | None = None,
        timeout_margin: float = 60.0,
        max_outage: timedelta | float = DEFAULT_MAX_OUTAGE,
        cancel_orphaned_jobs: bool = True,
        allowed_source_prefixes: Sequence[str] | None = None,
        allowed_destination_prefixes: Sequence[str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        owner = self._owner
        self.input_uris = input_uris
        self.output_uri_prefix = output_uri_prefix
        self.model = model
        self.display_name = display_name
        self.labels = labels
        self.project_id = project_id
        self.location = location
        self.gcp_conn_id = gcp_conn_id
        self.impersonation_chain = impersonation_chain
        self.api_endpoint = api_endpoint
        self.deferrable = deferrable
        self.poll_interval = check_poll_interval(poll_interval, owner)
        check_timeout(timeout, owner)
        self.timeout = timeout
        self.cancel_on_timeout = cancel_on_timeout
        self.cancel_on_kill = cancel_on_kill
        self.max_transient_errors = check_max_transient_errors(max_transient_errors, owner)
        self.timeout_margin = check_margin(timeout_margin, owner)
        self.max_outage = check_max_outage(max_outage, owner)
        self.cancel_orphaned_jobs = cancel_orphaned_jobs
        self.allowed_source_prefixes = allowed_prefixes(allowed_source_prefixes)
        self.allowed_destination_prefixes = allowed_prefixes(allowed_destination_prefixes)
        self.job_name: str | None = None

    # -- submission ------------------------------------------------------------------------------
    def _input_uri_list(self) -> list[str]:
        if isinstance(self.input_uris, Mapping):
            return prepared_input_uris(self.input_uris)
        return as_uri_list(self.input_uris)

    def _check_locations(self) -> None:
        """Refuse rendered ``input_uris`` outside ``allowed_source_prefixes`` and an ``output_uri_prefix`` outside
        ``allowed_destination_prefixes``, before anything is read or any job created.

        :raises GeminiBatchAccessRefusedError: naming the parameter, the URI and the allow-list.
        """
        check_allowed_uris(self._input_uri_list(), self.allowed_source_prefixes, "input_uris")
        check_allowed_uri(self.output_uri_prefix, self.allowed_destination_prefixes, "output_uri_prefix")

    def _identity(self, context: Context, fingerprint: str) -> dict[str, str]:
        ti = context["ti"]
        map_index = getattr(ti, "map_index", -1)
        return identity_labels(ti.dag_id, ti.task_id, ti.run_id, map_index, fingerprint)

    def _stored_job(self, context: Context, fingerprint: str) -> dict[str, Any] | None:
        """The job an earlier try recorded in ``task_state_store``, if it can be re-attached to: it is
        waiting, running or succeeded, and was asked for the same (``fingerprint``: model, output, and the
        input as it is now, content included). Any other is left to :meth:`_before_create`."""
        store = context.get("task_state_store")  # Airflow 3.3+ only
        name = store.get(JOB_NAME_KEY) if store is not None else None
        if not isinstance(name, str) or not name:
            return None
        job = self.hook.get_job(name)
        same_request = (job.get("labels") or {}).get(REQUEST_LABEL) == fingerprint
        return job if is_reusable(job) and same_request else None

    def _storage(self) -> GeminiBatchStorageHook:
        return GeminiBatchStorageHook(gcp_conn_id=self.gcp_conn_id, impersonation_chain=self.impersonation_chain)

    def _request(self, storage: GeminiBatchStorageHook) -> tuple[str, dict[str, Any], str]:
        """The project, the create body and the fingerprint of what this try asks; checks what needs no
        job first: the location, the model and where it is, the input (it exists, can be read, holds no
        file of the package that is no input; its content goes into the fingerprint).

        :raises GeminiBatchConfigurationError: a check failed (permanent: no retry will pass it).
        """
        self._check_locations()
        check_location(self.location)
        project = self.hook.resolve_project_id(self.project_id)
        model = model_resource_name(self.model, project, self.location)
        check_model_location(model, self.location)
        uris = self._input_uri_list()
        body = build_job_body(
            display_name=self.display_name,
            model=model,
            input_uris=uris,
            output_uri=self.output_uri_prefix,
            labels=self.labels,
        )
        contents = checked_input(storage, uris, self.gcp_conn_id)
        return project, body, request_fingerprint(model, uris, self.output_uri_prefix, contents)

    def _before_create(
        self, context: Context, storage: GeminiBatchStorageHook, identity: dict[str, str], fingerprint: str,
        project: str,
    ) -> None:
        """Before a create: check the output and result buckets and the output kind
        (:func:`~airflow_batch_gemini.operators.submit_preflight.check_destinations`), then cancel the jobs
        of earlier tries of this task instance that were asked for something else and still run."""
        check_destinations(self, context, storage, self.output_uri_prefix, self.log)
        cancel_stale_jobs(self.hook, identity, fingerprint, project, self.log)

    def submit(self, context: Context) -> dict[str, Any]:
        """Create the job, or re-attach to the one an earlier try of this task instance created for the same
        request (model, output, and input content as it is now).

        Before a create it checks what would make the job fail after it was queued, or be paid for in vain
        (see :mod:`airflow_batch_gemini.job.preflight`), and cancels a job of an earlier try that was asked
        for other input and still runs. The log names the job with its console URL, once.
        """
        storage = self._storage()
        project, body, fingerprint = self._request(storage)
        identity = self._identity(context, fingerprint)
        job = self._stored_job(context, fingerprint)
        created = False
        if job is None:
            self._before_create(context, storage, identity, fingerprint, project)
            job, created = self.hook.submit_job(body, identity, project)
        self.job_name = str(job["name"])
        verb = "Created" if created else "Re-attached to"
        self.log.info("%s batch job %s (state %s): %s", verb, self.job_name, job.get("state"),
                      console_url(self.job_name))
        store = context.get("task_state_store")
        if store is not None:
            store.set(JOB_NAME_KEY, self.job_name)
        context["ti"].xcom_push(key=JOB_NAME_KEY, value=self.job_name)
        return job

    # -- execution -------------------------------------------------------------------------------
    @fails_fast
    def execute(self, context: Context) -> JobManifest:
        self._check_locations()  # before the sweep too: a refused task touches nothing
        if self.cancel_orphaned_jobs:
            check_location(self.location)  # the sweep calls the location's endpoint: a malformed one fails first
            ti = context["ti"]
            sweep_orphaned_jobs(self.hook, ti, ti.dag_id, ti.task_id, self.project_id, self.log)
        job = self.submit(context)
        watch = self.new_watch(context, str(job["name"]))
        decision = watch.observe(job)
        if decision.event is not None:
            return self.execute_complete(context, decision.event)
        if self.deferrable:
            self.defer(
                trigger=self.job_trigger(watch.job_name, self.poll_interval, watch.deadline, self.cancel_on_kill),
                method_name="execute_complete",
            )
        return self.execute_complete(context, self.wait(watch))

    def defer(
        self,
        *,
        trigger: BaseTrigger,
        method_name: str,
        kwargs: dict[str, Any] | None = None,
        timeout: timedelta | int | float | None = None,
    ) -> NoReturn:
        """Defer to ``trigger``; from then on this copy of the task waits no more (see :meth:`on_kill`)."""
        self._deferred = True
        super().defer(trigger=trigger, method_name=method_name, kwargs=kwargs, timeout=timeout)

    @fails_fast
    def execute_complete(self, context: Context, event: dict[str, Any]) -> JobManifest:
        """Turn the wait's event into the manifest, cancelling the job first if the wait timed out (what Airflow
        calls after the deferral; see :meth:`job_result`)."""
        return self.job_result(event)

    def job_result(self, event: dict[str, Any]) -> JobManifest:
        """The manifest of the wait's event, or its typed error, cancelling the job first if the wait timed out.

        Not fail-fast itself: a caller that goes on after a failed job (a resubmission round) sees the typed error.
        """
        self.job_name = str(event.get("job_name"))
        cancelled = False
        if event.get("status") == "timeout" and self.cancel_on_timeout:
            cancelled = self.hook.cancel_job(self.job_name)
            self.log.warning("Wait timed out: %s %s", self.job_name, "cancelled" if cancelled else "already ended")
        manifest = result_from_event(event, cancelled)
        self.log.info("Batch job %s ended %s: %s", self.job_name, manifest["state"], manifest["completion_stats"])
        return manifest

    def get_openlineage_facets_on_complete(self, task_instance: Any) -> OperatorLineage | None:
        """OpenLineage datasets: the input files read and the output prefix written (if OpenLineage is installed)."""
        return openlineage_datasets(self._input_uri_list(), [self.output_uri_prefix])
