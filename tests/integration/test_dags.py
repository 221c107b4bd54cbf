"""DAG-level tests: real ``airflow dags test`` processes against the local stack.

``airflow dags test`` runs each task through Airflow's task runner and a deferred task's trigger
inline, so these show the operator really defers, the trigger really runs, and a retry of a task
whose worker died after creating the job re-attaches instead of creating another.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from airflow_batch_gemini.local_stack import LocalStack
from tests.conftest import TEST_BUCKET, request_line

REPO = Path(__file__).resolve().parents[2]
TEST_DAGS = REPO / "tests" / "dags"


@pytest.fixture(scope="module")
def airflow_home(stack: LocalStack, tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("airflow-home")
    env = {**os.environ, **stack.airflow_env(home, TEST_DAGS)}
    subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], env=env, capture_output=True, check=True)
    return home


def dags_test(stack: LocalStack, home: Path, dags_folder: Path, dag_id: str, conf: dict) -> str:
    """Run ``airflow dags test`` and return its output; fail the test with the output's tail if it fails."""
    env = {**os.environ, **stack.airflow_env(home, dags_folder), "GEMINI_BATCH_POLL_INTERVAL": "0.5",
           "GEMINI_BATCH_BUCKET": TEST_BUCKET}
    result = subprocess.run(
        [sys.executable, "-m", "airflow", "dags", "test", dag_id, "-c", json.dumps(conf)],
        env=env, capture_output=True, text=True, timeout=600,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    return output


def test_worker_dying_between_create_and_defer_reattaches(stack, airflow_home, upload_lines, emulator) -> None:
    uri = upload_lines("dags/dies.jsonl", [request_line("one"), request_line("two")])
    creates = emulator.calls("create")
    output = dags_test(stack, airflow_home, TEST_DAGS, "gemini_batch_dies_after_create", {"input_uri": uri})
    assert "simulated worker death between create and defer" in output
    assert "Re-attached to batch job" in output
    assert "Pausing task as DEFERRED" in output, "the retry must defer, not wait in the worker"
    assert "running trigger in line" in output and "JOB_STATE_SUCCEEDED" in output
    assert emulator.calls("create") == creates + 1, "exactly one job for two tries"
