"""
### Gemini batch prediction of an input larger than one job takes

One Vertex AI batch job takes at most 200,000 requests and 1 GB of input. This DAG runs an input of
any size as one job per file, in parallel, with dynamic task mapping; everything lands under
`gs://$GEMINI_BATCH_BUCKET/gemini-batch-sharded/{run_id}/`, the run's own folder (with a logical date
or without; see `gemini_batch_settings.py`):

1. **prepare_input** validates every line of `params.input_source` (a file of
   `$GEMINI_BATCH_INPUT_DIR`, the sample shipped with the package by default, or a `gs://` object of
   `gs://$GEMINI_BATCH_BUCKET/incoming/`),
   gives each line without one a row key (`key: "r00001204"`, its line number), and uploads the
   valid lines as `input/requests-00000-of-0000N.jsonl`, each file within the limits (one file,
   `input/requests.jsonl`, when the input fits). Every invalid line goes, with its problems, to
   `input/rejects/requests.rejects.jsonl`; `on_invalid="skip"` uploads the rest unless more than 1 % are invalid.
   A re-run with the same content re-uses every file.
2. **input_files** lists the uploaded files, one element each, to map over.
3. **submit_and_wait** is mapped over the files: one batch job each (identity labels include the map
   index, so a retry of one file re-attaches to that file's job), each waiting in the triggerer.
4. **split_results** is mapped over the jobs: each job's rows go to `results/shard-N/succeeded.jsonl`,
   `failed.jsonl` and `missing.jsonl` (N is the map index), joined to its input file by the row key.
5. **report** adds the counts of every file up.

`GEMINI_BATCH_ROWS_PER_FILE` lowers the number of requests per file (default: the service's 200,000),
e.g. to try the fan-out on a small input.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from typing import Any

from airflow.sdk import DAG, Param, task

from airflow_batch_gemini.example_dags import gemini_batch_settings as settings
from airflow_batch_gemini.input.sharding import MAX_REQUESTS_PER_JOB
from airflow_batch_gemini.operators.prepare_input import GeminiBatchPrepareInputOperator
from airflow_batch_gemini.operators.split_output import GeminiBatchSplitOutputOperator
from airflow_batch_gemini.operators.submit_job import GeminiBatchSubmitJobOperator

ROWS_PER_FILE = int(os.environ.get("GEMINI_BATCH_ROWS_PER_FILE", str(MAX_REQUESTS_PER_JOB)))
PARTITION = settings.partition("gemini-batch-sharded")

with DAG(
    dag_id="gemini_batch_sharded_example",
    description="One Vertex AI Gemini batch job per input file, mapped over an input of any size",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    default_args={"retries": 2, "retry_delay": timedelta(seconds=30)},
    params={
        "input_source": Param(settings.DEFAULT_INPUT, type="string", title="Input",
                              description="JSON Lines of any size: a file of the DAG's input folder (the sample "
                                          "by default) or a gs:// object of the bucket's incoming/ folder."),
        "model": Param("gemini-2.5-flash", type="string", title="Model"),
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
        on_invalid="skip",
        max_rejected_ratio=0.01,
        add_row_keys=True,
        max_rows_per_file=ROWS_PER_FILE,
        doc_md="Validate every line, add row keys, upload as files within one job's limits; rejects beside.",
    )

    @task
    def input_files(prepared: dict[str, Any]) -> list[str]:
        """The uploaded files, one element each to map over (a task cannot map over a key of another's XCom)."""
        return list(prepared["input_uris"])

    submit_and_wait = GeminiBatchSubmitJobOperator.partial(
        task_id="submit_and_wait",
        output_uri_prefix=f"{PARTITION}/output",
        allowed_source_prefixes=settings.ALLOWED_PREFIXES,
        allowed_destination_prefixes=settings.ALLOWED_PREFIXES,
        model="{{ params.model }}",
        labels={"pipeline": "gemini-batch-sharded-example"},
        poll_interval=settings.POLL_INTERVAL,
        doc_md="One batch job per input file, created idempotently, waited for in the triggerer.",
    ).expand(input_uris=input_files(prepare_input.output))
    split_results = GeminiBatchSplitOutputOperator.partial(
        task_id="split_results",
        destination_prefix=f"{PARTITION}/results/shard-{{{{ ti.map_index }}}}",
        allowed_source_prefixes=settings.ALLOWED_PREFIXES,
        allowed_destination_prefixes=settings.ALLOWED_PREFIXES,
        doc_md="Each job's rows into succeeded/failed/missing files of its own, joined to its input file.",
    ).expand(job_manifest=submit_and_wait.output)  # each manifest names its job's input file

    @task
    def report(splits: list[dict[str, Any]]) -> dict[str, int]:
        """Add the counts of every file's split up."""
        totals = {name: sum(int(split.get(name, 0)) for split in splits)
                  for name in ("succeeded", "failed", "missing", "total")}
        print(f"{len(splits)} job(s): {totals}")
        return totals

    report(split_results.output)
