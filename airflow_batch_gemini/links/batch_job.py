"""Operator extra links: the task's Vertex AI batch job in the Google Cloud console."""

from __future__ import annotations

from typing import TYPE_CHECKING

from airflow.sdk import BaseOperatorLink
from airflow.sdk.execution_time.xcom import XCom

from airflow_batch_gemini.job.names import InvalidNameError, console_url

if TYPE_CHECKING:
    from airflow.sdk import BaseOperator
    from airflow.sdk.types import TaskInstanceKey

#: Key under which the submit operator keeps the job name in XCom (and in ``task_state_store`` on 3.3+).
JOB_NAME_KEY = "job_name"
#: The attribute of the operator that names the job it submitted, or re-attached to, in this process.
JOB_NAME_ATTRIBUTE = "job_name"


class GeminiBatchJobLink(BaseOperatorLink):
    """"Vertex AI batch job": the console page of the job the task submitted (or re-attached to).

    Airflow 3 evaluates the link in the worker, with the operator that ran, when the task defers and when
    it ends, and stores the URL (in XCom) for the UI; the link appears as soon as the job exists, while
    the task still waits. The job is the one the operator names (``job_name``: set when it submits, and
    when it resumes after deferring); the ``job_name`` XCom is read only for an operator that does not
    keep that attribute. So a task that never submitted a job (a resubmission with nothing to resend, a
    task stopped by its checks before the create) shows no link, without asking XCom for a value that is
    not there (which Airflow's client logs as an error).
    """

    name = "Vertex AI batch job"

    def get_link(self, operator: BaseOperator, *, ti_key: TaskInstanceKey) -> str:
        """The console URL of the operator's job; empty before it exists."""
        if hasattr(operator, JOB_NAME_ATTRIBUTE):
            job_name = getattr(operator, JOB_NAME_ATTRIBUTE)
        else:
            job_name = XCom.get_value(ti_key=ti_key, key=JOB_NAME_KEY)
        if not isinstance(job_name, str):
            return ""
        try:
            return console_url(job_name)
        except InvalidNameError:
            return ""
