"""Hostile output, as an attacker who can only trigger a DAG: one row nested hundreds or thousands of levels deep,
one row longer than ``max_row_bytes``, one status text nested 100,000 levels deep (inside the string).

Before, one such row failed the split (and the resubmission) as a whole, on every retry, so no row of its job was
delivered; and the emulator crashed on such an input line. Now the row fails alone (``ROW_TOO_DEEP``, with its
reason in ``failed.jsonl``), every other row is delivered and the reconciliation adds up; the emulator fails
such a job as the service's importer does (code 3) and goes on serving. All through the real operators, the
emulator and fake-gcs-server.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import urllib.request
from typing import Any

import pytest
from google.cloud import storage

from airflow_batch_gemini.exceptions import GeminiBatchJobFailedError
from airflow_batch_gemini.hooks.storage import GeminiBatchStorageHook
from airflow_batch_gemini.operators.failures import GeminiBatchPermanentFailure
from airflow_batch_gemini.operators.resubmit_failed import GeminiBatchResubmitFailedOperator
from airflow_batch_gemini.operators.split_output import GeminiBatchSplitOutputOperator
from airflow_batch_gemini.operators.submit_job import GeminiBatchSubmitJobOperator
from airflow_batch_gemini.output.annotation import PARSED_ERROR_FIELD, TOO_LARGE_FIELD
from airflow_batch_gemini.output.rows import OTHER_STATUS_TEXT, ROW_TOO_DEEP, ROW_TOO_LARGE
from airflow_batch_gemini.uris import parse_gs_uri
from gemini_batch_local.local_stack import LocalStack
from tests.conftest import TEST_BUCKET, request_line
from tests.resumed_tasks import xcom_context
from tests.seed import SUCCESS_ROW
from tests.taskrun import run_task

pytestmark = pytest.mark.usefixtures("google_connection")
_folders = itertools.count()
QUOTA = 'Too Many Requests: {"error": {"code": 429, "message": "quota", "status": "RESOURCE_EXHAUSTED"}}'
REQUEST = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}
OTHER_ROWS = 20


@pytest.fixture
def folder() -> str:
    return f"gs://{TEST_BUCKET}/security/hostile-output/{next(_folders)}"


def deep_request(depth: int) -> bytes:
    """A request whose ``labels`` hold an array nested ``depth`` levels deep."""
    return json.dumps(REQUEST, separators=(",", ":")).encode()[:-1] + b',"labels":' + b"[" * depth + b"]" * depth + b"}"


def keyed(key: str | None) -> bytes:
    return b'"key":"%s",' % key.encode() if key is not None else b""


def write(uri: str, data: bytes) -> None:
    with GeminiBatchStorageHook().open_writer(uri) as writer:
        writer.write(data)


def read(uri: str, gcs_client: storage.Client) -> bytes:
    bucket, name = parse_gs_uri(uri)
    return gcs_client.bucket(bucket).blob(name).download_as_bytes()


def job_with_a_deep_row(folder: str, depth: int, key: str | None) -> dict[str, Any]:
    """A finished job's input and output as the service leaves them: ``OTHER_ROWS`` plain rows and one whose request
    nests ``depth`` levels deep (echoed in its output row); the submit manifest pointing at them."""
    plain = [{"key": f"k{index:02d}", "request": REQUEST} for index in range(OTHER_ROWS)]
    deep_input = b"{" + keyed(key) + b'"request":' + deep_request(depth) + b"}\n"
    deep_output = (b'{"status":"",' + keyed(key) + b'"request":' + deep_request(depth)
                   + b',"response":{"candidates":[]}}\n')
    lines = [json.dumps(line).encode() + b"\n" for line in plain]
    outputs = [json.dumps({**SUCCESS_ROW, "key": line["key"]}).encode() + b"\n" for line in plain]
    write(f"{folder}/input.jsonl", b"".join(lines[:10]) + deep_input + b"".join(lines[10:]))
    write(f"{folder}/output/prediction-model-x/predictions.jsonl",
          b"".join(outputs[:5]) + deep_output + b"".join(outputs[5:]))
    return {"job_name": "projects/local-project/locations/us-central1/batchPredictionJobs/1",
            "model": "gemini-2.5-flash", "output_directory": f"{folder}/output/prediction-model-x",
            "input_uris": [f"{folder}/input.jsonl"],
            "completion_stats": {"succeeded": OTHER_ROWS + 1, "failed": 0, "incomplete": 0}}


@pytest.mark.parametrize(("depth", "key"), [(600, "deep"), (600, None), (5000, "deep")],
                         ids=["600-keyed", "600-keyless", "5000-keyed"])
def test_a_deep_row_fails_alone_and_every_other_row_is_delivered(
    folder: str, gcs_client: storage.Client, depth: int, key: str | None
) -> None:
    manifest = job_with_a_deep_row(folder, depth, key)
    split = GeminiBatchSplitOutputOperator(task_id="split", job_manifest=manifest, destination_prefix=f"{folder}/r")
    summary = run_task(split, xcom_context())

    succeeded = [json.loads(line)["key"] for line in read(summary["succeeded_uri"], gcs_client).splitlines()]
    assert sorted(succeeded) == [f"k{index:02d}" for index in range(OTHER_ROWS)], "every other row is delivered"
    failed = read(summary["failed_uri"], gcs_client)
    assert failed.count(b"\n") == 1 and summary["failures_by_status"] == {ROW_TOO_DEEP: 1}
    assert b'"%s":{"code":null,"status":"%s"' % (PARSED_ERROR_FIELD.encode(), ROW_TOO_DEEP.encode()) in failed
    assert summary["input_rows"] == OTHER_ROWS + 1
    if key is not None:  # joined to its input line by the key at its top level
        assert (summary["succeeded"], summary["failed"], summary["missing"]) == (OTHER_ROWS, 1, 0)
        assert summary["unexpected_rows"] == 0
    else:  # its request cannot be read safely: it joins no input line, which shows as missing
        assert (summary["succeeded"], summary["failed"], summary["missing"]) == (OTHER_ROWS, 1, 1)
        assert summary["unexpected_rows"] == 1
        assert read(summary["missing_uri"], gcs_client).startswith(b'{"request":{"contents"')


RECURSIVE_STATUS = "x" + '{"a":' * 100_000  # raised RecursionError in the split, on every retry


def test_an_over_long_row_and_a_recursive_status_text_fail_alone_and_every_other_row_is_delivered(
    folder: str, gcs_client: storage.Client
) -> None:
    plain = [{"key": f"k{index:02d}", "request": REQUEST} for index in range(OTHER_ROWS)]
    inputs = [json.dumps(line).encode() + b"\n" for line in [*plain, {"key": "big", "request": REQUEST},
                                                             {"key": "rec", "request": REQUEST}]]
    big = (b'{"key":"big","status":"","request":{"contents":[{"parts":[{"text":"' + b"x" * (5 * 1024 * 1024)
           + b'"}]}]},"response":{}}\n')
    recursive = json.dumps({"key": "rec", "status": RECURSIVE_STATUS, "request": REQUEST}).encode() + b"\n"
    outputs = [json.dumps({**SUCCESS_ROW, "key": line["key"]}).encode() + b"\n" for line in plain]
    write(f"{folder}/input.jsonl", b"".join(inputs))
    write(f"{folder}/output/prediction-model-x/predictions.jsonl",
          b"".join(outputs[:5]) + big + b"".join(outputs[5:10]) + recursive + b"".join(outputs[10:]))
    manifest = {"job_name": "projects/local-project/locations/us-central1/batchPredictionJobs/1",
                "model": "gemini-2.5-flash", "output_directory": f"{folder}/output/prediction-model-x",
                "input_uris": [f"{folder}/input.jsonl"],
                "completion_stats": {"succeeded": OTHER_ROWS, "failed": 2, "incomplete": 0}}
    split = GeminiBatchSplitOutputOperator(task_id="split", job_manifest=manifest, destination_prefix=f"{folder}/r",
                                           max_row_bytes=1024 * 1024)
    summary = run_task(split, xcom_context())

    succeeded = [json.loads(line)["key"] for line in read(summary["succeeded_uri"], gcs_client).splitlines()]
    assert sorted(succeeded) == [f"k{index:02d}" for index in range(OTHER_ROWS)], "every other row is delivered"
    assert (summary["succeeded"], summary["failed"], summary["missing"], summary["input_rows"]) == (OTHER_ROWS, 2, 0,
                                                                                                    OTHER_ROWS + 2)
    assert summary["unexpected_rows"] == 0 and summary["disagreements"] == []
    assert summary["failures_by_status"] == {ROW_TOO_LARGE: 1, OTHER_STATUS_TEXT: 1}
    assert read(summary["missing_uri"], gcs_client) == b""
    failed = {row["key"]: row for row in map(json.loads, read(summary["failed_uri"], gcs_client).splitlines())}
    assert sorted(failed) == ["big", "rec"]
    record = failed["big"]
    part = f"{manifest['output_directory']}/predictions.jsonl"
    assert record[TOO_LARGE_FIELD] == {"size": len(big) - 1, "sha256": hashlib.sha256(big[:-1]).hexdigest(),
                                       "limit": 1024 * 1024, "part": part, "line": 6}
    assert record[PARSED_ERROR_FIELD]["status"] == ROW_TOO_LARGE and "raise max_row_bytes" in record["status"]
    assert failed["rec"]["status"] == RECURSIVE_STATUS and failed["rec"][PARSED_ERROR_FIELD]["status"] is None


def test_a_deep_failed_row_is_kept_by_the_resubmission_and_the_others_resent(
    folder: str, gcs_client: storage.Client
) -> None:
    deep_quota = (b'{"status":' + json.dumps(QUOTA).encode() + b',"key":"deep","request":' + deep_request(600)
                  + b',"response":{}}\n')
    quota = json.dumps({"status": QUOTA, "key": "quota", "request": REQUEST, "response": {}}).encode() + b"\n"
    write(f"{folder}/split/failed.jsonl", deep_quota + quota)
    write(f"{folder}/split/succeeded.jsonl", b"")
    write(f"{folder}/split/missing.jsonl", b"")
    split = {"job_name": "projects/local-project/locations/us-central1/batchPredictionJobs/1",
             "model": "gemini-2.5-flash", "input_rows": 2, "reconciled": True, "succeeded": 0, "failed": 2,
             "missing": 0, "failures_by_status": {"RESOURCE_EXHAUSTED": 2}, "failures_by_code": {"429": 2},
             **{f"{name}_uri": f"{folder}/split/{name}.jsonl" for name in ("succeeded", "failed", "missing")}}
    resubmit = GeminiBatchResubmitFailedOperator(
        task_id="resubmit", split_manifest=split, destination_prefix=f"{folder}/final", display_name="hostile",
        max_rounds=1, poll_interval=0.2, deferrable=False,
    )
    final = run_task(resubmit, xcom_context())

    assert (final["succeeded"], final["failed"], final["missing"]) == (1, 1, 0)
    assert final["round_summaries"][0]["resubmitted"] == 1, "only the row that can be read is resent"
    assert final["failures_by_status"] == {ROW_TOO_DEEP: 1}
    assert read(final["failed_uri"], gcs_client) == deep_quota, "kept byte for byte"
    assert json.loads(read(final["succeeded_uri"], gcs_client))["key"] == "quota"


@pytest.mark.parametrize("depth", [600, 5000])
def test_the_emulator_fails_a_too_deep_input_as_the_importer_does_and_goes_on(
    folder: str, stack: LocalStack, depth: int
) -> None:
    deep = b'{"key":"deep","request":' + deep_request(depth) + b"}\n"
    write(f"{folder}/deep.jsonl", json.dumps(request_line("fine", key="a")).encode() + b"\n" + deep)
    submit = GeminiBatchSubmitJobOperator(
        task_id="submit", input_uris=[f"{folder}/deep.jsonl"], output_uri_prefix=f"{folder}/out",
        display_name="hostile", poll_interval=0.2, deferrable=False,
    )
    with pytest.raises((GeminiBatchPermanentFailure, GeminiBatchJobFailedError)) as raised:
        run_task(submit, xcom_context())
    error = getattr(raised.value, "error", raised.value)
    assert isinstance(error, GeminiBatchJobFailedError) and error.error is not None
    assert error.error.get("code") == 3 and "line 2: values are nested more than 64" in error.error.get("message", "")

    body = b'{"displayName":"x","labels":' + b"[" * depth + b"]" * depth + b"}"
    request = urllib.request.Request(f"{stack.vertex_url}/v1/projects/p/locations/us-central1/batchPredictionJobs",
                                     data=body, method="POST", headers={"Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 400, "a deep API body is refused, not a crash of the handler"
    assert b"nest more than 64 levels" in refused.value.read()

    write(f"{folder}/fine.jsonl", json.dumps(request_line("fine", key="a")).encode() + b"\n")
    submit = GeminiBatchSubmitJobOperator(
        task_id="submit", input_uris=[f"{folder}/fine.jsonl"], output_uri_prefix=f"{folder}/out-fine",
        display_name="hostile", poll_interval=0.2, deferrable=False,
    )
    assert run_task(submit, xcom_context())["state"] == "JOB_STATE_SUCCEEDED", "the emulator goes on serving"
