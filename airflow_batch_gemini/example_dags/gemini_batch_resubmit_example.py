"""
### Gemini batch prediction with resubmission of retryable failures

Like `gemini_batch_example`, then one more step: rows that failed for a reason worth retrying
(429 RESOURCE_EXHAUSTED, a 5xx, deadline exceeded) and input rows the job never answered are sent
again in a follow-up job, at most `max_rounds` times. Rows that failed for good (400
INVALID_ARGUMENT) are never resent. Everything lives under
`gs://$GEMINI_BATCH_BUCKET/gemini-batch-resubmit/{run_id}/`, the run's own folder (with a logical date
or without; see `gemini_batch_settings.py`):

1. **prepare_input** validates and uploads `params.input_source` (a file of `$GEMINI_BATCH_INPUT_DIR`,
   the sample shipped with the package by default, or a `gs://` object of its bucket's `incoming/`) to
   `.../input/requests.jsonl`.
2. **submit_and_wait** creates the job (idempotently) and waits for it in the triggerer.
3. **split_results** splits the output into `.../split/{succeeded,failed,missing}.jsonl`, every input
   row in exactly one file (joined by `key`/`id`, or by a hash of the request), and checks the
   counts against the job's `completionStats`.
4. **resubmit_failed** runs the rounds under `.../final/rounds/N/` (each round's job has its own
   identity, so a retry of the task re-attaches instead of paying twice; it waits in the triggerer),
   then writes `.../final/{succeeded,failed,missing}.jsonl` and one manifest over all rounds (counts,
   failures by status and code, token usage, model versions). It fails the task if more than 20 %
   of the rows still failed, after writing the files; otherwise it follows the branch that has rows.
5. **use_successes** / **review_failures** stand for what your pipeline does next.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from airflow.sdk import DAG, Param, task

from airflow_batch_gemini.example_dags import gemini_batch_settings as settings
from airflow_batch_gemini.operators.prepare_input import GeminiBatchPrepareInputOperator
from airflow_batch_gemini.operators.resubmit_failed import GeminiBatchResubmitFailedOperator
from airflow_batch_gemini.operators.split_output import GeminiBatchSplitOutputOperator
from airflow_batch_gemini.operators.submit_job import GeminiBatchSubmitJobOperator

PARTITION = settings.partition("gemini-batch-resubmit")

with DAG(
    dag_id="gemini_batch_resubmit_example",
    description="Submit a Gemini batch job, split its output, resubmit retryable failures, merge",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    default_args={"retries": 2, "retry_delay": timedelta(seconds=30)},
    params={
        "model": Param("gemini-2.5-flash", type="string", title="Model"),
        "input_source": Param(settings.DEFAULT_INPUT, type="string", title="Input",
                              description="JSON Lines of {\"request\": ...}, ideally each with a \"key\": a file "
                                          "of the DAG's input folder (the sample by default) or a gs:// object "
                                          "of the bucket's incoming/ folder."),
    },
    user_defined_macros=settings.MACROS,
    doc_md=__doc__,
    tags=["gemini", "vertex-ai", "batch"],
) as dag:
    prepare_input = GeminiBatchPrepareInputOperator(
        task_id="prepare_input",
        source="{{ params.input_source }}",
        local_base_dir=settings.INPUT_DIR,
        allowed_source_prefixes=settings.INPUT_PREFIXES,
        allowed_destination_prefixes=settings.ALLOWED_PREFIXES,
        destination_uri=f"{PARTITION}/input/requests.jsonl",
    )
    submit_and_wait = GeminiBatchSubmitJobOperator(
        task_id="submit_and_wait",
        input_uris=prepare_input.output,
        output_uri_prefix=f"{PARTITION}/output",
        allowed_source_prefixes=settings.ALLOWED_PREFIXES,
        allowed_destination_prefixes=settings.ALLOWED_PREFIXES,
        model="{{ params.model }}",
        poll_interval=settings.POLL_INTERVAL,
    )
    split_results = GeminiBatchSplitOutputOperator(
        task_id="split_results",
        job_manifest=submit_and_wait.output,
        destination_prefix=f"{PARTITION}/split",
        allowed_source_prefixes=settings.ALLOWED_PREFIXES,
        allowed_destination_prefixes=settings.ALLOWED_PREFIXES,
        doc_md="Split and reconcile; no branches here, the resubmission step decides.",
    )
    resubmit_failed = GeminiBatchResubmitFailedOperator(
        task_id="resubmit_failed",
        split_manifest=split_results.output,
        destination_prefix=f"{PARTITION}/final",
        allowed_source_prefixes=settings.ALLOWED_PREFIXES,
        allowed_destination_prefixes=settings.ALLOWED_PREFIXES,
        max_rounds=2,
        max_failure_ratio=0.2,
        poll_interval=settings.POLL_INTERVAL,
        success_task_ids="use_successes",
        failure_task_ids="review_failures",
    )

    @task
    def use_successes(results: dict[str, Any]) -> int:
        """Where a pipeline would load the answers; here it reports where they are."""
        print(f"{results['succeeded']} answers in {results['succeeded_uri']} after {results['rounds']} round(s)")
        return int(results["succeeded"])

    @task
    def review_failures(results: dict[str, Any]) -> int:
        """Where a pipeline would alert; here it reports the failures that are left."""
        print(f"{results['failed']} failed rows in {results['failed_uri']}: {results['failures_by_status']}; "
              f"{results['missing']} missing in {results['missing_uri']}")
        return int(results["failed"]) + int(results["missing"])

    use_successes(resubmit_failed.output)
    review_failures(resubmit_failed.output)
    prepare_input >> submit_and_wait >> split_results >> resubmit_failed
