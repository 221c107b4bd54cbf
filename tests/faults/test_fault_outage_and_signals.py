"""The paths off the happy path of the wait: a Vertex AI outage far longer than the poll interval, Ctrl-C of
``airflow dags test`` while the task waits, and a deferred task killed before Airflow 3.3, whose job a later run
of the task sweeps away.

* An outage (the emulator stopped and restarted from its state file 12 s later, 120 poll intervals: at a 30 s
  interval, an hour) is ridden out by both wait modes, backing off; the earlier rule (10 errors in a row)
  failed it within seconds.
* SIGINT while the task waits, deferred or in the worker, cancels the job; the rows it finished are in its
  output, and the task's retry does not pay for a second job.
* Runs whose process died while deferred leave their jobs running; one is marked failed, one still counts as
  deferred. The next run of the task cancels the first job before it submits its own, and leaves the second.
"""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path

import pytest

from airflow_batch_gemini.hooks.batch_prediction import GeminiBatchHook
from airflow_batch_gemini.job.states import job_manifest, job_progress
from gemini_batch_local.local_stack import LocalStack
from tests.dag_runs import migrated_home
from tests.faults.helpers import account, case_context, jobs_created, split_output, submit_operator, upload_input
from tests.faults.scoreboard import FaultRecord
from tests.faults.test_fault_emulator_restart import restart, restartable  # noqa: F401  (a fixture)
from tests.taskrun import run_task
from tests.watched_runs import (
    CANCELLED_STATES,
    case_jobs,
    run_dag,
    run_id_of,
    running_job,
    set_task_state,
    start_dag,
    wait_until,
)

pytestmark = pytest.mark.usefixtures("google_connection")
OUTAGE_SECONDS = 12.0
DEFERRED_DAG, SUBMIT = "gemini_batch_wait_deferred", "submit_and_wait"


@pytest.fixture(scope="module")
def airflow_home(stack: LocalStack, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return migrated_home(stack, tmp_path_factory.mktemp("airflow-home-faults"))


@pytest.mark.parametrize("deferrable", [True, False], ids=["deferred", "sync"])
def test_a_long_outage_is_ridden_out(fault: FaultRecord, restartable: LocalStack,  # noqa: F811
                                     upload_lines, deferrable: bool) -> None:
    input_uri, keys = upload_input(upload_lines, fault, rows=12)
    endpoint = restartable.vertex_url
    operator = submit_operator(fault, input_uri, {"emulator-run-seconds": "4"}, api_endpoint=endpoint,
                               deferrable=deferrable)
    hook = GeminiBatchHook(api_endpoint=endpoint)
    restarted = threading.Event()

    def outage() -> None:
        wait_until(lambda: [job for job in hook.find_jobs({"fault-case": fault.label})
                            if job["state"] == "JOB_STATE_RUNNING"], 60, "the job to run")
        restart(restartable, OUTAGE_SECONDS)
        restarted.set()

    down = threading.Thread(target=outage, daemon=True)
    down.start()
    started = time.monotonic()
    manifest = run_task(operator, case_context(fault))
    down.join(timeout=60)
    fault.injected += 1
    fault.jobs(logical=1, created=jobs_created(fault, api_endpoint=endpoint))
    assert restarted.is_set() and time.monotonic() - started > OUTAGE_SECONDS, "the wait spanned the outage"
    assert manifest["state"] == "JOB_STATE_SUCCEEDED"
    assert fault.duplicate_jobs == 0
    account(fault, manifest, keys)


@pytest.mark.parametrize("mode", ["deferred", "sync"])
def test_ctrl_c_under_dags_test_cancels_the_job(fault: FaultRecord, stack, airflow_home, upload_lines,
                                                mode: str) -> None:
    input_uri, keys = upload_input(upload_lines, fault, rows=20)
    conf = {"input_uri": input_uri, "case": fault.label, "run_seconds": "40"}
    run = start_dag(stack, airflow_home, f"gemini_batch_wait_{mode}", conf, fault.label)
    wait_until(lambda: running_job(fault.label, rows_finished=2), 120, "two rows to finish")
    run.send(signal.SIGINT)
    fault.injected += 1
    run.wait(timeout=90)
    (job,) = case_jobs(fault.label)
    fault.jobs(logical=1, created=jobs_created(fault))
    job = wait_until(lambda: (found := GeminiBatchHook().get_job(job["name"]))["state"] == CANCELLED_STATES[1]
                     and found, 60, "the job to be cancelled")
    progress = job_progress(job)
    finished = progress.succeeded + progress.failed
    assert 2 <= finished < len(keys), "cancelled midway"
    _, found_keys = split_output(fault, job["outputInfo"]["gcsOutputDirectory"])
    fault.finished_rows(finished, keys, found_keys)
    assert fault.rows_lost == 0 and fault.duplicate_jobs == 0, run.output()[-4000:]


def abandon(stack: LocalStack, home: Path, fault: FaultRecord, input_uri: str, name: str) -> tuple[str, dict]:
    """A run whose process dies while its task is deferred: nothing cancels its job (as before Airflow 3.3)."""
    conf = {"input_uri": input_uri, "case": fault.label, "run_seconds": "300"}
    run = start_dag(stack, home, DEFERRED_DAG, conf, f"{fault.label}-{name}")
    wait_until(lambda: "running trigger in line" in run.output(), 120, "the task to defer")
    run.send(signal.SIGKILL)
    run.wait(timeout=30)
    (job,) = [job for job in case_jobs(fault.label) if run_id_of(run.output()).replace(":", "_") in
              job["outputInfo"]["gcsOutputDirectory"]]
    return run_id_of(run.output()), job


def test_the_next_run_sweeps_the_job_of_a_killed_deferred_task(fault: FaultRecord, stack, airflow_home,
                                                                upload_lines) -> None:
    input_uri, keys = upload_input(upload_lines, fault, rows=6)
    killed_run, orphan = abandon(stack, airflow_home, fault, input_uri, "killed")
    waiting_run, waiting = abandon(stack, airflow_home, fault, input_uri, "waiting")
    set_task_state(airflow_home, DEFERRED_DAG, SUBMIT, killed_run, "failed")  # a user marked it failed
    set_task_state(airflow_home, DEFERRED_DAG, SUBMIT, waiting_run, "deferred")  # its trigger still runs elsewhere
    fault.injected += 1
    hook = GeminiBatchHook()
    try:
        conf = {"input_uri": input_uri, "case": fault.label, "run_seconds": "1"}
        output = run_dag(stack, airflow_home, DEFERRED_DAG, conf, f"{fault.label}-next")
        assert hook.get_job(orphan["name"])["state"] in CANCELLED_STATES, output[-4000:]
        assert hook.get_job(waiting["name"])["state"] == "JOB_STATE_RUNNING"
        jobs = case_jobs(fault.label)
        fault.jobs(logical=3, created=len(jobs))
        (latest,) = [job for job in jobs if job["name"] not in (orphan["name"], waiting["name"])]
        assert latest["state"] == "JOB_STATE_SUCCEEDED"
        assert output.index("Orphaned job cancelled") < output.index(latest["name"]), "swept before it submits"
        account(fault, job_manifest(latest), keys)
        assert fault.duplicate_jobs == 0
    finally:
        hook.cancel_job(waiting["name"])
