"""Run DAGs the way ``airflow dags test`` does, in a real subprocess against the local stack, and read what
the runs left in the metadata database (task states, XComs). Shared by the DAG-level integration and fault
tests."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

from gemini_batch_local.local_stack import LocalStack
from tests.conftest import TEST_BUCKET
from tests.paths import REPO

#: The DAGs of the DAG-level tests.
TEST_DAGS = REPO / "tests" / "dags"


def migrated_home(stack: LocalStack, home: Path) -> Path:
    """``home`` as an ``AIRFLOW_HOME`` with a migrated SQLite metadata database."""
    env = {**os.environ, **stack.airflow_env(home, TEST_DAGS)}
    subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], env=env, capture_output=True, check=True)
    return home


def dags_test(
    stack: LocalStack, home: Path, dags_folder: Path, dag_id: str, conf: dict, logical_date: str | None = None,
    input_dir: Path | None = None,
) -> str:
    """Run ``airflow dags test`` and return its output; fail the test with the output's tail if it fails.

    :param input_dir: the example DAGs' ``GEMINI_BATCH_INPUT_DIR`` (their packaged sample folder if ``None``).
    """
    status, output = dags_test_status(stack, home, dags_folder, dag_id, conf, logical_date, input_dir)
    assert status == 0, output[-6000:]
    return output


#: ``DAG.test`` of one DAG file's ``dag``, as ``airflow dags test`` calls it, but with ``logical_date=None``.
TEST_WITHOUT_LOGICAL_DATE = """
import json, runpy, sys
dag = runpy.run_path(sys.argv[1])["dag"]
run = dag.test(logical_date=None, run_conf=json.loads(sys.argv[2]))
print("RUN", json.dumps({"run_id": run.run_id, "logical_date": run.logical_date, "state": str(run.state)}))
"""


def run_without_logical_date(stack: LocalStack, home: Path, dag_file: Path, conf: dict,
                             input_dir: Path | None = None) -> tuple[dict, str]:
    """Run ``dag_file``'s DAG once without a logical date; return the run (``run_id``, ``logical_date``,
    ``state``) and the output."""
    output = _run_airflow(stack, home, dag_file.parent, input_dir,
                          ["-c", TEST_WITHOUT_LOGICAL_DATE, str(dag_file), json.dumps(conf)])
    run = json.loads(next(line for line in output.splitlines() if line.startswith("RUN ")).removeprefix("RUN "))
    return run, output


def dags_test_status(
    stack: LocalStack, home: Path, dags_folder: Path, dag_id: str, conf: dict, logical_date: str | None = None,
    input_dir: Path | None = None,
) -> tuple[int, str]:
    """Run ``airflow dags test`` (each task's tries and retries, triggers run in line) and return its exit
    status and output, whatever they are."""
    return _airflow_status(stack, home, dags_folder, input_dir,
                           ["-m", "airflow", "dags", "test", dag_id, *([logical_date] if logical_date else []),
                            "-c", json.dumps(conf)])


def _run_airflow(stack: LocalStack, home: Path, dags_folder: Path, input_dir: Path | None, args: list[str]) -> str:
    status, output = _airflow_status(stack, home, dags_folder, input_dir, args)
    assert status == 0, output[-6000:]
    return output


def _airflow_status(stack: LocalStack, home: Path, dags_folder: Path, input_dir: Path | None,
                    args: list[str]) -> tuple[int, str]:
    env = {**os.environ, **stack.airflow_env(home, dags_folder), "GEMINI_BATCH_POLL_INTERVAL": "0.5",
           "GEMINI_BATCH_BUCKET": TEST_BUCKET}
    env.pop("GEMINI_BATCH_INPUT_DIR", None)
    if input_dir is not None:
        env["GEMINI_BATCH_INPUT_DIR"] = str(input_dir)
    result = subprocess.run([sys.executable, *args], env=env, capture_output=True, text=True, timeout=600)
    return result.returncode, result.stdout + result.stderr


def latest_run_id(home: Path, dag_id: str) -> str:
    """The run id of the DAG's latest run, read from the metadata database."""
    with sqlite3.connect(home / "airflow.db") as db:
        return _latest_run_id(db, dag_id)


def _latest_run_id(db: sqlite3.Connection, dag_id: str) -> str:
    (run_id,) = db.execute("SELECT run_id FROM dag_run WHERE dag_id = ? ORDER BY id DESC LIMIT 1", (dag_id,)).fetchone()
    return str(run_id)


def task_states(home: Path, dag_id: str) -> dict[str, str]:
    """Task states of the DAG's latest run, read from the metadata database."""
    with sqlite3.connect(home / "airflow.db") as db:
        rows = db.execute(
            "SELECT task_id, state FROM task_instance WHERE dag_id = ? AND run_id = ?",
            (dag_id, _latest_run_id(db, dag_id)),
        ).fetchall()
    return dict(rows)


def pushed_xcom(home: Path, dag_id: str, task_id: str, key: str = "return_value") -> Any:
    """An XCom of a task of the DAG's latest run, read from the metadata database (``None`` if absent)."""
    with sqlite3.connect(home / "airflow.db") as db:
        found = db.execute(
            "SELECT value FROM xcom WHERE dag_id = ? AND task_id = ? AND key = ? AND run_id = ?",
            (dag_id, task_id, key, _latest_run_id(db, dag_id)),
        ).fetchone()
    return None if found is None else json.loads(found[0])
