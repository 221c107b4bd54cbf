"""DAG-level test of the storage side: a real ``dag.test()`` run of prepare-input and split-output.

The run happens in a child process with its own ``AIRFLOW_HOME`` (SQLite) so that Airflow's task
runner, XCom and skipping are the real ones; the job's output is laid out in fake-gcs-server first.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

from airflow_batch_gemini.hooks.storage import GeminiBatchStorageHook
from airflow_batch_gemini.uris import parse_gs_uri
from gemini_batch_local.local_stack import LocalStack
from tests.conftest import TEST_BUCKET
from tests.seed import FAILURE_ROW, SEED_INPUT, SUCCESS_ROW, row_line

REPO = Path(__file__).resolve().parents[2]
TEST_DAGS = REPO / "tests" / "dags"
DAG_ID = "gemini_batch_storage_split"

#: Runs the DAG in the child process and prints its task states and the split task's XCom as JSON.
RUNNER = """
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("storage_cases", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
run = module.dag.test(run_conf=json.loads(sys.argv[2]))
states = {ti.task_id: str(ti.state) for ti in run.get_task_instances()}
split = run.get_task_instance("split_results").xcom_pull(task_ids="split_results")
print("RESULT " + json.dumps({"run": str(run.state), "states": states, "split": split}))
"""


@pytest.fixture(scope="module")
def airflow_env(stack: LocalStack, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    home = tmp_path_factory.mktemp("airflow-home-storage")
    env = {**os.environ, **stack.airflow_env(home, TEST_DAGS)}
    subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], env=env, capture_output=True, check=True)
    return env


def run_dag(env: dict[str, str], conf: dict[str, str]) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, "-c", RUNNER, str(TEST_DAGS / "gemini_batch_storage_cases.py"), json.dumps(conf)],
        env=env, capture_output=True, text=True, timeout=600,
    )
    output = result.stdout + result.stderr
    lines = [line for line in result.stdout.splitlines() if line.startswith("RESULT ")]
    assert result.returncode == 0 and lines, output[-6000:]
    outcome: dict[str, Any] = json.loads(lines[-1].removeprefix("RESULT "))
    outcome["log"] = output
    return outcome


@pytest.fixture
def case(google_connection: str) -> dict[str, str]:
    """A fresh folder with the seed input and a job output of one success and one failure row."""
    folder = f"gs://{TEST_BUCKET}/storage-dag/{uuid.uuid4().hex}"
    output = f"{folder}/output/prediction-model-2026-01-01T00:00:00.000000Z"
    hook = GeminiBatchStorageHook(gcp_conn_id=google_connection)
    with hook.open_writer(f"{output}/predictions.jsonl") as writer:
        writer.write(row_line(SUCCESS_ROW))
        writer.write(row_line(FAILURE_ROW))
    return {
        "source": str(SEED_INPUT),
        "destination": f"{folder}/input/requests.jsonl",
        "output_directory": output,
        "results": f"{folder}/results",
    }


def read(gcs_client, uri: str) -> bytes | None:
    bucket, name = parse_gs_uri(uri)
    blob = gcs_client.bucket(bucket).get_blob(name)
    return None if blob is None else blob.download_as_bytes()


def test_mixed_output_follows_both_branches(airflow_env, case, gcs_client) -> None:
    outcome = run_dag(airflow_env, case)
    assert outcome["states"] == {
        "prepare_input": "success",
        "split_results": "success",
        "use_successes": "success",
        "review_failures": "success",
        "alert": "success",
        "not_a_branch": "skipped",
    }, outcome["log"][-4000:]
    split = outcome["split"]
    assert (split["succeeded"], split["failed"], split["total"]) == (1, 1, 2)
    assert split["failures_by_status"] == {"INVALID_ARGUMENT": 1}
    assert read(gcs_client, case["destination"]) == SEED_INPUT.read_bytes()
    assert read(gcs_client, split["succeeded_uri"]) == row_line(SUCCESS_ROW)
    failed = json.loads(read(gcs_client, split["failed_uri"]))
    assert failed.pop("parsed_error") == {"code": 400, "status": "INVALID_ARGUMENT",
                                          "message": "Please use a valid role: user, model."}
    assert failed == FAILURE_ROW


def test_only_successes_skip_the_failure_branch_and_still_report(
    airflow_env, case, gcs_client, google_connection
) -> None:
    hook = GeminiBatchStorageHook(gcp_conn_id=google_connection)
    with hook.open_writer(f"{case['output_directory']}/predictions.jsonl") as writer:
        writer.write(row_line(SUCCESS_ROW))
    outcome = run_dag(airflow_env, case)
    assert outcome["states"]["use_successes"] == "success"
    assert {outcome["states"][task] for task in ("review_failures", "alert", "not_a_branch")} == {"skipped"}
    assert outcome["split"]["succeeded"] == 1 and outcome["split"]["failed"] == 0, "XCom kept although tasks skipped"
    assert read(gcs_client, outcome["split"]["failed_uri"]) == b""


def test_invalid_input_fails_the_run_and_uploads_nothing(airflow_env, case, gcs_client, tmp_path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"request": {"contents": [{"role": "tester", "parts": [{"text": "x"}]}]}}\n')
    outcome = run_dag(airflow_env, {**case, "source": str(bad)})
    assert outcome["run"] == "failed"
    assert outcome["states"]["prepare_input"] == "failed"
    assert outcome["states"]["split_results"] == "upstream_failed"
    assert ("line 1: /request/contents/0/role: a string (6 characters) that is not one of ['user', 'model']"
            in outcome["log"])
    assert read(gcs_client, case["destination"]) is None
