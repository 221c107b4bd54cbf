"""Emulators started with non-default flags: responder, faults, incremental export, state-file restarts."""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gemini_batch_local.local_stack import LocalStack
from tests.emulator.helpers import BUCKET, RawApi, job_body, text_line


def _stack(*args: str) -> LocalStack:
    stack = LocalStack(emulator_args=list(args), buckets=[BUCKET])
    stack.start()
    return stack


def _read(stack: LocalStack, uri: str) -> str:
    bucket, _, name = uri[len("gs://"):].partition("/")
    url = f"{stack.gcs_url}/storage/v1/b/{bucket}/o/{urllib.request.quote(name, safe='')}?alt=media"
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read().decode()


def _objects(stack: LocalStack, prefix: str) -> list[str]:
    url = f"{stack.gcs_url}/storage/v1/b/{BUCKET}/o?prefix={urllib.request.quote(prefix, safe='')}"
    with urllib.request.urlopen(url, timeout=10) as response:
        return [item["name"] for item in json.loads(response.read()).get("items", [])]


def _upload(stack: LocalStack, name: str, lines: list[dict[str, Any]]) -> str:
    data = "".join(json.dumps(line) + "\n" for line in lines).encode()
    url = f"{stack.gcs_url}/upload/storage/v1/b/{BUCKET}/o?uploadType=media&name={urllib.request.quote(name)}"
    urllib.request.urlopen(urllib.request.Request(url, data=data, method="POST"), timeout=10).close()
    return f"gs://{BUCKET}/{name}"


def _rows(stack: LocalStack, job: dict[str, Any]) -> list[dict[str, Any]]:
    text = _read(stack, job["outputInfo"]["gcsOutputDirectory"] + "/predictions.jsonl")
    return [json.loads(line) for line in text.splitlines()]


@pytest.fixture(scope="module")
def custom() -> Iterator[LocalStack]:
    stack = _stack("--seed", "5", "--responder", "tests.emulator.canned_responder:answer",
                   "--row-failure", "500=0.2", "--fault-rate", "list=503:1.0", "--incremental-seconds", "0.2",
                   "--bigquery-mirror", f"gs://{BUCKET}/bq-mirror", "--model", "gemini-9-ultra")
    yield stack
    stack.stop()


def test_responder_row_failure_and_api_fault_flags(custom: LocalStack) -> None:
    api = RawApi(custom.vertex_url)
    lines = [text_line(f"question {i}", key=f"k{i}") for i in range(30)]
    lines += [text_line("please fail-me", key="fail"), text_line("crash-me", key="crash"),
              text_line("raw please", key="raw")]
    source = _upload(custom, "responder/in.jsonl", lines)
    job = api.wait(api.create(job_body(source, f"gs://{BUCKET}/responder/out",
                                       model="gemini-9-ultra"))["name"])
    rows = {row["key"]: row for row in _rows(custom, job)}
    assert rows["fail"]["status"] == (
        'Service Unavailable: {"error": {"code": 503, "message": "Canned outage.", "status": "UNAVAILABLE"}}')
    assert rows["crash"]["status"].startswith('Internal Server Error: {"error": {"code": 500')
    if rows["raw"]["status"] == "":
        assert rows["raw"]["response"]["custom"] is True
    answered = [row for key, row in rows.items() if key.startswith("k") and row["status"] == ""]
    injected = [row for key, row in rows.items() if key.startswith("k") and row["status"]]
    assert answered and injected  # 20 % of rows fail with 500
    assert all(row["status"].startswith("Internal Server Error: ") for row in injected)
    assert all(row["response"]["candidates"][0]["content"]["parts"][0]["text"].startswith("canned answer")
               for row in answered)
    assert answered[0]["response"]["modelVersion"] == "gemini-9-ultra@default"
    status, answer = api.request("GET", f"v1/{job['name'].rsplit('/batchPredictionJobs', 1)[0]}/batchPredictionJobs")
    assert status == 503 and answer["error"]["status"] == "UNAVAILABLE"


