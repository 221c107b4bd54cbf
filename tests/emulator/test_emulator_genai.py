"""google-genai, unchanged, against the emulator: create, get, list, cancel, delete, and the seed rows."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest
from google.genai import errors
from google.genai.types import CreateBatchJobConfig, JobState

from tests.emulator.helpers import LOCATION, MODEL, PROJECT, text_line
from tests.seed import FAILURE_ROW, SEED_INPUT, SUCCESS_ROW

FINISHED = {JobState.JOB_STATE_SUCCEEDED, JobState.JOB_STATE_FAILED, JobState.JOB_STATE_CANCELLED,
            JobState.JOB_STATE_EXPIRED, JobState.JOB_STATE_PARTIALLY_SUCCEEDED}


def wait_genai(client: Any, name: str, timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    job = client.batches.get(name=name)
    while job.state not in FINISHED:
        assert time.monotonic() < deadline, job
        time.sleep(0.05)
        job = client.batches.get(name=name)
    return job


@pytest.fixture(params=["v1", None], ids=["v1", "v1beta1-default"])
def client(request: pytest.FixtureRequest, genai_client_factory: Any) -> Any:
    return genai_client_factory(request.param)


def test_seed_input_gives_one_success_and_one_failure_row_in_the_seed_shapes(
    genai_client_factory: Any, upload: Any, prefix: str, read_rows: Any
) -> None:
    """The must-show: the guide's input line plus a ``tester`` role, through google-genai."""
    client = genai_client_factory("v1")
    seed_line = SEED_INPUT.read_text().strip()
    tester = json.dumps(text_line("Explain how AI works in a few words", role="tester"))
    source = upload(f"{prefix}/input.jsonl", f"{seed_line}\n{tester}\n")

    job = client.batches.create(model="gemini-2.5-flash", src=source,
                                config=CreateBatchJobConfig(dest=f"{prefix}/output"))
    assert job.model == MODEL
    assert job.state in (JobState.JOB_STATE_QUEUED, JobState.JOB_STATE_PENDING)
    job = wait_genai(client, job.name)

    assert job.state == JobState.JOB_STATE_SUCCEEDED
    assert (job.completion_stats.successful_count, job.completion_stats.failed_count) == (1, 1)
    directory = job.output_info.gcs_output_directory
    assert directory.startswith(f"{prefix}/output/prediction-model-") and directory.endswith("Z")
    rows = read_rows(directory)
    assert len(rows) == 2
    success = next(row for row in rows if row["status"] == "")
    failure = next(row for row in rows if row["status"] != "")

    expected_success = dict(SUCCESS_ROW)
    expected_failure = dict(FAILURE_ROW)
    assert list(success) == list(expected_success)
    assert list(failure) == list(expected_failure)
    assert failure["status"] == expected_failure["status"]
    assert failure["response"] == {}
    assert failure["request"] == expected_failure["request"]
    assert success["request"]["contents"] == expected_success["request"]["contents"]
    response, expected_response = success["response"], expected_success["response"]
    assert set(response) == set(expected_response)
    assert set(response["usageMetadata"]) == set(expected_response["usageMetadata"])
    candidate = response["candidates"][0]
    assert set(candidate) == set(expected_response["candidates"][0])
    assert candidate["content"]["role"] == "model" and candidate["finishReason"] == "STOP"
    assert candidate["content"]["parts"][0]["text"]
    usage = response["usageMetadata"]
    assert usage["totalTokenCount"] == usage["promptTokenCount"] + usage["candidatesTokenCount"]
    assert len(success["processed_time"]) == len(expected_success["processed_time"])
    assert success["processed_time"].endswith("+00:00")


