"""SIGINT (Ctrl-C) and SIGTERM to ``airflow dags test`` while the submit task waits, deferred (its trigger runs
in line) or in the worker: the job is cancelled, the process ends, and no retry creates a second job.

Real ``airflow dags test`` processes against the local stack; the task may retry once (tests/dags)."""

from __future__ import annotations

import signal
import uuid
from pathlib import Path

import pytest

from gemini_batch_local.local_stack import LocalStack
from tests.conftest import request_line
from tests.dag_runs import migrated_home
from tests.watched_runs import CANCELLED_STATES, case_jobs, running_job, start_dag, wait_until

pytestmark = pytest.mark.usefixtures("google_connection")


@pytest.fixture(scope="module")
def airflow_home(stack: LocalStack, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return migrated_home(stack, tmp_path_factory.mktemp("airflow-home-signals"))


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("mode", ["deferred", "sync"])
def test_a_signal_while_waiting_cancels_the_job(stack, airflow_home, upload_lines, mode: str,
                                                sig: signal.Signals) -> None:
    case = f"sig-{mode}-{sig.name.lower()}-{uuid.uuid4().hex[:8]}"
    uri = upload_lines(f"signals/{case}.jsonl", [request_line("one"), request_line("two")])
    run = start_dag(stack, airflow_home, f"gemini_batch_wait_{mode}", {"input_uri": uri, "case": case}, case)
    job = wait_until(lambda: running_job(case), 120, "the job to run")
    if mode == "deferred":
        wait_until(lambda: "running trigger in line" in run.output(), 60, "the trigger to run in line")
    else:
        wait_until(lambda: "JOB_STATE_RUNNING" in run.output(), 60, "the worker to poll the running job")
    run.send(sig)
    run.wait(timeout=90)
    output = run.output()
    jobs = case_jobs(case)
    assert [j["name"] for j in jobs] == [job["name"]], f"one job, no retry paid for a second:\n{output[-4000:]}"
    assert jobs[0]["state"] in CANCELLED_STATES, output[-4000:]
    assert f"{job['name']} cancelled" in output
