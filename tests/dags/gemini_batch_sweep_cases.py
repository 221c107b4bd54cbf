"""A DAG that cancels the orphaned jobs of another DAG's submit task (tests/integration/test_wait_dags.py)."""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import DAG

from airflow_batch_gemini.operators.orphaned_jobs import GeminiBatchCancelOrphanedJobsOperator

with DAG(dag_id="gemini_batch_sweeper", schedule=None, start_date=datetime(2026, 1, 1),
         params={"target_dag_id": "gemini_batch_wait_deferred"}):
    GeminiBatchCancelOrphanedJobsOperator(task_id="cancel_orphans", target_dag_id="{{ params.target_dag_id }}",
                                          target_task_ids=["submit_and_wait"])
