"""A DAG for the resubmission's DAG-level tests: submit, split, then two rounds of resubmission, every step
deferred. Run by ``airflow dags test`` (triggers run in line, the resumed method gets only the event) and by
a real scheduler and triggerer (the resumed task is a fresh operator in a fresh process).

The first job carries the emulator label ``emulator-row-failure: 429-50`` and each follow-up job
``429-30``, so both rounds have rows to resend; rows with the role ``tester`` fail 400 for good.
``params.case`` labels every job (``fault-case``) and names the folder of the run.
"""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import DAG

from airflow_batch_gemini.operators.resubmit_failed import GeminiBatchResubmitFailedOperator
from airflow_batch_gemini.operators.split_output import GeminiBatchSplitOutputOperator
from airflow_batch_gemini.operators.submit_job import GeminiBatchSubmitJobOperator

FOLDER = "gs://{{ params.bucket }}/resubmit-cases/{{ params.case }}"

with DAG(
    dag_id="gemini_batch_resubmit_rounds",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    params={"input_uri": "gs://gemini-batch-test/in.jsonl", "bucket": "gemini-batch-test", "case": "manual"},
):
    submit = GeminiBatchSubmitJobOperator(
        task_id="submit",
        input_uris="{{ params.input_uri }}",
        output_uri_prefix=f"{FOLDER}/output",
        labels={"fault-case": "{{ params.case }}", "emulator-row-failure": "429-50"},
        poll_interval=0.5,
    )
    split = GeminiBatchSplitOutputOperator(
        task_id="split", job_manifest=submit.output, destination_prefix=f"{FOLDER}/split"
    )
    GeminiBatchResubmitFailedOperator(
        task_id="resubmit",
        split_manifest=split.output,
        destination_prefix=f"{FOLDER}/final",
        labels={"fault-case": "{{ params.case }}", "emulator-row-failure": "429-30"},
        max_rounds=2,
        poll_interval=0.5,
    )
