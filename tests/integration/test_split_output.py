"""GeminiBatchSplitOutputOperator's split against fake-gcs-server: counts, files, errors."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from google.cloud import storage

from airflow_batch_gemini.exceptions import (
    GeminiBatchConfigurationError,
    GeminiBatchOutputError,
    GeminiBatchPartialFailureError,
)
from airflow_batch_gemini.hooks.storage import GeminiBatchStorageHook
from airflow_batch_gemini.operators.failures import GeminiBatchPermanentFailure
from airflow_batch_gemini.operators.split_output import GeminiBatchSplitOutputOperator
from airflow_batch_gemini.output.annotation import PARSED_ERROR_FIELD
from airflow_batch_gemini.output.rows import RowError
from airflow_batch_gemini.output.tally import MAX_CATEGORIES as MAX_FAILURE_CATEGORIES
from airflow_batch_gemini.output.tally import OTHER_CATEGORY
from airflow_batch_gemini.package_files import PACKAGE_FILE_KEY
from airflow_batch_gemini.uris import parse_gs_uri
from tests.conftest import TEST_BUCKET
from tests.seed import FAILURE_ROW, SUCCESS_ROW, row_line


def success(key: str) -> bytes:
    return row_line({**SUCCESS_ROW, "key": key})


def failure(key: str, status: str | None = None) -> bytes:
    return row_line({**FAILURE_ROW, "key": key, **({"status": status} if status is not None else {})})


def annotated(line: bytes) -> bytes:
    """A failed row as failed.jsonl holds it: with the error parsed out of its status."""
    from airflow_batch_gemini.output.rows import classify_line

    error = classify_line(line).error
    assert isinstance(error, RowError)
    row = {**json.loads(line), PARSED_ERROR_FIELD: error.as_dict()}
    return json.dumps(row, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


@pytest.fixture
def hook(google_connection: str) -> GeminiBatchStorageHook:
    return GeminiBatchStorageHook(gcp_conn_id=google_connection)


@pytest.fixture
def job_folder() -> str:
    return f"gs://{TEST_BUCKET}/split/{uuid.uuid4().hex}"


def write(hook: GeminiBatchStorageHook, uri: str, *lines: bytes) -> None:
    with hook.open_writer(uri) as writer:
        for line in lines:
            writer.write(line)


def read(uri: str, gcs_client: storage.Client) -> bytes | None:
    bucket, name = parse_gs_uri(uri)
    blob = gcs_client.bucket(bucket).get_blob(name)
    return None if blob is None else blob.download_as_bytes()


def operator(google_connection: str, **kwargs: Any) -> GeminiBatchSplitOutputOperator:
    return GeminiBatchSplitOutputOperator(task_id="split", gcp_conn_id=google_connection, **kwargs)


def test_rows_of_every_shard_are_split_and_counted(google_connection, hook, job_folder, gcs_client) -> None:
    output = f"{job_folder}/output/prediction-model-2026-01-01T00:00:00.000000Z"
    write(hook, f"{output}/predictions.jsonl", success("a"), failure("b"), success("c"))
    write(hook, f"{output}/predictions_0002.jsonl", failure("d", "Internal error"), success("e").rstrip(b"\n"))
    write(hook, f"{output}/incremental_predictions/predictions_0001.jsonl", success("a"))
    results = f"{job_folder}/results"

    summary = operator(google_connection, output_directory=output, destination_prefix=results).split()

    assert {name: summary[name] for name in ("succeeded", "failed", "missing", "total", "input_rows", "reconciled",
                                             "succeeded_uri", "failed_uri", "missing_uri", "failures_by_status",
                                             "failures_by_code", "token_usage", "model_versions", "files_read",
                                             "disagreements")} == {
        "succeeded": 3,
        "failed": 2,
        "missing": 0,
        "total": 5,
        "input_rows": None,
        "reconciled": False,
        "succeeded_uri": f"{results}/succeeded.jsonl",
        "failed_uri": f"{results}/failed.jsonl",
        "missing_uri": f"{results}/missing.jsonl",
        "failures_by_status": {"INVALID_ARGUMENT": 1, "Internal error": 1},
        "failures_by_code": {"400": 1, "none": 1},
        "token_usage": {"prompt_tokens": 3 * 29180, "candidates_tokens": 3 * 36, "thoughts_tokens": 0,
                        "cached_tokens": 0, "total_tokens": 3 * 29216},
        "model_versions": {"gemini-2.0-flash-001@default": 3},
        "files_read": 2,
        "disagreements": [],
    }
    assert read(summary["succeeded_uri"], gcs_client) == success("a") + success("c") + success("e")
    expected_failed = annotated(failure("b")) + annotated(failure("d", "Internal error"))
    assert read(summary["failed_uri"], gcs_client) == expected_failed
    assert read(summary["missing_uri"], gcs_client) == b""
    assert len(json.dumps(summary)) < 1500, "counts only, never rows"
    for name in ("succeeded_uri", "failed_uri", "missing_uri"):
        bucket, path = parse_gs_uri(summary[name])
        assert gcs_client.bucket(bucket).get_blob(path).metadata == {PACKAGE_FILE_KEY: "result"}, name


def test_the_manifest_of_the_submit_task_gives_the_directory(google_connection, hook, job_folder) -> None:
    output = f"{job_folder}/prediction-model-x"
    write(hook, f"{output}/predictions.jsonl", success("a"))
    manifest = {"job_name": "projects/1/locations/us-central1/batchPredictionJobs/1", "output_directory": output,
                "state": "JOB_STATE_SUCCEEDED"}
    summary = operator(google_connection, job_manifest=manifest, destination_prefix=f"{job_folder}/r/").split()
    assert (summary["succeeded"], summary["failed"]) == (1, 0)
    assert summary["succeeded_uri"] == f"{job_folder}/r/succeeded.jsonl"


def test_a_rerun_replaces_both_files_and_never_reads_them_back(
    google_connection, hook, job_folder, gcs_client
) -> None:
    output = f"{job_folder}/prediction-model-x"
    write(hook, f"{output}/predictions.jsonl", success("a"), failure("b"))
    split = operator(google_connection, output_directory=output, destination_prefix=output)
    first = split.split("dag/run/split")
    assert (first["succeeded"], first["failed"]) == (1, 1)

    write(hook, f"{output}/predictions.jsonl", success("a"), success("b"))
    second = split.split("dag/run/split")
    assert (second["succeeded"], second["failed"], second["files_read"]) == (2, 0, 1)
    assert read(second["succeeded_uri"], gcs_client) == success("a") + success("b")
    assert read(second["failed_uri"], gcs_client) == b"", "an empty failure file replaces the old one"


def test_lines_that_are_not_rows_are_kept_as_failures(google_connection, hook, job_folder, gcs_client) -> None:
    output = f"{job_folder}/prediction-model-x"
    write(hook, f"{output}/predictions.jsonl", b"\n", b"garbage\n", success("a"), b'{"response": {}}\n')
    summary = operator(google_connection, output_directory=output, destination_prefix=job_folder).split()
    assert summary["failures_by_status"] == {"UNREADABLE_ROW": 1, "MISSING_STATUS": 1}
    assert read(summary["failed_uri"], gcs_client) == b"garbage\n" + annotated(b'{"response": {}}\n')


def test_failure_categories_stay_few(google_connection, hook, job_folder) -> None:
    output = f"{job_folder}/prediction-model-x"
    kinds = range(MAX_FAILURE_CATEGORIES + 5)
    lines = [failure(str(i), f'Error: {{"error": {{"status": "KIND_{i}"}}}}') for i in kinds]
    write(hook, f"{output}/predictions.jsonl", *lines)
    summary = operator(google_connection, output_directory=output, destination_prefix=job_folder).split()
    assert len(summary["failures_by_status"]) == MAX_FAILURE_CATEGORIES + 1
    assert summary["failures_by_status"][OTHER_CATEGORY] == 5
    assert summary["failed"] == sum(summary["failures_by_status"].values()) == MAX_FAILURE_CATEGORIES + 5


def test_no_jsonl_under_the_directory(google_connection, hook, job_folder, gcs_client) -> None:
    write(hook, f"{job_folder}/prediction-model-x/errors.txt", b"x\n")
    with pytest.raises(GeminiBatchOutputError, match=r"No \*\.jsonl file under"):
        operator(google_connection, output_directory=f"{job_folder}/prediction-model-x",
                 destination_prefix=f"{job_folder}/r").split()
    assert read(f"{job_folder}/r/succeeded.jsonl", gcs_client) is None


@pytest.mark.parametrize(
    ("manifest", "error", "expected"),
    [
        ({"output_directory": "bq://project.dataset.predictions"}, GeminiBatchConfigurationError,
         "The job's output 'bq://project.dataset.predictions' is not a gs:// directory.*BigQuery"),
        ({"output_directory": "predictions_2026_01_01T00_00_00_000Z"}, GeminiBatchConfigurationError,
         "query it instead"),
        ({"output_directory": "gs://"}, GeminiBatchConfigurationError, "not a gs:// directory"),
        ({"state": "JOB_STATE_SUCCEEDED"}, GeminiBatchOutputError, "No output directory"),
        ("gs://b/x", GeminiBatchOutputError, "job_manifest must be the submit task's dict"),
    ],
)
def test_output_that_cannot_be_split_fails_fast(google_connection, manifest: Any, error: type, expected: str) -> None:
    with pytest.raises(GeminiBatchPermanentFailure, match=expected) as raised:
        operator(google_connection, destination_prefix=f"gs://{TEST_BUCKET}/r", job_manifest=manifest).execute(
            {"ti": None})
    assert type(raised.value.error) is error, "a retry would read the same output"


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"output_directory": "bq://project.dataset.predictions"}, "output_directory 'bq://.*BigQuery"),
        ({"output_directory": "/local/folder"}, "output_directory '/local/folder' is not a gs:// directory"),
        ({"output_directory": "gs://b/o", "destination_prefix": "/tmp/results"},
         "destination_prefix is '/tmp/results', not a Cloud Storage folder"),
    ],
)
def test_settings_written_out_are_checked_by_the_constructor(kwargs: dict[str, Any], expected: str) -> None:
    with pytest.raises(GeminiBatchConfigurationError, match=expected):
        GeminiBatchSplitOutputOperator(task_id="split", **{"destination_prefix": "gs://b/r", **kwargs})


def test_a_rendered_destination_not_on_cloud_storage_fails_fast(google_connection) -> None:
    split = operator(google_connection, output_directory="gs://b/o", destination_prefix="{{ params.results }}")
    split.destination_prefix = "/tmp/results"  # as rendered
    with pytest.raises(GeminiBatchPermanentFailure, match="destination_prefix is '/tmp/results', not a Cloud Storage"):
        split.execute({"ti": None})


def test_a_directory_is_required() -> None:
    with pytest.raises(ValueError, match="output_directory or job_manifest"):
        GeminiBatchSplitOutputOperator(task_id="split", destination_prefix="gs://b/r")


def test_a_destination_in_a_missing_bucket_is_named_before_anything_is_read(
    google_connection, hook, job_folder
) -> None:
    write(hook, f"{job_folder}/prediction-model-x/predictions.jsonl", success("a"))
    split = operator(google_connection, output_directory=f"{job_folder}/prediction-model-x",
                     input_uris=f"{job_folder}/absent-input.jsonl", destination_prefix="gs://no-such-bucket/r")
    with pytest.raises(GeminiBatchPermanentFailure) as raised:
        split.execute({"ti": None})
    assert isinstance(raised.value.error, GeminiBatchConfigurationError)
    assert "Bucket 'no-such-bucket' of the results (gs://no-such-bucket/r/succeeded.jsonl" in str(raised.value)
    assert "Create the bucket, or set destination_prefix" in str(raised.value)


def test_a_policy_crossed_fails_fast_after_writing(google_connection, hook, job_folder, gcs_client) -> None:
    output = f"{job_folder}/prediction-model-x"
    write(hook, f"{output}/predictions.jsonl", success("a"), failure("b"))
    pushed: dict[str, Any] = {}
    ti = type("TaskInstance", (), {"xcom_push": lambda self, key, value: pushed.update({key: value})})()
    split = operator(google_connection, output_directory=output, destination_prefix=job_folder, max_failure_ratio=0.2)
    with pytest.raises(GeminiBatchPermanentFailure, match=r"more than max_failure_ratio 20\.0%") as raised:
        split.execute({"ti": ti})
    assert isinstance(raised.value.error, GeminiBatchPartialFailureError)
    assert pushed["return_value"]["failed"] == 1 and read(f"{job_folder}/failed.jsonl", gcs_client)


def test_input_given_with_wildcards_is_reconciled_with_the_objects_it_matches(
    google_connection, hook, job_folder, gcs_client
) -> None:
    def request(key: str) -> bytes:
        return json.dumps({"key": key, "request": SUCCESS_ROW["request"]}).encode() + b"\n"

    write(hook, f"{job_folder}/in/part-1.jsonl", request("a"), request("b"))
    write(hook, f"{job_folder}/in/part-2.jsonl", request("c"))
    write(hook, f"{job_folder}/in/deeper/part-3.jsonl", request("d"))  # "*" stays within one level
    write(hook, f"{job_folder}/out/predictions.jsonl", success("a"), failure("c"))
    split = operator(google_connection, output_directory=f"{job_folder}/out", destination_prefix=f"{job_folder}/r",
                     input_uris=f"{job_folder}/in/part-*.jsonl").split()
    assert split["reconciled"] and split["input_rows"] == 3
    assert (split["succeeded"], split["failed"], split["missing"]) == (1, 1, 1)
    assert read(split["missing_uri"], gcs_client) == request("b")
    assert split["input_uris"] == [f"{job_folder}/in/part-*.jsonl"], "as given"

    across = operator(google_connection, output_directory=f"{job_folder}/out", destination_prefix=f"{job_folder}/r2",
                      input_uris=f"{job_folder}/in/**.jsonl").split()
    assert (across["input_rows"], across["missing"]) == (4, 2)


def test_the_objects_of_input_uris(google_connection, hook, job_folder) -> None:
    for name in ("a/x.jsonl", "a/y.jsonl", "a/b/z.jsonl", "a/x.txt"):
        write(hook, f"{job_folder}/{name}", b"{}\n")
    plain = f"{job_folder}/a/x.jsonl"
    assert hook.expand_uris([plain]) == [plain], "without wildcards, as given (even if absent)"
    assert hook.expand_uris([f"{job_folder}/a/*.jsonl"]) == [f"{job_folder}/a/x.jsonl", f"{job_folder}/a/y.jsonl"]
    assert hook.expand_uris([f"{job_folder}/**.jsonl"]) == [
        f"{job_folder}/a/b/z.jsonl", f"{job_folder}/a/x.jsonl", f"{job_folder}/a/y.jsonl"]
    assert hook.expand_uris([f"{job_folder}/nothing/*"]) == []
