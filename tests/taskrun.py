"""Drive operators the way Airflow's task runner does, without it: a minimal task instance (ids,
XCom, ``task_state_store``), and a run that executes, runs the trigger the operator deferred to, and
resumes it with the event. Shared by the integration, fault and security tests."""

from __future__ import annotations

import asyncio
import functools
import itertools
import json
from collections.abc import Callable
from typing import Any

try:
    from airflow.sdk.exceptions import TaskDeferred
except ImportError:  # Airflow 3.0 keeps it in airflow.exceptions
    from airflow.exceptions import TaskDeferred  # type: ignore[no-redef,attr-defined,unused-ignore]

from airflow_batch_gemini.hooks.batch_prediction import GeminiBatchHook
from airflow_batch_gemini.operators.submit_job import JOB_NAME_KEY, GeminiBatchSubmitJobOperator
from airflow_batch_gemini.triggers.batch_job import GeminiBatchJobTrigger

_runs = itertools.count()


class FakeTaskInstance:
    """The parts of a task instance the operator reads: ids, try start, XCom."""

    def __init__(self, run_id: str, task_id: str = "submit", map_index: int = -1) -> None:
        self.dag_id = "integration"
        self.task_id = task_id
        self.run_id = run_id
        self.map_index = map_index
        self.start_date = None
        self.xcoms: dict[str, Any] = {}

    def xcom_push(self, key: str, value: Any) -> None:
        self.xcoms[key] = value


class FakeStateStore(dict):
    """Airflow 3.3's ``task_state_store`` (kept across tries of one task instance)."""

    def set(self, key: str, value: Any, **_: Any) -> None:
        self[key] = value


def new_context(run_id: str | None = None, store: FakeStateStore | None = None) -> dict[str, Any]:
    context: dict[str, Any] = {"ti": FakeTaskInstance(run_id or f"manual__{next(_runs)}")}
    if store is not None:
        context["task_state_store"] = store
    return context


async def first_event(trigger: GeminiBatchJobTrigger) -> dict[str, Any]:
    async for event in trigger.run():
        return event.payload
    raise AssertionError("the trigger ended without an event")


def run_task(operator: Any, context: dict[str, Any]) -> Any:
    """Execute; each time the operator defers, run its trigger and resume it the way Airflow does
    (the method it named, with the event and the kwargs it deferred with)."""
    step: Callable[[], Any] = functools.partial(operator.execute, context)
    while True:
        try:
            return step()
        except TaskDeferred as deferred:
            if isinstance(operator, GeminiBatchSubmitJobOperator):
                assert context["ti"].xcoms.get(JOB_NAME_KEY), "job name must be in XCom before deferring"
            event = asyncio.run(first_event(deferred.trigger))
            kwargs = json.loads(json.dumps(deferred.kwargs or {}))  # what Airflow stores must be JSON
            step = functools.partial(getattr(operator, deferred.method_name), context, event=event, **kwargs)


def wait_through_pause(trigger: GeminiBatchJobTrigger, job_name: str, resume: Callable[[str], object],
                       hold: float = 1.0) -> dict[str, Any]:
    """Run ``trigger`` while its job pauses: once the job is PAUSED the trigger must still be waiting
    ``hold`` seconds later; then ``resume(job_name)`` and return the trigger's event."""

    async def wait() -> dict[str, Any]:
        waiting = asyncio.ensure_future(first_event(trigger))
        hook = GeminiBatchHook()
        for _ in range(200):
            if (await asyncio.to_thread(hook.get_job, job_name))["state"] == "JOB_STATE_PAUSED":
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(hold)
        assert not waiting.done(), "PAUSED must keep the trigger waiting"
        await asyncio.to_thread(resume, job_name)
        return await asyncio.wait_for(waiting, timeout=60)

    return asyncio.run(wait())
