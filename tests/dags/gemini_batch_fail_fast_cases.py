"""DAGs for the DAG-level fail-fast tests: a permanent error (an input over its reject ratio, a create answered
404 for a mistyped model) fails the task once, although it has retries left."""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import DAG

from airflow_batch_gemini.operators.prepare_input import GeminiBatchPrepareInputOperator
from airflow_batch_gemini.operators.submit_job import GeminiBatchSubmitJobOperator

RETRIES = {"retries": 2, "retry_delay": timedelta(seconds=0)}

with DAG(
    dag_id="gemini_batch_prepare_fails_fast",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    params={"source": "", "destination": ""},
    default_args=RETRIES,
):
    GeminiBatchPrepareInputOperator(
        task_id="prepare_input",
        source="{{ params.source }}",
        local_base_dir="/",  # the tests' own inputs, anywhere on this machine: a templated path needs a base folder
        destination_uri="{{ params.destination }}",
        on_invalid="skip",
        max_rejected_ratio=0.1,
    )

with DAG(
    dag_id="gemini_batch_submit_fails_fast",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    params={"input_uri": "gs://gemini-batch-test/in.jsonl", "model": "gemini-2.5-flash"},
    default_args=RETRIES,
):
    GeminiBatchSubmitJobOperator(
        task_id="submit_and_wait",
        input_uris="{{ params.input_uri }}",
        output_uri_prefix="gs://gemini-batch-test/fail-fast/{{ run_id | replace(':', '_') }}",
        model="{{ params.model }}",
        poll_interval=0.5,
    )
