"""google-cloud-aiplatform's JobServiceClient (REST transport), unchanged, against the emulator."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
from google.api_core import exceptions as gexc
from google.cloud.aiplatform_v1 import types

from tests.emulator.helpers import MODEL, PARENT, text_line

State = types.JobState
FINISHED = {State.JOB_STATE_SUCCEEDED, State.JOB_STATE_FAILED, State.JOB_STATE_CANCELLED,
            State.JOB_STATE_EXPIRED, State.JOB_STATE_PARTIALLY_SUCCEEDED}


def new_job(source: str, prefix: str, display_name: str, labels: dict[str, str] | None = None) -> Any:
    return types.BatchPredictionJob(
        display_name=display_name,
        model=MODEL,
        input_config=types.BatchPredictionJob.InputConfig(
            instances_format="jsonl", gcs_source=types.GcsSource(uris=[source])),
        output_config=types.BatchPredictionJob.OutputConfig(
            predictions_format="jsonl", gcs_destination=types.GcsDestination(output_uri_prefix=prefix)),
        labels=labels or {},
    )


def wait_aip(client: Any, name: str, states: Any = FINISHED, timeout: float = 60) -> Any:
    """Poll with the client until the job is in one of ``states``."""
    deadline = time.monotonic() + timeout
    job = client.get_batch_prediction_job(name=name)
    while job.state not in states:
        assert time.monotonic() < deadline, job
        time.sleep(0.05)
        job = client.get_batch_prediction_job(name=name)
    return job


def test_create_get_list_cancel_delete(job_service_client: Any, upload: Any, prefix: str) -> None:
    client = job_service_client
    source = upload(f"{prefix}/input.jsonl", [text_line(f"q{i}", key=f"k{i}") for i in range(4)])
    marker = uuid.uuid4().hex[:10]
    created = [
        client.create_batch_prediction_job(
            parent=PARENT,
            batch_prediction_job=new_job(source, f"{prefix}/out", f"aip-{marker}-{i}",
                                         {"suite": marker, **({"emulator-run-seconds": "60"} if i == 0 else {})}),
        )
        for i in range(3)
    ]
    first = created[0]
    assert first.state in (State.JOB_STATE_QUEUED, State.JOB_STATE_PENDING)
    assert first.model == MODEL and first.labels["suite"] == marker
    assert list(first.input_config.gcs_source.uris) == [source]
    assert first.output_info.gcs_output_directory.startswith(f"{prefix}/out/prediction-model-")

    pages = client.list_batch_prediction_jobs(
        request={"parent": PARENT, "filter": f"labels.suite={marker} AND labels.emulator-run-seconds:*",
                 "page_size": 5})
    assert [job.name for job in pages] == [first.name]
    pager = client.list_batch_prediction_jobs(
        request={"parent": PARENT, "filter": f'labels.suite="{marker}"', "page_size": 2})
    page_sizes = [len(page.batch_prediction_jobs) for page in pager.pages]
    assert page_sizes == [2, 1]
    listed = client.list_batch_prediction_jobs(request={"parent": PARENT, "filter": f"labels.suite={marker}"})
    assert {job.name for job in listed} == {job.name for job in created}

    running = wait_aip(client, first.name, {State.JOB_STATE_RUNNING})
    assert running.start_time is not None and running.completion_stats.incomplete_count > 0
    client.cancel_batch_prediction_job(name=first.name)
    cancelled = wait_aip(client, first.name)
    assert cancelled.state == State.JOB_STATE_CANCELLED
    assert cancelled.error.code == 1 and cancelled.error.message == "CANCELED"

    done = wait_aip(client, created[1].name)
    assert done.state == State.JOB_STATE_SUCCEEDED
    assert done.completion_stats.successful_count == 4 and done.completion_stats.failed_count == 0
    assert done.create_time <= done.start_time <= done.end_time <= done.update_time

    operation = client.delete_batch_prediction_job(name=done.name)
    operation.result(timeout=10)
    assert operation.done()
    with pytest.raises(gexc.NotFound):
        client.get_batch_prediction_job(name=done.name)


def test_errors_map_to_api_core_exceptions(job_service_client: Any, upload: Any, prefix: str) -> None:
    client = job_service_client
    with pytest.raises(gexc.NotFound):
        client.get_batch_prediction_job(name=f"{PARENT}/batchPredictionJobs/1234567890123456789")
    bad = new_job(f"{prefix}/in.jsonl", f"{prefix}/out", "bad")
    bad.model = "publishers/google/models/not-a-model"
    with pytest.raises(gexc.NotFound):
        client.create_batch_prediction_job(parent=PARENT, batch_prediction_job=bad)
    nameless = new_job(f"{prefix}/in.jsonl", f"{prefix}/out", "")
    with pytest.raises(gexc.BadRequest):
        client.create_batch_prediction_job(parent=PARENT, batch_prediction_job=nameless)
    with pytest.raises(gexc.BadRequest):
        client.list_batch_prediction_jobs(request={"parent": PARENT, "filter": "display_name=("})


def test_failed_job_reports_code_and_output_directory(job_service_client: Any, upload: Any, prefix: str) -> None:
    source = upload(f"{prefix}/input.jsonl", b'{"request": {"contents": []}}\nthis is not json\n')
    job = job_service_client.create_batch_prediction_job(
        parent=PARENT, batch_prediction_job=new_job(source, f"{prefix}/out", "not-json"))
    job = wait_aip(job_service_client, job.name)
    assert job.state == State.JOB_STATE_FAILED
    assert job.error.code == 3 and "line 2" in job.error.message
    assert job.output_info.gcs_output_directory
