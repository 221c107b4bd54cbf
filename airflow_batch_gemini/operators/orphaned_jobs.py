"""Cancel the jobs of a task that no task instance waits for any more: a deferred task killed before Airflow 3.3
leaves its job running and billed (the rules are in :mod:`airflow_batch_gemini.job.sweep`).

The submit operator sweeps its own task's jobs each time it runs, before it creates a job;
:class:`GeminiBatchCancelOrphanedJobsOperator` sweeps the tasks it is given, on whatever schedule its DAG has.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator

from airflow_batch_gemini.exceptions import GeminiBatchApiError
from airflow_batch_gemini.job.names import DEFAULT_LOCATION
from airflow_batch_gemini.job.sweep import OrphanedJob, orphaned_jobs, task_instance_states, unfinished_jobs_filter
from airflow_batch_gemini.operators.failures import fails_fast
from airflow_batch_gemini.operators.job_client import GeminiBatchJobClientMixin

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_batch_gemini.hooks.batch_prediction import GeminiBatchHook


def sweep_orphaned_jobs(
    hook: GeminiBatchHook, ti: Any, dag_id: str, task_id: str, project_id: str | None, log: Any
) -> list[OrphanedJob]:
    """Cancel the unfinished jobs of ``dag_id.task_id`` whose task instance has finished; return them.

    ``ti`` is the running task instance: its ``get_task_states`` (the Task SDK's, Airflow 3.0+) reads the
    states of the task's instances. The jobs are listed first and the states read after, so that a state is
    never older than the list it judges. Outside Airflow's task runner (no ``get_task_states``) nothing is swept.
    """
    get_task_states = getattr(ti, "get_task_states", None)
    if get_task_states is None:
        log.debug("No task states to read outside Airflow's task runner: orphaned jobs are not swept")
        return []
    jobs = list(hook.list_jobs(project_id, filter=unfinished_jobs_filter(dag_id, task_id)))
    if not jobs:
        return []
    states = task_instance_states(task_id, get_task_states(dag_id=dag_id, task_ids=[task_id]))
    orphans = orphaned_jobs(jobs, dag_id, task_id, states)
    for orphan in orphans:
        try:
            cancelled = hook.cancel_job(orphan.job_name)
        except GeminiBatchApiError as err:  # housekeeping: never what fails the task that sweeps
            log.warning("Orphaned job %s could not be cancelled (%s): %s", orphan.job_name, err, orphan.describe())
            continue
        log.warning("Orphaned job %s: %s", "cancelled" if cancelled else "had already ended", orphan.describe())
    return orphans


class GeminiBatchCancelOrphanedJobsOperator(GeminiBatchJobClientMixin, BaseOperator):
    """Cancel the batch jobs of the given tasks that no task instance waits for any more.

    A deferred submit task that is killed (marked failed or success) before Airflow 3.3 leaves its job
    running and billed until the service ends it (up to 72 h queued plus 24 h running). The submit operator
    cancels such jobs of its own task the next time it runs; schedule this operator (say hourly) to cancel
    them sooner, or for tasks that do not run again. It cancels a job only if its identity labels name one
    instance of the task and that instance has finished (success, failed, skipped, upstream_failed, removed);
    the job of a running, deferred, queued, up-for-retry or cleared instance is never touched, nor any other
    task's job. Returns (XCom) the names of the jobs it cancelled.

    :param target_task_ids: the task id, or task ids, whose jobs to sweep (submit tasks). Templated.
    :param target_dag_id: their DAG; this task's own DAG by default. Templated.
    :param project_id: the Google Cloud project of the jobs; the connection's by default. Templated.
    :param location: the Vertex AI region of the jobs. Templated.
    :param gcp_conn_id: the Airflow connection to Google Cloud. Templated.
    :param impersonation_chain: a service account to impersonate, or a chain of them. Templated.
    :param api_endpoint: overrides the Vertex AI REST endpoint. Templated.
    """

    template_fields: Sequence[str] = (
        "target_task_ids",
        "target_dag_id",
        "project_id",
        "location",
        "gcp_conn_id",
        "impersonation_chain",
        "api_endpoint",
    )
    ui_color = "#f4cccc"

    def __init__(
        self,
        *,
        target_task_ids: str | Sequence[str],
        target_dag_id: str | None = None,
        project_id: str | None = None,
        location: str = DEFAULT_LOCATION,
        gcp_conn_id: str = "google_cloud_default",
        impersonation_chain: str | Sequence[str] | None = None,
        api_endpoint: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.target_task_ids = target_task_ids
        self.target_dag_id = target_dag_id
        self.project_id = project_id
        self.location = location
        self.gcp_conn_id = gcp_conn_id
        self.impersonation_chain = impersonation_chain
        self.api_endpoint = api_endpoint

    @fails_fast
    def execute(self, context: Context) -> list[str]:
        ti = context["ti"]
        dag_id = self.target_dag_id or ti.dag_id
        task_ids = [self.target_task_ids] if isinstance(self.target_task_ids, str) else list(self.target_task_ids)
        cancelled = [
            orphan.job_name
            for task_id in task_ids
            for orphan in sweep_orphaned_jobs(self.hook, ti, dag_id, task_id, self.project_id, self.log)
        ]
        self.log.info("%d orphaned job(s) of %s in %s cancelled", len(cancelled), ", ".join(task_ids), dag_id)
        return cancelled
