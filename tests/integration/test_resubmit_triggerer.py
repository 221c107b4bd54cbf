"""The resubmission under a real scheduler and triggerer (the production-shaped deployment of ``tests/e2e``):
every round's wait runs in the triggerer process, and each resume is a fresh operator, built from the DAG
file in a fresh task process, that must find the round's state and the follow-up jobs' model on its own."""

from __future__ import annotations

import fcntl
import json
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import pytest

from tests.conftest import TEST_BUCKET, request_line
from tests.dag_runs import TEST_DAGS
from tests.e2e.cluster import ADMIN_USER, AirflowApi, ProductionStack, wait_until
from tests.e2e.runs import OUTPUT, TERMINAL_RUN_STATES, gcs_client

DAG_ID = "gemini_batch_resubmit_rounds"
FINAL_FILES = ("succeeded_uri", "failed_uri", "missing_uri")
VALID, INVALID = 30, 10


@pytest.fixture(scope="module")
def deployment() -> Iterator[ProductionStack]:
    """PostgreSQL, api-server, scheduler, dag-processor and triggerer over the test DAGs, with the local stack.

    Jobs spend 3 s queued and 3 s running (minutes in production): with the emulator's default timings a
    round's job ended within a second, its trigger fired before the scheduler had seen the deferring process
    exit, and Airflow 3.3.2's scheduler failed the resumed task ("task state changed externally").
    """
    OUTPUT.mkdir(parents=True, exist_ok=True)
    with (OUTPUT / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one deployment at a time per work tree (tests/e2e takes it too)
        with ProductionStack(dags_folder=TEST_DAGS, log_dir=OUTPUT / "resubmit-logs", buckets=[TEST_BUCKET],
                             emulator_args=["--queue-seconds", "3", "--run-seconds", "3"]) as stack:
            yield stack


def keys_of(client: Any, uri: str) -> list[str]:
    bucket, _, name = uri.removeprefix("gs://").partition("/")
    return [json.loads(line)["key"] for line in client.bucket(bucket).blob(name).download_as_bytes().splitlines()]


def test_each_round_waits_in_the_triggerer_and_a_fresh_task_resumes_it(deployment: ProductionStack) -> None:
    client = gcs_client(deployment.gcs_url)
    lines = [request_line(f"question {i}", key=f"q{i:03d}") for i in range(VALID)]
    lines += [{"key": f"bad{i}", "request": {"contents": [{"role": "tester", "parts": [{"text": "x"}]}]}}
              for i in range(INVALID)]
    client.bucket(TEST_BUCKET).blob("triggerer/in.jsonl").upload_from_string(
        "".join(json.dumps(line) + "\n" for line in lines))
    api = AirflowApi(deployment.api_url, ADMIN_USER, deployment.password)
    wait_until(lambda: api.get("dags", dag_id_pattern=DAG_ID)["dags"] or api.get("importErrors")["import_errors"],
               120, f"the dag-processor to parse {DAG_ID}", interval=1)
    api.call("PATCH", f"dags/{DAG_ID}", {"is_paused": False})
    conf = {"input_uri": f"gs://{TEST_BUCKET}/triggerer/in.jsonl", "bucket": TEST_BUCKET, "case": "triggerer"}
    body = {"conf": conf, "logical_date": datetime.now(timezone.utc).isoformat()}
    run_id = api.call("POST", f"dags/{DAG_ID}/dagRuns", body)["dag_run_id"]
    run = f"dags/{DAG_ID}/dagRuns/{run_id}"

    state = wait_until(lambda: (s := api.get(run)["state"]) in TERMINAL_RUN_STATES and s, 300, f"run {run_id} to end",
                       interval=1)
    resubmit = api.get(f"{run}/taskInstances/resubmit")
    logs = deployment.log_dir / "tasks" / f"dag_id={DAG_ID}" / f"run_id={run_id}" / "task_id=resubmit"
    task_log = "".join(path.read_text() for path in sorted(logs.glob("attempt=*.log")))
    assert state == "success", task_log[-6000:]
    assert resubmit["try_number"] == 1, "no retry was needed"

    final = api.get(f"{run}/taskInstances/resubmit/xcomEntries/return_value", deserialize=True)["value"]
    # both rounds resent rows (the follow-up jobs fail half their rows with 429), and each deferred
    assert task_log.count("Pausing task as DEFERRED") == 2 and final["round_summaries"][1]["input_rows"] > 0
    stopped = [item["job_name"] for item in final["unfinished_rounds"] if item["round"] == 2]
    last_job = stopped[0] if stopped else final["job_names"][2]
    trigger_log = "".join(path.read_text() for path in sorted(logs.glob("attempt=1.log.trigger.*.log")))
    assert last_job in trigger_log and "Trigger fired event" in trigger_log, "round 2's wait ran in the triggerer"
    found = [key for name in FINAL_FILES for key in keys_of(client, final[name])]
    assert sorted(found) == sorted(line["key"] for line in lines), "every input row exactly once"
    assert final["failures_by_status"]["INVALID_ARGUMENT"] == INVALID and final["missing"] == 0
