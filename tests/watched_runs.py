"""``airflow dags test`` as a process the tests can watch and signal (the Airflow home: ``tests.dag_runs``):
runs of the DAGs in ``tests/dags/gemini_batch_wait_cases.py``, the jobs a case created, the state of a
task instance in the metadata database. Shared by the integration and fault tests of the wait."""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from airflow_batch_gemini.hooks.batch_prediction import GeminiBatchHook
from gemini_batch_local.local_stack import LocalStack
from tests.dag_runs import TEST_DAGS

CASE_LABEL = "fault-case"
#: Job states after a cancel.
CANCELLED_STATES = ("JOB_STATE_CANCELLING", "JOB_STATE_CANCELLED")
T = TypeVar("T")


def wait_until(condition: Callable[[], T | None], timeout: float, what: str) -> T:
    """Poll ``condition`` every 0.2 s until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


@dataclass
class DagRun:
    """One ``airflow dags test`` process and its output file."""

    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def send(self, sig: signal.Signals) -> None:
        self.process.send_signal(sig)

    def wait(self, timeout: float = 120) -> int:
        """The exit code; the output's tail in the failure if the process does not end in time."""
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired as expired:
            self.process.kill()
            self.process.wait(timeout=30)
            raise AssertionError(f"airflow dags test still ran {timeout:.0f} s later:\n{self.output()[-6000:]}") \
                from expired


def start_dag(stack: LocalStack, home: Path, dag_id: str, conf: dict[str, Any], name: str) -> DagRun:
    """Start ``airflow dags test dag_id -c conf`` (output to ``home/name.log``)."""
    env = {**os.environ, **stack.airflow_env(home, TEST_DAGS)}
    log = home / f"{name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "airflow", "dags", "test", dag_id, "-c", json.dumps(conf)],
                                   env=env, stdout=out, stderr=subprocess.STDOUT)
    return DagRun(process, log)


def run_dag(stack: LocalStack, home: Path, dag_id: str, conf: dict[str, Any], name: str) -> str:
    """Run ``airflow dags test`` to its end and return its output."""
    run = start_dag(stack, home, dag_id, conf, name)
    run.wait(timeout=300)
    return run.output()


def run_id_of(output: str) -> str:
    """The run id of the run an ``airflow dags test`` output created."""
    found = re.search(r": (manual__[^,\s]+), state:", output)
    assert found, f"no dag run in the output:\n{output[-3000:]}"
    return found.group(1)


def case_jobs(case: str) -> list[dict[str, Any]]:
    """Every job carrying the case's label, oldest first."""
    return sorted(GeminiBatchHook().find_jobs({CASE_LABEL: case}), key=lambda job: str(job.get("createTime")))


def running_job(case: str, rows_finished: int = 0) -> dict[str, Any] | None:
    """The case's job once it is RUNNING with at least ``rows_finished`` rows done, else ``None``."""
    for job in case_jobs(case):
        stats = job.get("completionStats") or {}
        done = int(stats.get("successfulCount", 0)) + int(stats.get("failedCount", 0))
        if job.get("state") == "JOB_STATE_RUNNING" and done >= rows_finished:
            return job
    return None


def task_instances(home: Path, dag_id: str, task_id: str) -> dict[str, str | None]:
    """run_id -> state of the task's instances, from the metadata database."""
    with sqlite3.connect(home / "airflow.db") as db:
        rows = db.execute("SELECT run_id, state FROM task_instance WHERE dag_id = ? AND task_id = ?",
                          (dag_id, task_id)).fetchall()
    return dict(rows)


def set_task_state(home: Path, dag_id: str, task_id: str, run_id: str, state: str) -> None:
    """Set a task instance's state in the metadata database, as marking it in the UI does."""
    with sqlite3.connect(home / "airflow.db") as db:
        db.execute("UPDATE task_instance SET state = ? WHERE dag_id = ? AND task_id = ? AND run_id = ?",
                   (state, dag_id, task_id, run_id))
