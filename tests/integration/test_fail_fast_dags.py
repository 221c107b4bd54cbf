"""DAG-level, through real ``airflow dags test`` runs: a permanent error fails the task once, though it has
retries left, and a successful run logs no ``[error]`` line and the job's console URL once."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from airflow_batch_gemini.operators.prepare_input import GeminiBatchPrepareInputOperator
from gemini_batch_local.local_stack import LocalStack
from tests.conftest import TEST_BUCKET, request_line
from tests.dag_runs import TEST_DAGS, dags_test_status, latest_run_id, migrated_home
from tests.failfast import fails_fast_decorated
from tests.paths import EXAMPLE_DAGS

CONSOLE = "https://console.cloud.google.com/vertex-ai/"


@pytest.fixture(scope="module")
def airflow_home(stack: LocalStack, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return migrated_home(stack, tmp_path_factory.mktemp("airflow-home-fail-fast"))


def run_dag(stack: LocalStack, home: Path, dag_id: str, conf: dict, folder: Path = TEST_DAGS,
            date: str | None = None, input_dir: Path | None = None) -> tuple[int, str]:
    """``airflow dags test`` (a first try of each task and its retries, triggers run in line): its exit
    status and output."""
    return dags_test_status(stack, home, folder, dag_id, conf, date, input_dir)


def tries(home: Path, dag_id: str, task_id: str) -> tuple[int, str]:
    """The try number and state of the task in the DAG's latest run."""
    with sqlite3.connect(home / "airflow.db") as db:
        try_number, state = db.execute(
            "SELECT try_number, state FROM task_instance WHERE dag_id = ? AND run_id = ? AND task_id = ?",
            (dag_id, latest_run_id(home, dag_id), task_id)).fetchone()
    return int(try_number), str(state)


def test_an_input_over_its_reject_ratio_fails_once_not_three_times(stack, airflow_home, tmp_path) -> None:
    assert fails_fast_decorated(GeminiBatchPrepareInputOperator.execute)
    source = tmp_path / "requests.jsonl"
    bad = {"request": {"contents": [{"role": "tester", "parts": [{"text": "x"}]}]}}
    source.write_text("".join(json.dumps(line) + "\n" for line in (request_line("fine"), bad)))
    conf = {"source": str(source), "destination": f"gs://{TEST_BUCKET}/fail-fast/requests.jsonl"}
    _, output = run_dag(stack, airflow_home, "gemini_batch_prepare_fails_fast", conf)
    assert "GeminiBatchInputError (permanent, not retried)" in output, output[-3000:]
    assert tries(airflow_home, "gemini_batch_prepare_fails_fast", "prepare_input") == (1, "failed")


def test_a_create_answered_404_for_a_mistyped_model_is_not_retried(stack, airflow_home, upload_lines,
                                                                     emulator) -> None:
    uri = upload_lines("fail-fast/in.jsonl", [request_line("q")])
    creates = emulator.calls("create")
    _, output = run_dag(stack, airflow_home, "gemini_batch_submit_fails_fast",
                        {"input_uri": uri, "model": "gemini-2.5-flahs"})
    assert "404 NOT_FOUND" in output, output[-3000:]
    assert emulator.calls("create") == creates + 1, "one create, no retry of it"
    assert tries(airflow_home, "gemini_batch_submit_fails_fast", "submit_and_wait") == (1, "failed")


def test_a_successful_run_logs_no_error_and_the_console_url_once(stack, airflow_home, tmp_path) -> None:
    """The resubmission has nothing to resend: its link must not ask XCom for a job it never submitted
    (Airflow's client logged ``[error] XCom not found ... key='job_name'`` for that)."""
    source = tmp_path / "requests.jsonl"
    source.write_text("".join(json.dumps(request_line(f"q{index}", key=f"k{index}")) + "\n" for index in range(3)))
    conf = {"input_source": source.name}  # a local input of the example DAGs lies in GEMINI_BATCH_INPUT_DIR
    status, output = run_dag(stack, airflow_home, "gemini_batch_resubmit_example", conf, EXAMPLE_DAGS, "2026-02-03",
                             input_dir=tmp_path)
    assert status == 0, output[-6000:]
    assert "Round 1: no retryable failed row and no missing row; nothing to resend" in output
    errors = [line for line in output.splitlines() if "[error" in line]
    assert errors == []
    urls = [line for line in output.splitlines() if CONSOLE in line]
    assert len(urls) == 1 and "Created batch job" in urls[0], urls