def test_incremental_export_and_bigquery_mirror(custom: LocalStack) -> None:
    api = RawApi(custom.vertex_url)
    source = _upload(custom, "incremental/in.jsonl", [text_line(f"q{i}", key=f"k{i}") for i in range(20)])
    job = api.wait(api.create(job_body(source, f"gs://{BUCKET}/incremental/out",
                                       {"emulator-rows-per-second": "10"}))["name"])
    directory = job["outputInfo"]["gcsOutputDirectory"][len(f"gs://{BUCKET}/"):]
    names = _objects(custom, directory)
    increments = [name for name in names if "/incremental_predictions/" in name]
    assert f"{directory}/predictions.jsonl" in names and increments
    incremental_keys = [json.loads(line)["key"] for name in increments
                        for line in _read(custom, f"gs://{BUCKET}/{name}").splitlines()]
    assert len(incremental_keys) == len(set(incremental_keys)) < 20

    body = job_body(source, "gs://unused/x")
    body["outputConfig"] = {"predictionsFormat": "bigquery",
                            "bigqueryDestination": {"outputUri": "bq://my-project.ds.tbl"}}
    bq_job = api.wait(api.create(body)["name"])
    job_id = bq_job["name"].rsplit("/", 1)[-1]
    mirrored = _read(custom, f"gs://{BUCKET}/bq-mirror/my-project.ds.tbl/{job_id}/predictions.jsonl")
    assert len(mirrored.splitlines()) == 20


def test_seed_makes_ids_and_row_order_reproducible(tmp_path: Path) -> None:
    orders = []
    for _ in range(2):
        stack = _stack("--seed", "99")
        try:
            api = RawApi(stack.vertex_url)
            source = _upload(stack, "seeded/in.jsonl", [text_line(f"q{i}", key=f"k{i}") for i in range(10)])
            job = api.wait(api.create(job_body(source, f"gs://{BUCKET}/seeded/out"))["name"])
            orders.append((job["name"], [(row["key"], row["response"]) for row in _rows(stack, job)]))
        finally:
            stack.stop()
    assert orders[0] == orders[1]


def test_state_file_restart_continues_jobs(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    stack = _stack("--seed", "3", "--state-file", str(state))
    try:
        api = RawApi(stack.vertex_url)
        source = _upload(stack, "restart/in.jsonl", [text_line(f"q{i}", key=f"k{i}") for i in range(30)])
        running = api.create(job_body(source, f"gs://{BUCKET}/restart/out", {"emulator-rows-per-second": "10"}))
        paused = api.create(job_body(source, f"gs://{BUCKET}/restart/out", {"emulator-outcome": "paused"}))
        queued = api.create(job_body(source, f"gs://{BUCKET}/restart/out", {"emulator-queue-seconds": "2"}))
        finished = api.create(job_body(source, f"gs://{BUCKET}/restart/out", {"emulator-outcome": "expired",
                                                                                  "emulator-queue-seconds": "0"}))
        api.wait(paused["name"], {"JOB_STATE_PAUSED"})
        api.wait(finished["name"])
        before = api.wait(running["name"], {"JOB_STATE_RUNNING"})
        deadline = time.monotonic() + 30
        while "successfulCount" not in before.get("completionStats", {}):
            assert time.monotonic() < deadline
            time.sleep(0.02)
            before = api.get(running["name"])

        stack.stop_process("emulator")
        stack.start_emulator()
        api = RawApi(stack.vertex_url)

        after = api.get(running["name"])
        assert after["state"] in ("JOB_STATE_RUNNING", "JOB_STATE_SUCCEEDED")
        assert after["createTime"] == running["createTime"] and after["startTime"] == before["startTime"]
        assert int(after["completionStats"].get("successfulCount", "0")) >= int(
            before["completionStats"]["successfulCount"])
        done = api.wait(running["name"])
        assert done["state"] == "JOB_STATE_SUCCEEDED" and done["completionStats"] == {"successfulCount": "30"}
        assert sorted(row["key"] for row in _rows(stack, done)) == sorted(f"k{i}" for i in range(30))

        assert api.get(paused["name"])["state"] == "JOB_STATE_PAUSED"
        api.admin("POST", f"jobs/{paused['name'].rsplit('/', 1)[-1]}:resume")
        assert api.wait(paused["name"])["state"] == "JOB_STATE_SUCCEEDED"
        assert api.wait(queued["name"])["state"] == "JOB_STATE_SUCCEEDED"
        assert api.get(finished["name"])["state"] == "JOB_STATE_EXPIRED"
        fresh = api.create(job_body(source, f"gs://{BUCKET}/restart/out"))
        assert fresh["name"] not in {running["name"], paused["name"], queued["name"], finished["name"]}
    finally:
        stack.stop()
