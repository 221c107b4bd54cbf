"""The submit operator before it creates a job, against the emulator and fake-gcs-server: the fingerprint
covers what the input holds (a changed file is a new job, a job of the old content that still runs is
cancelled), and what would make a job fail after it was queued, or be paid for in vain, stops the create."""

from __future__ import annotations

import itertools
import json
import logging
from datetime import datetime
from typing import Any

import pytest
from airflow.sdk import DAG

from airflow_batch_gemini.exceptions import GeminiBatchPreflightError
from airflow_batch_gemini.hooks.batch_prediction import GeminiBatchHook
from airflow_batch_gemini.hooks.storage import GeminiBatchStorageHook
from airflow_batch_gemini.job.names import InvalidNameError
from airflow_batch_gemini.operators.prepare_input import GeminiBatchPrepareInputOperator
from airflow_batch_gemini.operators.split_output import GeminiBatchSplitOutputOperator
from airflow_batch_gemini.operators.submit_job import JOB_NAME_KEY, GeminiBatchSubmitJobOperator
from tests.conftest import TEST_BUCKET, request_line
from tests.taskrun import FakeStateStore, TaskDeferred, new_context, run_task

pytestmark = pytest.mark.usefixtures("google_connection")
_runs = itertools.count()
LOGGER = logging.getLogger("tests.submit_preflight")


def submit_operator(input_uris: Any, **kwargs: Any) -> GeminiBatchSubmitJobOperator:
    kwargs.setdefault("poll_interval", 0.2)
    kwargs.setdefault("output_uri_prefix", f"gs://{TEST_BUCKET}/preflight/out")
    return GeminiBatchSubmitJobOperator(task_id="submit", input_uris=input_uris, display_name="preflight", **kwargs)


