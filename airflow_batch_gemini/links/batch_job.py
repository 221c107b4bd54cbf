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


class GeminiBatchJobLink(BaseOperatorLink):
    """"Vertex AI batch job": the console page of the job the task submitted (or re-attached to).

    Airflow 3 evaluates the link in the worker when the task defers and when it ends, and stores
    the URL for the UI; the link appears as soon as the job exists, while the task still waits.
    """

    name = "Vertex AI batch job"

    def get_link(self, operator: BaseOperator, *, ti_key: TaskInstanceKey) -> str:
        """The console URL of the job named in the task's ``job_name`` XCom; empty before it exists."""
        job_name = XCom.get_value(ti_key=ti_key, key=JOB_NAME_KEY)
        if not isinstance(job_name, str):
            return ""
        try:
            return console_url(job_name)
        except InvalidNameError:
            return ""
