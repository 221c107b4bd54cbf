"""Off the happy path before a job exists: an input changed between two runs of one task instance, a job of
the old content still billing, a missing output or result bucket, a wildcard over the prepare folder, a
permanent error with retries left. Nothing may be paid twice, for nothing, or answered stale."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from airflow.sdk import DAG

from airflow_batch_gemini.exceptions import GeminiBatchError, GeminiBatchPreflightError
from airflow_batch_gemini.hooks.batch_prediction import GeminiBatchHook
from airflow_batch_gemini.operators.prepare_input import GeminiBatchPrepareInputOperator
from airflow_batch_gemini.operators.split_output import GeminiBatchSplitOutputOperator
from tests.conftest import TEST_BUCKET, request_line
from tests.faults.helpers import account, case_context, jobs_created, split_output, submit_operator
from tests.faults.scoreboard import FaultRecord
from tests.taskrun import TaskDeferred, run_task

try:  # Airflow 3.1+
    from airflow.sdk.exceptions import AirflowFailException
except ImportError:  # pragma: no cover - Airflow 3.0
    from airflow.exceptions import AirflowFailException  # type: ignore[no-redef,attr-defined,unused-ignore]

pytestmark = pytest.mark.usefixtures("google_connection")

UploadLines = Callable[[str, list[dict[str, Any]]], str]


def keyed_lines(fault: FaultRecord, version: str, rows: int = 6) -> tuple[list[dict[str, Any]], list[str]]:
    keys = [f"{fault.label}-{version}-{index}" for index in range(rows)]
    return [request_line(f"question {key}", key=key) for key in keys], keys


def test_a_stale_input_rerun_gets_a_new_job_and_new_answers(fault: FaultRecord, upload_lines: UploadLines) -> None:
    name = f"faults/{fault.label}/input.jsonl"
    lines, _ = keyed_lines(fault, "old")
    uri = upload_lines(name, lines)
    first = run_task(submit_operator(fault, uri), case_context(fault))
    lines, keys = keyed_lines(fault, "new")
    upload_lines(name, lines)  # the user fixes the file and re-runs the same run
    fault.injected += 1
    second = run_task(submit_operator(fault, uri), case_context(fault))
    again = run_task(submit_operator(fault, uri), case_context(fault))  # the same content: re-attached
    fault.jobs(logical=2, created=jobs_created(fault))
    assert second["job_name"] != first["job_name"] and again["job_name"] == second["job_name"]
    account(fault, second, keys)  # every new row answered by the new job: none of the old answers
    assert fault.duplicate_jobs == 0


def test_an_old_job_of_changed_content_is_cancelled(fault: FaultRecord, upload_lines: UploadLines) -> None:
    name = f"faults/{fault.label}/input.jsonl"
    lines, _ = keyed_lines(fault, "old")
    uri = upload_lines(name, lines)
    first_try = case_context(fault)
    with pytest.raises(TaskDeferred):  # its worker dies while the job runs
        submit_operator(fault, uri, {"emulator-run-seconds": "120"}).execute(first_try)
    lines, keys = keyed_lines(fault, "new")
    upload_lines(name, lines)
    fault.injected += 1
    manifest = run_task(submit_operator(fault, uri), case_context(fault))
    stale = GeminiBatchHook().get_job(first_try["ti"].xcoms["job_name"])
    fault.jobs(logical=2, created=jobs_created(fault))
    assert stale["state"] in ("JOB_STATE_CANCELLING", "JOB_STATE_CANCELLED"), "it bills no more"
    assert manifest["job_name"] != stale["name"]
    account(fault, manifest, keys)


def test_a_missing_output_or_result_bucket_creates_no_job(fault: FaultRecord, upload_lines: UploadLines) -> None:
    lines, _ = keyed_lines(fault, "in")
    uri = upload_lines(f"faults/{fault.label}/input.jsonl", lines)
    fault.injected += 1
    with pytest.raises(GeminiBatchPreflightError, match="the bucket gs://fault-no-output-bucket does not exist"):
        lost = submit_operator(fault, uri)
        lost.output_uri_prefix = "gs://fault-no-output-bucket/out"
        lost.submit(case_context(fault))

    with DAG(f"faults_{fault.label.replace('-', '_')}", schedule=None, start_date=datetime(2026, 1, 1)):
        submit = submit_operator(fault, uri)
        submit >> GeminiBatchSplitOutputOperator(task_id="split", job_manifest=submit.output,
                                                 destination_prefix="gs://fault-no-results-bucket/results")
    fault.injected += 1
    with pytest.raises(GeminiBatchPreflightError, match="the bucket gs://fault-no-results-bucket does not exist"):
        submit.submit(case_context(fault))
    fault.jobs(logical=0, created=jobs_created(fault))
    assert fault.jobs_created == 0, "nothing paid for"


def test_a_wildcard_over_the_prepare_folder_never_sends_the_rejects(fault: FaultRecord) -> None:
    lines, keys = keyed_lines(fault, "in")
    rejected = [f"{fault.label}-reject-{index}" for index in range(2)]
    lines += [{"key": key, "request": {"contents": [{"role": "tester", "parts": [{"text": key}]}]}} for key in rejected]
    folder = f"gs://{TEST_BUCKET}/faults/{fault.label}/input"
    prepared = GeminiBatchPrepareInputOperator(task_id="prepare", source=lines, on_invalid="skip",
                                               destination_uri=f"{folder}/requests.jsonl").execute({})
    fault.injected += len(rejected)
    manifest = run_task(submit_operator(fault, f"{folder}/*.jsonl"), case_context(fault))
    fault.jobs(logical=1, created=jobs_created(fault))
    _, found = split_output(fault, manifest["output_directory"])
    fault.rows(keys, found)
    assert manifest["completion_stats"]["succeeded"] + manifest["completion_stats"]["failed"] == len(keys), \
        "no reject record sent as a request"
    assert sorted(found) == sorted(keys), "the valid lines once each"
    assert prepared["rejects_uri"] == f"{folder}/rejects/requests.rejects.jsonl"


def airflow_tries(task: Callable[[], object], retries: int) -> tuple[int, BaseException | None]:
    """Run ``task`` as Airflow would with ``retries``: a fail-fast exception ends it at once, any other error
    tries again while tries are left. Return how many tries ran, and the last error."""
    error: BaseException | None = None
    for attempt in range(1, retries + 2):
        try:
            task()
            return attempt, None
        except AirflowFailException as failure:
            return attempt, failure
        except Exception as failure:
            error = failure
    return retries + 1, error


def test_an_input_over_its_reject_ratio_is_not_retried(fault: FaultRecord) -> None:
    lines, _ = keyed_lines(fault, "in", rows=3)
    lines.append({"request": {"contents": [{"role": "tester", "parts": [{"text": "bad"}]}]}})
    operator = GeminiBatchPrepareInputOperator(task_id="prepare", source=lines, on_invalid="skip",
                                               max_rejected_ratio=0.1,
                                               destination_uri=f"gs://{TEST_BUCKET}/faults/{fault.label}/in.jsonl")
    fault.injected += 1
    ran, error = airflow_tries(lambda: operator.execute({}), retries=2)
    fault.jobs(logical=0, created=jobs_created(fault))
    assert ran == 1 and isinstance(error, AirflowFailException), "one validation, not three"
    assert isinstance(error.__cause__, GeminiBatchError)


def test_a_create_answered_404_is_not_retried(fault: FaultRecord, upload_lines: UploadLines, emulator) -> None:
    lines, _ = keyed_lines(fault, "in", rows=2)
    uri = upload_lines(f"faults/{fault.label}/input.jsonl", lines)
    creates = emulator.calls("create")
    fault.injected += 1
    ran, error = airflow_tries(
        lambda: run_task(submit_operator(fault, uri, model="gemini-2.5-flahs"), case_context(fault)), retries=2)
    fault.jobs(logical=0, created=jobs_created(fault))
    assert isinstance(error, AirflowFailException) and "404" in str(error)
    assert (ran, emulator.calls("create") - creates) == (1, 1), "one create answered 404, not three"
