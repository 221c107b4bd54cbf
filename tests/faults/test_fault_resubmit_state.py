"""Fault cases of the resubmission's round state and of the split's input: a real ``airflow dags test`` that
resumes each round with the trigger's event alone (Airflow drops the deferral's kwargs there); a retry handed
the earlier try's stale deferral (Airflow 3.0 to 3.2); a re-run of a split whose input wildcard now matches
the result files its first run wrote."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from airflow_batch_gemini.exceptions import GeminiBatchConfigurationError
from airflow_batch_gemini.hooks.storage import GeminiBatchStorageHook
from airflow_batch_gemini.operators.failures import GeminiBatchPermanentFailure
from airflow_batch_gemini.operators.resubmit_failed import GeminiBatchResubmitFailedOperator
from airflow_batch_gemini.operators.split_output import GeminiBatchSplitOutputOperator
from gemini_batch_local.local_stack import LocalStack
from tests.conftest import TEST_BUCKET
from tests.dag_runs import TEST_DAGS, dags_test, migrated_home, pushed_xcom
from tests.faults.helpers import CASE_LABEL, jobs_created, output_keys, submit_operator, upload_input
from tests.faults.scoreboard import FaultRecord
from tests.resumed_tasks import RetriedAfterDeferral, xcom_context
from tests.taskrun import TaskDeferred, first_event, run_task

pytestmark = pytest.mark.usefixtures("google_connection")
RESUBMIT_DAG = "gemini_batch_resubmit_rounds"
FINAL_FILES = ("succeeded_uri", "failed_uri", "missing_uri")


@pytest.fixture(scope="module")
def dags_home(stack: LocalStack, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return migrated_home(stack, tmp_path_factory.mktemp("airflow-home"))


def test_resubmit_under_dags_test_resends_rows_and_delivers_every_row(
    fault: FaultRecord, stack: LocalStack, dags_home: Path, upload_lines
) -> None:
    input_uri, keys = upload_input(upload_lines, fault, rows=45)
    conf = {"input_uri": input_uri, "bucket": TEST_BUCKET, "case": fault.label}
    output = dags_test(stack, dags_home, TEST_DAGS, RESUBMIT_DAG, conf)
    assert "resume_round() missing" not in output
    final = pushed_xcom(dags_home, RESUBMIT_DAG, "resubmit")
    fault.injected += final["round_summaries"][0]["resubmitted"]
    fault.jobs(logical=len(final["job_names"]), created=jobs_created(fault))
    found = [key for name in FINAL_FILES for key in output_keys(final[name])]
    fault.rows(keys, found)
    assert sorted(found) == sorted(keys), "every input row exactly once in succeeded/failed/missing"
    assert output.count("running trigger in line") == 1 + final["rounds"], "the job and every round deferred"
    assert final["rounds"] >= 1 and final["round_summaries"][1]["input_rows"] > 0, "round 1 had rows to resend"
    assert final["failures_by_status"].get("INVALID_ARGUMENT") == 15 and final["missing"] == 0


def test_a_rerun_of_the_split_refuses_its_own_results_matched_by_the_input_wildcard(
    fault: FaultRecord, upload_lines
) -> None:
    input_uri, keys = upload_input(upload_lines, fault)
    folder = input_uri.rsplit("/", 1)[0]
    context = xcom_context(f"faults__{fault.label}")
    job = run_task(submit_operator(fault, input_uri), context)
    fault.jobs(logical=1, created=jobs_created(fault))
    split = GeminiBatchSplitOutputOperator(task_id="split", job_manifest=job, destination_prefix=folder,
                                           input_uris=f"{folder}/*.jsonl")  # the results land beside the input
    first = run_task(split, context)
    found = [key for name in FINAL_FILES for key in output_keys(first[name])]
    fault.rows(keys, found)
    assert first["input_rows"] == len(keys) and sorted(found) == sorted(keys)
    written = {name: GeminiBatchStorageHook().stat(first[name]) for name in FINAL_FILES}

    fault.injected += 1  # a re-run: the wildcard now matches the first run's three result files too
    with pytest.raises(GeminiBatchPermanentFailure) as raised:
        run_task(split, context)
    assert isinstance(raised.value.error, GeminiBatchConfigurationError)
    assert f"Input {folder}/failed.jsonl is a result file this package wrote" in str(raised.value)
    assert {name: GeminiBatchStorageHook().stat(first[name]) for name in FINAL_FILES} == written, "nothing rewritten"


def test_a_retry_handed_the_earlier_trys_deferral_starts_the_rounds_over(
    fault: FaultRecord, upload_lines, emulator
) -> None:
    input_uri, keys = upload_input(upload_lines, fault)
    run_id = f"faults__{fault.label}"
    job = run_task(submit_operator(fault, input_uri), xcom_context(run_id))
    predictions = f"{job['output_directory']}/predictions.jsonl"
    rows = list(GeminiBatchStorageHook().read_lines(predictions))
    with GeminiBatchStorageHook().open_writer(predictions) as writer:  # the service lost three rows
        writer.writelines(rows[3:])
    split = run_task(GeminiBatchSplitOutputOperator(task_id="split", job_manifest=job,
                                                    destination_prefix=f"gs://{TEST_BUCKET}/faults/{fault.label}/split"),
                     xcom_context(run_id))
    assert split["missing"] == 3

    def resubmit() -> GeminiBatchResubmitFailedOperator:
        return GeminiBatchResubmitFailedOperator(
            task_id="resubmit", split_manifest=split, destination_prefix=f"gs://{TEST_BUCKET}/faults/{fault.label}/final",
            display_name=f"faults-{fault.label}", labels={CASE_LABEL: fault.label, "emulator-outcome": "paused"},
            poll_interval=0.1, timeout=3,
        )

    first_try = xcom_context(run_id)
    with pytest.raises(TaskDeferred) as deferred:
        resubmit().execute(first_try)
    stale = asyncio.run(first_event(deferred.value.trigger))  # round 1's job PAUSED past the deadline
    assert stale["status"] == "timeout"
    fault.injected += 2  # the first try dies before it resumes; its job goes on meanwhile
    emulator.resume(stale["job_name"])
    cancels = emulator.calls("cancel")

    # Airflow 3.0 to 3.2 keep next_method and the XComs for the next try: it resumes the stale deferral
    second_try = xcom_context(run_id, try_number=2, xcoms=first_try["ti"].xcoms)
    final = run_task(RetriedAfterDeferral(resubmit(), deferred.value.method_name, stale), second_try)

    fault.jobs(logical=2, created=jobs_created(fault))
    found = [key for name in FINAL_FILES for key in output_keys(final[name])]
    fault.rows(keys, found)
    assert sorted(found) == sorted(keys)
    assert emulator.calls("cancel") == cancels, "the stale timeout cancelled nothing"
    assert final["unfinished_rounds"] == [] and final["job_names"][1] == stale["job_name"], "re-attached, waited"
    assert (final["succeeded"], final["failed"], final["missing"]) == (4, 2, 0)
