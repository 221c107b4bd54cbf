"""DAGs for the DAG-level integration tests: the submit task alone, and a worker that dies
between creating the job and deferring (its retry must re-attach, not create a second job)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from airflow.sdk import DAG

from airflow_batch_gemini.operators.submit_job import GeminiBatchSubmitJobOperator


class DiesAfterCreateOperator(GeminiBatchSubmitJobOperator):
    """Creates the job, then dies before deferring on its first try."""

    def execute(self, context: Any) -> Any:
        if context["ti"].try_number == 1:
            self.submit(context)
            raise RuntimeError("simulated worker death between create and defer")
        return super().execute(context)


for dag_id, operator_class in (
    ("gemini_batch_submit_only", GeminiBatchSubmitJobOperator),
    ("gemini_batch_dies_after_create", DiesAfterCreateOperator),
):
    with DAG(
        dag_id=dag_id,
        schedule=None,
        start_date=datetime(2026, 1, 1),
        params={"input_uri": "gs://gemini-batch-test/in.jsonl", "labels": {}},
        default_args={"retries": 1, "retry_delay": timedelta(seconds=0)},
    ):
        operator_class(
            task_id="submit_and_wait",
            input_uris="{{ params.input_uri }}",
            output_uri_prefix="gs://gemini-batch-test/dag-out/{{ run_id | replace(':', '_') }}",
            labels={"emulator-run-seconds": "3"},
            poll_interval=0.5,
        )
