"""
### Gemini batch prediction from Cloud Storage

One run takes a JSON Lines file of Gemini requests through a Vertex AI batch prediction job and
leaves two files of results, all in the run's own folder, named after its run id:
`gs://$GEMINI_BATCH_BUCKET/gemini-batch/{run_id}/`. Every run has one, with a logical date or
without (`logical_date: null` from the REST API or the trigger form: such a run has no `ds`), and
no two runs share one (a manual run of the day of a scheduled one neither):

1. **prepare_input** validates every line of `params.input_source` against the request schema and
   uploads it to `.../input/requests.jsonl` with a generation precondition: an invalid line fails the
   task with its line number and field, and nothing is uploaded. A re-run with the same content
   re-uses the object. The input is a file of `$GEMINI_BATCH_INPUT_DIR` (a relative path is taken
   from it, and no path leaves it) or a `gs://` object of `gs://$GEMINI_BATCH_BUCKET/incoming/`; by
   default `requests.jsonl` of the sample folder shipped with the package: ten requests, two of which the
   service fails (they ask for more output tokens than the model gives), so a run shows both result files.
2. **submit_and_wait** creates the batch job (re-attaching to the job of an earlier try instead
   of creating a second one) and waits for it in the triggerer, holding no worker slot. A job that
   ends FAILED, CANCELLED or EXPIRED fails the task with the job's error. Its **Vertex AI batch
   job** link opens the job in the Google Cloud console as soon as the job exists; on Airflow 3.3+
   marking the task failed or success while it waits cancels the job (before 3.3, the next run of
   the task cancels it).
3. **split_results** streams every output row into `.../results/succeeded.jsonl` or
   `.../results/failed.jsonl` and follows the branch that has rows. It updates the Assets
   `gemini-batch/succeeded` and `gemini-batch/failed`, so a DAG scheduled on them runs after
   every split; the event's source run and this task's XCom name the new files and row counts.
4. **use_successes** / **review_failures** stand for what your pipeline does next.

Backfill dates with `airflow backfill create --dag-id gemini_batch_example --from-date ... --to-date ...`:
each date has its own run (`backfill__2026-01-01T00:00:00+00:00`) and folders, and re-running a date
(`--reprocess-behavior completed`, or clearing the run) keeps its run id: it re-attaches to its job
instead of paying for another one, then replaces its result files.

Trigger it from the UI with other `params` (model, input) to run another file or model. The bucket,
the input folder and the poll interval are the DAG author's (environment variables, read when the
file is parsed; see `gemini_batch_settings.py`), not the trigger form's.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from airflow.sdk import DAG, Param, task

from airflow_batch_gemini.example_dags import gemini_batch_settings as settings
from airflow_batch_gemini.lineage import result_assets
from airflow_batch_gemini.operators.prepare_input import GeminiBatchPrepareInputOperator
from airflow_batch_gemini.operators.split_output import GeminiBatchSplitOutputOperator
from airflow_batch_gemini.operators.submit_job import GeminiBatchSubmitJobOperator

PARTITION = settings.partition("gemini-batch")
RESULTS = result_assets(settings.BUCKET, "gemini-batch")

with DAG(
    dag_id="gemini_batch_example",
    description="Validate, submit, wait for and split a Vertex AI Gemini batch prediction job",
    schedule="@daily",
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=3,
    default_args={"retries": 2, "retry_delay": timedelta(seconds=30)},
    params={
        "model": Param("gemini-2.5-flash", type="string", title="Model",
                       description="A Gemini model id, or a full publisher or tuned-model path."),
        "input_source": Param(settings.DEFAULT_INPUT, type="string", title="Input",
                              description="JSON Lines of {\"request\": ...}: a file of the DAG's input folder "
                                          "(the sample by default) or a gs:// object of the bucket's incoming/ "
                                          "folder."),
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
        doc_md="Validate each request line and upload the file whole, or nothing at all.",
    )
    submit_and_wait = GeminiBatchSubmitJobOperator(
        task_id="submit_and_wait",
        input_uris=prepare_input.output,
        output_uri_prefix=f"{PARTITION}/output",
        allowed_source_prefixes=settings.ALLOWED_PREFIXES,
        allowed_destination_prefixes=settings.ALLOWED_PREFIXES,
        model="{{ params.model }}",
        labels={"pipeline": "gemini-batch-example"},
        poll_interval=settings.POLL_INTERVAL,
        doc_md="Create the batch job (idempotently) and wait for it in the triggerer.",
    )
    split_results = GeminiBatchSplitOutputOperator(
        task_id="split_results",
        job_manifest=submit_and_wait.output,
        destination_prefix=f"{PARTITION}/results",
        allowed_source_prefixes=settings.ALLOWED_PREFIXES,
        allowed_destination_prefixes=settings.ALLOWED_PREFIXES,
        success_task_ids="use_successes",
        failure_task_ids="review_failures",
        outlets=list(RESULTS.values()),
        doc_md="Stream output rows into succeeded.jsonl and failed.jsonl; branch on which have rows.",
    )

    @task
    def use_successes(split: dict[str, Any]) -> int:
        """Where a pipeline would load the answers; here it reports where they are."""
        print(f"{split['succeeded']} answers in {split['succeeded_uri']}")
        return int(split["succeeded"])

    @task
    def review_failures(split: dict[str, Any]) -> int:
        """Where a pipeline would alert or resubmit; here it reports the failures by status."""
        print(f"{split['failed']} failed rows in {split['failed_uri']}: {split.get('failures_by_status')}")
        return int(split["failed"])

    use_successes(split_results.output)
    review_failures(split_results.output)
    prepare_input >> submit_and_wait >> split_results