@pytest.fixture
def task_log(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """The operator's log records (its structlog logger replaced by a standard one caplog sees)."""
    monkeypatch.setattr(GeminiBatchSubmitJobOperator, "log", property(lambda self: LOGGER))
    caplog.set_level(logging.INFO, logger=LOGGER.name)
    return caplog


def answers(output_directory: str) -> list[str]:
    """The answer texts of a finished job's output rows."""
    hook = GeminiBatchStorageHook()
    rows = [json.loads(line) for uri in hook.list_prediction_files(output_directory) for line in hook.read_lines(uri)]
    return sorted(row["response"]["candidates"][0]["content"]["parts"][0]["text"] for row in rows if not row["status"])


@pytest.mark.parametrize("store", [None, FakeStateStore()], ids=["labels", "task_state_store"])
def test_a_changed_input_file_is_a_new_job_with_new_answers(upload_lines, emulator, store) -> None:
    name = f"preflight/changed-{next(_runs)}.jsonl"
    uri = upload_lines(name, [request_line("the old question")])
    run_id = f"manual__changed_{next(_runs)}"
    first = run_task(submit_operator(uri), new_context(run_id, store))
    uri = upload_lines(name, [request_line("the new question")])  # the user fixes the file, re-runs the run
    creates = emulator.calls("create")
    second = run_task(submit_operator(uri), new_context(run_id, store))
    assert emulator.calls("create") == creates + 1
    assert second["job_name"] != first["job_name"]
    assert "the old question" in answers(first["output_directory"])[0]
    assert "the new question" in answers(second["output_directory"])[0], "never the old job's stale answers"
    if store is not None:
        assert store[JOB_NAME_KEY] == second["job_name"]


@pytest.mark.parametrize("store", [None, FakeStateStore()], ids=["labels", "task_state_store"])
def test_the_same_content_written_again_reattaches(upload_lines, emulator, store) -> None:
    name = f"preflight/same-{next(_runs)}.jsonl"
    uri = upload_lines(name, [request_line("a question")])
    run_id = f"manual__same_{next(_runs)}"
    first = run_task(submit_operator(uri), new_context(run_id, store))
    upload_lines(name, [request_line("a question")])  # a new generation, the same bytes
    creates = emulator.calls("create")
    second = run_task(submit_operator(uri), new_context(run_id, store))
    assert emulator.calls("create") == creates and second["job_name"] == first["job_name"]


def test_a_wildcard_that_matches_other_objects_now_is_a_new_job(upload_lines, emulator) -> None:
    folder = f"preflight/wild-{next(_runs)}"
    upload_lines(f"{folder}/a.jsonl", [request_line("one")])
    pattern = f"gs://{TEST_BUCKET}/{folder}/*.jsonl"
    run_id = f"manual__wild_{next(_runs)}"
    first = run_task(submit_operator(pattern), new_context(run_id))
    upload_lines(f"{folder}/b.jsonl", [request_line("two")])
    second = run_task(submit_operator(pattern), new_context(run_id))
    assert second["job_name"] != first["job_name"]
    assert len(answers(second["output_directory"])) == 2
    creates = emulator.calls("create")
    assert run_task(submit_operator(pattern), new_context(run_id))["job_name"] == second["job_name"]
    assert emulator.calls("create") == creates


def test_a_job_of_the_old_content_that_still_runs_is_cancelled(upload_lines, task_log) -> None:
    name = f"preflight/stale-{next(_runs)}.jsonl"
    uri = upload_lines(name, [request_line("old")])
    run_id = f"manual__stale_{next(_runs)}"
    labels = {"emulator-run-seconds": "120"}
    first_try = new_context(run_id)
    with pytest.raises(TaskDeferred):  # the first try's worker dies while its job runs
        submit_operator(uri, labels=labels).execute(first_try)
    stale = first_try["ti"].xcoms[JOB_NAME_KEY]
    upload_lines(name, [request_line("new")])
    second_try = new_context(run_id)
    with pytest.raises(TaskDeferred):
        submit_operator(uri, labels=labels).execute(second_try)
    fresh = second_try["ti"].xcoms[JOB_NAME_KEY]
    hook = GeminiBatchHook()
    assert fresh != stale
    assert hook.get_job(stale)["state"] in ("JOB_STATE_CANCELLING", "JOB_STATE_CANCELLED")
    assert hook.get_job(fresh)["state"] not in ("JOB_STATE_CANCELLING", "JOB_STATE_CANCELLED")
    (warning,) = [record.getMessage() for record in task_log.records if "Cancelling" in record.getMessage()]
    assert warning.startswith(f"Cancelling batch job {stale}, which an earlier try of this task created for other "
                              "input")
    hook.cancel_job(fresh)


def test_the_log_names_the_job_with_its_console_url_once(upload_lines, task_log) -> None:
    uri = upload_lines(f"preflight/log-{next(_runs)}.jsonl", [request_line("q")])
    manifest = run_task(submit_operator(uri), new_context())
    lines = [record.getMessage() for record in task_log.records if "console.cloud.google.com" in record.getMessage()]
    job_id = manifest["job_name"].rsplit("/", 1)[-1]
    assert len(lines) == 1 and lines[0].startswith(f"Created batch job {manifest['job_name']}")
    assert f"/batch-predictions/{job_id}?project=" in lines[0]


# -- what stops the create ----------------------------------------------------------------------------------


def refused(emulator, operator: GeminiBatchSubmitJobOperator, error: type[Exception] = GeminiBatchPreflightError,
            context: dict[str, Any] | None = None) -> str:
    """Submit; the create must be refused before any job exists. Return the error's text."""
    creates, lists = emulator.calls("create"), emulator.calls("list")
    with pytest.raises(error) as caught:
        operator.submit(context or new_context())
    assert (emulator.calls("create"), emulator.calls("list")) == (creates, lists), "no job, not even a look for one"
    return str(caught.value)


def test_missing_or_empty_input_creates_no_job(emulator) -> None:
    text = refused(emulator, submit_operator(f"gs://{TEST_BUCKET}/preflight/absent.jsonl"))
    assert f"gs://{TEST_BUCKET}/preflight/absent.jsonl does not exist" in text
    text = refused(emulator, submit_operator(f"gs://{TEST_BUCKET}/preflight/nothing-{next(_runs)}/*.jsonl"))
    assert "matches no object now" in text
    text = refused(emulator, submit_operator("gs://no-such-input-bucket/in.jsonl"))
    assert "the bucket gs://no-such-input-bucket does not exist" in text


def test_an_output_bucket_that_does_not_exist_creates_no_job(upload_lines, emulator) -> None:
    uri = upload_lines(f"preflight/in-{next(_runs)}.jsonl", [request_line("q")])
    text = refused(emulator, submit_operator(uri, output_uri_prefix="gs://no-such-output-bucket/out"))
    assert "output_uri_prefix gs://no-such-output-bucket/out: the bucket gs://no-such-output-bucket does not exist; " \
           "create it, or change output_uri_prefix" in text


def pipeline(input_uri: str, destination_prefix: str, output: str | None = None) -> GeminiBatchSubmitJobOperator:
    with DAG(f"preflight_{next(_runs)}", schedule=None, start_date=datetime(2026, 1, 1),
             params={"results_bucket": "no-such-results-bucket"}):
        submit = submit_operator(input_uri, **({"output_uri_prefix": output} if output else {}))
        submit >> GeminiBatchSplitOutputOperator(
            task_id="split_results", job_manifest=submit.output, destination_prefix=destination_prefix)
    return submit


def test_a_result_bucket_downstream_that_does_not_exist_creates_no_job(upload_lines, emulator) -> None:
    """Today's failure: the job runs and is paid for, then the split fails with a raw InvalidResponse 404."""
    uri = upload_lines(f"preflight/in-{next(_runs)}.jsonl", [request_line("q")])
    context = {**new_context(), "params": {"results_bucket": "no-such-results-bucket"}, "ds": "2026-01-01"}
    submit = pipeline(uri, "gs://{{ params.results_bucket }}/{{ ds }}/results")
    text = refused(emulator, submit, context=context)
    assert "split_results's destination_prefix gs://no-such-results-bucket/2026-01-01/results: the bucket " \
           "gs://no-such-results-bucket does not exist; create it, or change the destination_prefix of " \
           "split_results" in text


def test_a_bigquery_output_read_by_a_split_creates_no_job(upload_lines, emulator) -> None:
    uri = upload_lines(f"preflight/in-{next(_runs)}.jsonl", [request_line("q")])
    submit = pipeline(uri, f"gs://{TEST_BUCKET}/preflight/results")
    # as a template would render it: written out, the split's parse-time check refuses it before any run
    submit.output_uri_prefix = "bq://local-project.dataset.table"
    text = refused(emulator, submit)
    assert "bq://local-project.dataset.table is a BigQuery table, but split_results " \
           "(GeminiBatchSplitOutputOperator) downstream" in text


def test_a_wildcard_over_the_prepare_folder_never_sends_the_rejects(upload_lines, emulator, tmp_path) -> None:
    folder = f"gs://{TEST_BUCKET}/preflight/prepared-{next(_runs)}"
    source = tmp_path / "requests.jsonl"
    bad = {"key": "bad", "request": {"contents": [{"role": "tester", "parts": [{"text": "x"}]}]}}
    source.write_text("".join(json.dumps(line) + "\n" for line in (request_line("good", key="good"), bad)))
    prepared = GeminiBatchPrepareInputOperator(task_id="prepare", source=str(source), on_invalid="skip",
                                               destination_uri=f"{folder}/input/requests.jsonl").execute({})
    manifest = run_task(submit_operator(f"{folder}/input/*.jsonl"), new_context())
    assert manifest["completion_stats"] == {"succeeded": 1, "failed": 0, "incomplete": 0}, "the good line only"
    assert prepared["rejects_uri"] == f"{folder}/input/rejects/requests.rejects.jsonl"

    # a rejects file put where the wildcard reaches (rejects_uri=, or a ** wildcard) is refused by name
    GeminiBatchPrepareInputOperator(task_id="prepare", source=str(source), on_invalid="skip",
                                    destination_uri=f"{folder}/two/requests.jsonl",
                                    rejects_uri=f"{folder}/two/rejected.jsonl").execute({})
    text = refused(emulator, submit_operator(f"{folder}/two/*.jsonl"))
    assert f"matches 1 file(s) this package wrote that are no job input: {folder}/two/rejected.jsonl (rejects). " \
           "Narrow the wildcard" in text
    text = refused(emulator, submit_operator(f"{folder}/**.jsonl"))
    assert f"{folder}/input/rejects/requests.rejects.jsonl (rejects)" in text


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"location": "Moon Base/1"}, "'Moon Base/1' is not a Vertex AI location"),
        ({"model": "projects/local-project/locations/europe-west4/models/77"},
         "is in location 'europe-west4' but the job's location is 'us-central1'"),
        ({"model": "tunedModels/mine"}, "tuned in the Gemini API"),
    ],
)
def test_a_bad_location_or_model_path_creates_no_job(upload_lines, emulator, kwargs, message) -> None:
    uri = upload_lines(f"preflight/in-{next(_runs)}.jsonl", [request_line("q")])
    assert message in refused(emulator, submit_operator(uri, **kwargs), InvalidNameError)


def test_the_gemini_api_spelling_of_a_model_runs(upload_lines) -> None:
    uri = upload_lines(f"preflight/in-{next(_runs)}.jsonl", [request_line("q")])
    manifest = run_task(submit_operator(uri, model="models/gemini-2.5-flash"), new_context())
    assert manifest["model"] == "publishers/google/models/gemini-2.5-flash"
    assert manifest["state"] == "JOB_STATE_SUCCEEDED"
