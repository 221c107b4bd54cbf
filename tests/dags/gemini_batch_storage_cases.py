"""DAG for the storage-side DAG-level tests: validate and upload an input, split an output, branch."""

from __future__ import annotations

from datetime import datetime

from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG

from airflow_batch_gemini.operators.prepare_input import GeminiBatchPrepareInputOperator
from airflow_batch_gemini.operators.split_output import GeminiBatchSplitOutputOperator

with DAG(
    dag_id="gemini_batch_storage_split",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    params={"source": "", "destination": "", "output_directory": "", "results": ""},
) as dag:
    prepare_input = GeminiBatchPrepareInputOperator(
        task_id="prepare_input",
        source="{{ params.source }}",
        local_base_dir="/",  # the tests' own inputs, anywhere on this machine: a templated path needs a base folder
        destination_uri="{{ params.destination }}",
    )
    split_results = GeminiBatchSplitOutputOperator(
        task_id="split_results",
        output_directory="{{ params.output_directory }}",
        destination_prefix="{{ params.results }}",
        success_task_ids="use_successes",
        failure_task_ids=["review_failures", "alert"],
    )
    prepare_input >> split_results >> [
        EmptyOperator(task_id="use_successes"),
        EmptyOperator(task_id="review_failures"),
        EmptyOperator(task_id="alert"),
        EmptyOperator(task_id="not_a_branch"),
    ]
