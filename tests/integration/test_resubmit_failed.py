"""Split, reconcile and resubmit on the local stack: a job with successes, 400 rows and 429 rows.

Round 0 (the submit operator) carries the emulator label ``emulator-row-failure: 429-50``, so about
half its valid rows fail with 429 RESOURCE_EXHAUSTED; rows with the role ``tester`` fail with 400
INVALID_ARGUMENT whatever the labels. The resubmit operator's follow-up jobs carry no such label (its
``labels`` are its own), so the 429 rows succeed in the next round and the 400 rows stay failed.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest
from google.cloud import storage

from airflow_batch_gemini.exceptions import GeminiBatchConfigurationError, GeminiBatchPartialFailureError
from airflow_batch_gemini.operators.failures import GeminiBatchPermanentFailure
from airflow_batch_gemini.operators.resubmit_failed import ROUND_LABEL, GeminiBatchResubmitFailedOperator
from airflow_batch_gemini.operators.split_output import GeminiBatchSplitOutputOperator
from airflow_batch_gemini.operators.submit_job import GeminiBatchSubmitJobOperator
from airflow_batch_gemini.output.round_state import ROUND_STATE_KEY
from airflow_batch_gemini.package_files import PACKAGE_FILE_KEY
from airflow_batch_gemini.uris import parse_gs_uri
from tests.conftest import TEST_BUCKET, request_line
from tests.paths import EXAMPLE_DAGS
from tests.resumed_tasks import xcom_context
from tests.taskrun import run_task

pytestmark = pytest.mark.usefixtures("google_connection")
_runs = itertools.count()
VALID, INVALID = 30, 3


def read_rows(uri: str, gcs_client: storage.Client) -> list[dict[str, Any]]:
    bucket, name = parse_gs_uri(uri)
    return [json.loads(line) for line in gcs_client.bucket(bucket).blob(name).download_as_bytes().splitlines()]


def invalid_line(key: str) -> dict[str, Any]:
    return {"key": key, "request": {"contents": [{"role": "tester", "parts": [{"text": "bad role"}]}]}}


@pytest.fixture
def folder() -> str:
    return f"gs://{TEST_BUCKET}/resubmit/{next(_runs)}"


def submit_split(upload_lines, folder: str, deferrable: bool) -> tuple[dict[str, Any], dict[str, Any]]:
    lines = [request_line(f"question {i}", key=f"q{i:03d}") for i in range(VALID)]
    lines += [invalid_line(f"bad{i}") for i in range(INVALID)]
    input_uri = upload_lines(f"{folder.split('/', 3)[3]}/input.jsonl", lines)
    submit = GeminiBatchSubmitJobOperator(
        task_id="submit", input_uris=input_uri, output_uri_prefix=f"{folder}/output", display_name="resubmit-test",
        labels={"emulator-row-failure": "429-50"}, poll_interval=0.2, deferrable=deferrable,
    )
    context = xcom_context()
    job = run_task(submit, context)
    split = GeminiBatchSplitOutputOperator(task_id="split", job_manifest=job, destination_prefix=f"{folder}/split")
    return run_task(split, context), context


@pytest.mark.parametrize("deferrable", [True, False], ids=["deferred", "sync"])
def test_429_rows_succeed_in_the_next_round_and_400_rows_stay_failed(
    upload_lines, gcs_client, folder: str, deferrable: bool
) -> None:
    split, context = submit_split(upload_lines, folder, deferrable)
    assert split["input_rows"] == VALID + INVALID
    assert split["succeeded"] + split["failed"] + split["missing"] == VALID + INVALID
    assert split["failures_by_status"]["INVALID_ARGUMENT"] == INVALID
    quota = split["failures_by_status"].get("RESOURCE_EXHAUSTED", 0)
    assert quota > 0, "the 429 label made some rows fail"
    assert split["failures_by_code"] == {"429": quota, "400": INVALID} or split["failures_by_code"] == {
        "400": INVALID, "429": quota}
    assert split["disagreements"] == [], "counts agree with completionStats"

    resubmit = GeminiBatchResubmitFailedOperator(
        task_id="resubmit", split_manifest=split, destination_prefix=f"{folder}/final", display_name="resubmit-test",
        max_rounds=2, poll_interval=0.2, deferrable=deferrable,
    )
    final = run_task(resubmit, context)

    assert (final["succeeded"], final["failed"], final["missing"]) == (VALID, INVALID, 0)
    assert final["succeeded"] + final["failed"] + final["missing"] == final["input_rows"] == VALID + INVALID
    assert final["rounds"] == 1, "round 1 resent the 429 rows; nothing retryable was left for round 2"
    assert [r["resubmitted"] for r in final["round_summaries"]] == [quota, 0]
    assert final["round_summaries"][1]["succeeded"] == quota
    assert final["failures_by_status"] == {"INVALID_ARGUMENT": INVALID}
    assert final["token_usage"]["total_tokens"] > 0 and final["disagreements"] == []
    assert final["model_versions"] == {"gemini-2.5-flash@default": VALID}
    assert len(json.dumps(final)) < 4000, "counts only, never rows"

    succeeded = read_rows(final["succeeded_uri"], gcs_client)
    assert sorted(row["key"] for row in succeeded) == [f"q{i:03d}" for i in range(VALID)]
    failed = read_rows(final["failed_uri"], gcs_client)
    assert sorted(row["key"] for row in failed) == [f"bad{i}" for i in range(INVALID)]
    for row in failed:
        assert row["parsed_error"]["code"] == 400
        assert row["parsed_error"]["status"] == "INVALID_ARGUMENT"
        assert "valid role" in row["parsed_error"]["message"]
    assert read_rows(final["missing_uri"], gcs_client) == []
    if deferrable:  # resumed from the state the deferral pushed, no kwargs (as airflow dags test resumes)
        state = context["ti"].xcoms[ROUND_STATE_KEY]
        assert (state["try_number"], state["job_name"], state["pending"]["round"]) == (1, final["job_names"][1], 1)
        assert state["rounds"] == [split]


def kind_of(uri: str, gcs_client: storage.Client) -> str | None:
    bucket, name = parse_gs_uri(uri)
    blob = gcs_client.bucket(bucket).get_blob(name)
    assert blob is not None, uri
    return (blob.metadata or {}).get(PACKAGE_FILE_KEY)


def test_round_and_final_files_are_marked_with_their_kind(upload_lines, gcs_client, folder: str) -> None:
    split, context = submit_split(upload_lines, folder, deferrable=True)
    final = run_task(GeminiBatchResubmitFailedOperator(
        task_id="resubmit", split_manifest=split, destination_prefix=f"{folder}/final", display_name="resubmit-test",
        poll_interval=0.2), context)
    assert [kind_of(split[name], gcs_client) for name in ("succeeded_uri", "failed_uri", "missing_uri")] == [
        "result"] * 3
    assert [kind_of(final[name], gcs_client) for name in ("succeeded_uri", "failed_uri", "missing_uri")] == [
        "result"] * 3, "composed finals too"
    rounds = f"{folder}/final/rounds/1"
    assert kind_of(f"{rounds}/input.jsonl", gcs_client) == "input", "what round 1's job reads"
    assert kind_of(f"{rounds}/kept_failed.jsonl", gcs_client) == "result"
    assert kind_of(f"{rounds}/results/succeeded.jsonl", gcs_client) == "result"


def test_a_round_runs_within_allow_lists_of_the_split_files_and_of_the_destination(upload_lines, folder: str) -> None:
    """The split's files are the resubmission's sources; its rounds' inputs and outputs are its own files, under
    ``destination_prefix``: they are checked against ``allowed_destination_prefixes``, not the source list."""
    split, context = submit_split(upload_lines, folder, deferrable=True)
    final = run_task(GeminiBatchResubmitFailedOperator(
        task_id="resubmit", split_manifest=split, destination_prefix=f"{folder}/final", display_name="resubmit-test",
        poll_interval=0.2, allowed_source_prefixes=[f"{folder}/split/"],
        allowed_destination_prefixes=[f"{folder}/final/"]), context)
    assert final["rounds"] == 1, "round 1 resent the 429 rows, its input and output under the destination"
    assert final["failed"] == INVALID


@pytest.mark.parametrize(
    ("destination", "message"),
    [
        ("gs://no-such-bucket-here/final",
         "Bucket 'no-such-bucket-here' of the results (gs://no-such-bucket-here/final/succeeded.jsonl"),
        ("/tmp/final", "destination_prefix is '/tmp/final', not a Cloud Storage folder"),
    ],
    ids=["missing-bucket", "rendered-local-path"],
)
def test_a_destination_that_cannot_take_results_fails_fast_before_any_round(
    upload_lines, folder: str, emulator, destination: str, message: str
) -> None:
    split, context = submit_split(upload_lines, folder, deferrable=True)
    creates = emulator.calls("create")
    resubmit = GeminiBatchResubmitFailedOperator(
        task_id="resubmit", split_manifest=split, destination_prefix="{{ params.final }}",
        display_name="resubmit-test", poll_interval=0.2)
    resubmit.destination_prefix = destination  # as rendered
    with pytest.raises(GeminiBatchPermanentFailure) as raised:
        run_task(resubmit, context)
    assert isinstance(raised.value.error, GeminiBatchConfigurationError)
    assert message in str(raised.value)
    assert emulator.calls("create") == creates, "no job paid for"


def test_a_retry_of_the_task_reattaches_to_each_rounds_job(upload_lines, folder: str, emulator) -> None:
    split, context = submit_split(upload_lines, folder, deferrable=True)
    kwargs = {"split_manifest": split, "destination_prefix": f"{folder}/final", "display_name": "resubmit-test",
              "poll_interval": 0.2}
    first = run_task(GeminiBatchResubmitFailedOperator(task_id="resubmit", **kwargs), context)
    creates = emulator.calls("create")
    again = run_task(GeminiBatchResubmitFailedOperator(task_id="resubmit", **kwargs), context)
    assert emulator.calls("create") == creates, "the second try found round 1's job by its labels"
    assert again["job_names"] == first["job_names"]
    assert (again["succeeded"], again["failed"]) == (first["succeeded"], first["failed"])


@pytest.mark.parametrize("max_rounds", [0, 1], ids=["in-execute", "after-a-deferred-round"])
def test_rounds_are_bounded_and_the_policy_fails_fast_after_writing(
    upload_lines, gcs_client, folder: str, max_rounds: int
) -> None:
    split, context = submit_split(upload_lines, folder, deferrable=True)
    quota = split["failures_by_status"]["RESOURCE_EXHAUSTED"]
    resubmit = GeminiBatchResubmitFailedOperator(
        task_id="resubmit", split_manifest=split, destination_prefix=f"{folder}/final", display_name="resubmit-test",
        max_rounds=max_rounds, max_failure_ratio=0.01, poll_interval=0.2,
    )
    with pytest.raises(GeminiBatchPermanentFailure, match="more than max_failure_ratio") as raised:
        run_task(resubmit, context)
    assert isinstance(raised.value.error, GeminiBatchPartialFailureError), "a retry would end the same: no retry"
    final = raised.value.error.manifest
    failed = quota + INVALID if max_rounds == 0 else INVALID
    assert (final["rounds"], final["failed"]) == (max_rounds, failed)
    assert len(read_rows(final["failed_uri"], gcs_client)) == failed
    assert context["ti"].xcoms["return_value"] == final, "the manifest is pushed before the error"


def keys_in(uri: str, gcs_client: storage.Client) -> set[str]:
    return {row["key"] for row in read_rows(uri, gcs_client)}


@pytest.mark.parametrize("deferrable", [True, False], ids=["deferred", "sync"])
def test_follow_up_jobs_that_fail_keep_the_rows_they_finished_and_resend_the_rest(
    upload_lines, gcs_client, folder: str, deferrable: bool
) -> None:
    split, context = submit_split(upload_lines, folder, deferrable)
    quota = split["failures_by_status"]["RESOURCE_EXHAUSTED"]
    resubmit = GeminiBatchResubmitFailedOperator(
        task_id="resubmit", split_manifest=split, destination_prefix=f"{folder}/final", display_name="resubmit-test",
        labels={"emulator-outcome": "failed"}, max_rounds=2, poll_interval=0.2, deferrable=deferrable,
    )
    final = run_task(resubmit, context)  # no error: every follow-up job FAILS halfway (emulator label)

    assert [(item["round"], item["state"]) for item in final["unfinished_rounds"]] == [
        (1, "JOB_STATE_FAILED"), (2, "JOB_STATE_FAILED")]
    assert "code 13" in final["unfinished_rounds"][0]["error"]
    summaries = final["round_summaries"]
    assert summaries[1]["input_rows"] == quota and 0 < summaries[1]["succeeded"] < quota
    assert summaries[2]["input_rows"] == summaries[1]["missing"], "round 2 resent the rows round 1 left unfinished"
    assert final["succeeded"] == split["succeeded"] + summaries[1]["succeeded"] + summaries[2]["succeeded"]
    assert (final["failed"], final["missing"]) == (INVALID, summaries[2]["missing"]) and final["missing"] > 0
    assert final["succeeded"] + final["failed"] + final["missing"] == VALID + INVALID
    files = [keys_in(final[name], gcs_client) for name in ("succeeded_uri", "failed_uri", "missing_uri")]
    assert [len(keys) for keys in files] == [final["succeeded"], final["failed"], final["missing"]]
    assert set.union(*files) == {f"q{i:03d}" for i in range(VALID)} | {f"bad{i}" for i in range(INVALID)}


def test_a_follow_up_job_without_output_stops_the_rounds_and_keeps_the_earlier_errors(
    upload_lines, gcs_client, folder: str
) -> None:
    split, context = submit_split(upload_lines, folder, deferrable=True)
    quota = split["failures_by_status"]["RESOURCE_EXHAUSTED"]
    resubmit = GeminiBatchResubmitFailedOperator(
        task_id="resubmit", split_manifest=split, destination_prefix=f"{folder}/final", display_name="resubmit-test",
        labels={"emulator-outcome": "expired"}, max_rounds=2, poll_interval=0.2,
    )
    final = run_task(resubmit, context)

    assert [(item["round"], item["state"]) for item in final["unfinished_rounds"]] == [(1, "JOB_STATE_EXPIRED")]
    assert (final["rounds"], final["succeeded"], final["failed"]) == (0, split["succeeded"], quota + INVALID)
    assert final["failures_by_status"] == {"RESOURCE_EXHAUSTED": quota, "INVALID_ARGUMENT": INVALID}
    assert len(keys_in(final["failed_uri"], gcs_client)) == quota + INVALID


def test_each_round_has_its_own_identity_label() -> None:
    operator = GeminiBatchResubmitFailedOperator(
        task_id="resubmit", split_manifest={}, destination_prefix=f"gs://{TEST_BUCKET}/x"
    )
    context = xcom_context()
    labels = []
    for number in (1, 2):
        operator.round_number = number
        labels.append(operator._identity(context, "rfingerprint"))
    assert labels[0][ROUND_LABEL] == "1" and labels[1][ROUND_LABEL] == "2"
    assert labels[0]["airflow_batch_key"] != labels[1]["airflow_batch_key"]


def test_the_example_dag_wires_split_into_resubmission() -> None:
    import runpy

    path = EXAMPLE_DAGS / "gemini_batch_resubmit_example.py"
    dag = runpy.run_path(str(path))["dag"]
    resubmit = dag.get_task("resubmit_failed")
    assert isinstance(resubmit, GeminiBatchResubmitFailedOperator)
    assert resubmit.upstream_task_ids == {"split_results"}
    assert resubmit.downstream_task_ids == {"use_successes", "review_failures"}