def test_create_get_list_cancel_delete(client: Any, upload: Any, prefix: str) -> None:
    source = upload(f"{prefix}/input.jsonl", [text_line(f"question {i}") for i in range(3)])
    marker = uuid.uuid4().hex[:10]
    names = []
    for index in range(3):
        slow = {"extra_body": {"labels": {"emulator-run-seconds": "60"}}} if index == 2 else None
        job = client.batches.create(
            model="gemini-2.5-flash", src=source,
            config=CreateBatchJobConfig(display_name=f"genai-{marker}-{index}", dest=f"{prefix}/out",
                                        http_options=slow),
        )
        names.append(job.name)
        assert job.name.startswith("projects/")
        assert job.name.split("/")[-1].isdigit() and len(job.name.split("/")[-1]) == 19
        assert job.create_time is not None and job.completion_stats is None

    fetched = client.batches.get(name=names[0].split("/")[-1])  # a bare numeric id works too
    assert fetched.name == names[0]
    assert fetched.src.gcs_uri == [source]

    pager = client.batches.list(config={"page_size": 2, "filter": f'display_name:"genai-{marker}-*"'})
    assert len(pager.page) == 2
    listed = [job.name for job in pager]  # the pager fetches the second page itself
    assert sorted(listed) == sorted(names)

    client.batches.cancel(name=names[2])
    cancelled = wait_genai(client, names[2])
    assert cancelled.state == JobState.JOB_STATE_CANCELLED
    assert cancelled.error.code == 1 and cancelled.error.message == "CANCELED"
    assert cancelled.end_time is not None

    finished = wait_genai(client, names[0])
    assert finished.state == JobState.JOB_STATE_SUCCEEDED
    assert finished.start_time <= finished.end_time
    assert finished.completion_stats.successful_count == 3

    deleted = client.batches.delete(name=names[0])
    assert deleted.done is True
    with pytest.raises(errors.ClientError) as caught:
        client.batches.get(name=names[0])
    assert caught.value.code == 404 and caught.value.status == "NOT_FOUND"


def test_errors_reach_genai_as_client_errors(client: Any, upload: Any, prefix: str) -> None:
    source = upload(f"{prefix}/input.jsonl", [text_line("hello")])
    with pytest.raises(errors.ClientError) as caught:
        client.batches.create(model="gemini-0.1-nonexistent", src=source,
                              config=CreateBatchJobConfig(dest=f"{prefix}/out"))
    assert caught.value.code == 404 and "not found" in caught.value.message

    job = client.batches.create(model="gemini-2.5-flash", src=source,
                                config=CreateBatchJobConfig(dest=f"{prefix}/out"))
    with pytest.raises(errors.ClientError) as caught:
        client.batches.delete(name=job.name)  # still running
    assert caught.value.code == 400 and caught.value.status == "FAILED_PRECONDITION"
    wait_genai(client, job.name)
    with pytest.raises(errors.ClientError) as caught:
        client.batches.cancel(name=job.name)  # already finished
    assert caught.value.status == "FAILED_PRECONDITION"


def test_failed_job_error_parses_in_genai(client: Any, prefix: str) -> None:
    job = client.batches.create(model="gemini-2.5-flash", src=f"{prefix}/missing.jsonl",
                                config=CreateBatchJobConfig(dest=f"{prefix}/out"))
    job = wait_genai(client, job.name)
    assert job.state == JobState.JOB_STATE_FAILED
    assert job.error.code == 9 and "missing.jsonl" in job.error.message
    assert job.output_info.gcs_output_directory.startswith(f"{prefix}/out/prediction-model-")


def test_labels_pass_through_extra_body(client: Any, upload: Any, prefix: str, api: Any) -> None:
    source = upload(f"{prefix}/input.jsonl", [text_line("hello")])
    config = CreateBatchJobConfig(dest=f"{prefix}/out",
                                  http_options={"extra_body": {"labels": {"emulator-outcome": "expired"}}})
    job = client.batches.create(model="gemini-2.5-flash", src=source, config=config)
    assert wait_genai(client, job.name).state == JobState.JOB_STATE_EXPIRED
    assert api.get(job.name)["labels"] == {"emulator-outcome": "expired"}


def test_project_number_and_id_name_the_same_job(genai_client_factory: Any, api: Any, upload: Any,
                                                 prefix: str) -> None:
    client = genai_client_factory("v1")
    source = upload(f"{prefix}/input.jsonl", [text_line("hello")])
    job = client.batches.create(model="gemini-2.5-flash", src=source,
                                config=CreateBatchJobConfig(dest=f"{prefix}/out"))
    number = job.name.split("/")[1]
    assert len(number) == 12 and number.isdigit()
    job_id = job.name.split("/")[-1]
    by_id = api.get(f"projects/{PROJECT}/locations/{LOCATION}/batchPredictionJobs/{job_id}")
    assert by_id["name"] == job.name
