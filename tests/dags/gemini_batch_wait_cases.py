"""DAGs for the tests of the wait under ``airflow dags test``: the submit task waiting deferred or in the
worker (signals, the orphan sweep), and the sensor in both modes.

Each submit task may retry once, so that a test sees any second job a retry would pay for. Its job carries the
test case's label and the emulator's timing labels from the run's params.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import DAG

from airflow_batch_gemini.operators.submit_job import GeminiBatchSubmitJobOperator
from airflow_batch_gemini.sensors.batch_job import GeminiBatchJobSensor

START = datetime(2026, 1, 1)
SUBMIT_TASK = "submit_and_wait"

for mode, deferrable in (("deferred", True), ("sync", False)):
    with DAG(
        dag_id=f"gemini_batch_wait_{mode}",
        schedule=None,
        start_date=START,
        params={"input_uri": "gs://gemini-batch-test/in.jsonl", "case": "none", "run_seconds": "60",
                "rows_per_second": "100"},
        default_args={"retries": 1, "retry_delay": timedelta(seconds=0)},
    ):
        GeminiBatchSubmitJobOperator(
            task_id=SUBMIT_TASK,
            input_uris="{{ params.input_uri }}",
            output_uri_prefix="gs://gemini-batch-test/wait-cases/{{ params.case }}/{{ run_id | replace(':', '_') }}",
            labels={"fault-case": "{{ params.case }}", "emulator-run-seconds": "{{ params.run_seconds }}",
                    "emulator-rows-per-second": "{{ params.rows_per_second }}"},
            deferrable=deferrable,
            poll_interval=0.2,
        )

    with DAG(dag_id=f"gemini_batch_sense_{mode}", schedule=None, start_date=START, params={"job_name": ""}):
        GeminiBatchJobSensor(task_id="sense", job_name="{{ params.job_name }}", deferrable=deferrable,
                             poke_interval=0.2)
