"""Processes dying at the worst moment: the worker between create and defer (the retry must
re-attach, not create), and the triggerer mid-wait (a fresh trigger from the serialized kwargs must
resume the wait, and the job must run on untouched)."""

from __future__ import annotations

import asyncio
import importlib
import json

import pytest

from airflow_batch_gemini.hooks.batch_prediction import GeminiBatchHook
from airflow_batch_gemini.links.batch_job import JOB_NAME_KEY
from airflow_batch_gemini.triggers.batch_job import GeminiBatchJobTrigger
from tests.faults.helpers import account, case_context, jobs_created, submit_operator, upload_input
from tests.faults.scoreboard import FaultRecord
from tests.taskrun import FakeStateStore, first_event, run_task

pytestmark = pytest.mark.usefixtures("google_connection")


@pytest.mark.parametrize(
    ("labels", "with_store"),
    [
        pytest.param({}, False, id="found-by-labels"),
        pytest.param({"emulator-api-fault-create-lost": "503-first-1"}, False, id="create-answer-lost-too"),
        pytest.param({}, True, id="found-in-task_state_store"),
        pytest.param({"emulator-api-fault-create": "429-first-2"}, True, id="create-429s-and-task_state_store"),
    ],
)
def test_worker_dies_between_create_and_defer(fault: FaultRecord, upload_lines, emulator,
                                              labels: dict[str, str], with_store: bool) -> None:
    input_uri, keys = upload_input(upload_lines, fault)
    store = FakeStateStore() if with_store else None
    first_try = case_context(fault, store)
    submit_operator(fault, input_uri, labels).submit(first_try)  # the job exists; then the worker dies
    fault.injected += 1
    lists = emulator.calls("list")
    second_try = case_context(fault, store)
    manifest = run_task(submit_operator(fault, input_uri, labels), second_try)
    if with_store:
        assert emulator.calls("list") == lists, "the stored job name is used without a search"
    fault.jobs(logical=1, created=jobs_created(fault))
    assert manifest["job_name"] == first_try["ti"].xcoms[JOB_NAME_KEY] == second_try["ti"].xcoms[JOB_NAME_KEY]
    assert fault.duplicate_jobs == 0
    account(fault, manifest, keys)


def rebuilt(trigger: GeminiBatchJobTrigger) -> GeminiBatchJobTrigger:
    """What a new triggerer does: import the class path, and build it from kwargs stored as JSON."""
    path, kwargs = trigger.serialize()
    module, _, name = path.rpartition(".")
    trigger_class = getattr(importlib.import_module(module), name)
    fresh: GeminiBatchJobTrigger = trigger_class(**json.loads(json.dumps(kwargs)))
    return fresh


@pytest.mark.parametrize("restarts", [1, 3])
def test_triggerer_restart_resumes_the_wait(fault: FaultRecord, upload_lines, emulator, restarts: int) -> None:
    input_uri, keys = upload_input(upload_lines, fault)
    context = case_context(fault)
    operator = submit_operator(fault, input_uri, {"emulator-run-seconds": "2"})
    trigger = operator.job_trigger(operator.submit(context)["name"], 0.1, None, True)
    job_name = trigger.job_name

    async def restart_then_finish() -> dict:
        current = trigger
        for _ in range(restarts):
            polls = emulator.calls("get")
            running = asyncio.ensure_future(first_event(current))
            while emulator.calls("get") < polls + 2:  # it is really waiting
                await asyncio.sleep(0.05)
            running.cancel()  # the triggerer process goes away mid-wait
            with pytest.raises(asyncio.CancelledError):
                await running
            current = rebuilt(current)
        return await asyncio.wait_for(first_event(current), timeout=60)

    fault.injected += restarts
    cancels = emulator.calls("cancel")
    event = asyncio.run(restart_then_finish())
    manifest = operator.execute_complete(context, event)
    fault.jobs(logical=1, created=jobs_created(fault))
    assert emulator.calls("cancel") == cancels, "losing the triggerer must not cancel the job"
    assert manifest["job_name"] == job_name and manifest["state"] == "JOB_STATE_SUCCEEDED"
    assert GeminiBatchHook().get_job(job_name)["state"] == "JOB_STATE_SUCCEEDED"
    account(fault, manifest, keys)
