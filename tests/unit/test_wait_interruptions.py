"""SIGINT and SIGTERM while a task waits cancel its job and fail the task without retries; a triggerer that
shuts down (the trigger's coroutine cancelled without Ctrl-C) leaves the job running."""

from __future__ import annotations

import asyncio
import signal
import threading

import pytest

from airflow_batch_gemini.exceptions import GeminiBatchWaitInterruptedError
from airflow_batch_gemini.job.watch import JobWatch
from airflow_batch_gemini.operators.failures import GeminiBatchPermanentFailure
from airflow_batch_gemini.operators.submit_job import GeminiBatchSubmitJobOperator
from airflow_batch_gemini.triggers.batch_job import GeminiBatchJobTrigger, interrupted_by_sigint
from tests.taskrun import TaskDeferred, new_context
from tests.unit.fake_hooks import JOB, ScriptedAsyncHook, ScriptedHook, job, use_async_hook, use_hook

RUNNING = job("JOB_STATE_RUNNING")


def operator(hook: ScriptedHook, **kwargs: object) -> GeminiBatchSubmitJobOperator:
    kwargs.setdefault("poll_interval", 0.1)
    task = GeminiBatchSubmitJobOperator(task_id="submit", input_uris="gs://b/in.jsonl", output_uri_prefix="gs://b/o",
                                        deferrable=False, **kwargs)
    use_hook(task, hook)
    task.job_name = JOB
    task.submit = lambda context: RUNNING  # type: ignore[method-assign]  # the job exists; the wait is tested
    return task


def test_ctrl_c_in_a_synchronous_wait_cancels_the_job_and_fails_without_retries() -> None:
    hook = ScriptedHook([RUNNING, KeyboardInterrupt()])
    with pytest.raises(GeminiBatchPermanentFailure) as info:
        operator(hook).execute(new_context())
    assert hook.cancelled == [JOB]
    error = info.value.__cause__
    assert isinstance(error, GeminiBatchWaitInterruptedError) and error.cancelled and not error.is_retryable()
    assert "interrupted (SIGINT)" in str(error) and "not retried" in str(error)


def test_ctrl_c_with_cancel_on_kill_off_leaves_the_job_and_a_retry_reattaches() -> None:
    hook = ScriptedHook([RUNNING, KeyboardInterrupt()])
    with pytest.raises(GeminiBatchWaitInterruptedError) as info:
        operator(hook, cancel_on_kill=False).execute(new_context())
    assert hook.cancelled == [] and info.value.is_retryable()
    assert "runs on; a retry of the task re-attaches to it" in str(info.value)


def test_sigterm_on_kill_cancels_the_job_and_ends_the_synchronous_wait_soon() -> None:
    hook = ScriptedHook([RUNNING])
    task = operator(hook, poll_interval=30.0)
    killer = threading.Timer(0.3, task.on_kill)  # what Airflow's SIGTERM handler calls
    killer.start()
    with pytest.raises(GeminiBatchPermanentFailure, match="SIGTERM"):
        task.execute(new_context())
    killer.join()
    assert hook.cancelled == [JOB], "cancelled once, by on_kill"
    assert hook.gets <= 1, "the 30 s pause was cut short, no poll after the kill"


def test_on_kill_of_a_deferred_copy_cancels_and_stops_the_process_running_its_trigger() -> None:
    hook = ScriptedHook([RUNNING])
    task = operator(hook)
    with pytest.raises(TaskDeferred):
        task.defer(trigger=task.job_trigger(JOB, 0.1, None, True), method_name="execute_complete")
    with pytest.raises(KeyboardInterrupt, match="trigger runs in this process"):
        task.on_kill()
    assert hook.cancelled == [JOB]


def test_a_watch_deadline_still_ends_a_synchronous_wait_with_the_timeout_event() -> None:
    hook = ScriptedHook([RUNNING])
    event = operator(hook).wait(JobWatch(JOB, deadline=0.0, poll_interval=0.1))
    assert event["status"] == "timeout" and hook.cancelled == []


def run_trigger(trigger: GeminiBatchJobTrigger, stop: str) -> None:
    """Run the trigger the way ``airflow dags test`` does (``asyncio.run`` in the main thread) and stop it
    after a few polls: by Ctrl-C (``sigint``), or by cancelling it as a triggerer shutting down does."""

    async def main() -> None:
        task = asyncio.ensure_future(anext(trigger.run(), None))
        await asyncio.sleep(0.3)
        if stop == "sigint":
            signal.raise_signal(signal.SIGINT)
        else:
            task.cancel()
        await task

    asyncio.run(main())


def test_ctrl_c_of_a_trigger_run_in_line_cancels_its_job() -> None:
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler, "asyncio.run handles Ctrl-C only then"
    trigger, hook = GeminiBatchJobTrigger(job_name=JOB, poll_interval=0.1), ScriptedAsyncHook([RUNNING])
    use_async_hook(trigger, hook)
    with pytest.raises(KeyboardInterrupt):
        run_trigger(trigger, "sigint")
    assert hook.gets >= 2 and hook.cancelled == [JOB] and hook.closed
    assert not interrupted_by_sigint(), "outside the interrupted loop, no SIGINT is seen"


def test_a_triggerer_shutting_down_leaves_the_job_running() -> None:
    trigger, hook = GeminiBatchJobTrigger(job_name=JOB, poll_interval=0.1), ScriptedAsyncHook([RUNNING])
    use_async_hook(trigger, hook)
    with pytest.raises(asyncio.CancelledError):
        run_trigger(trigger, "cancel")
    assert hook.gets >= 2 and hook.cancelled == [] and hook.closed


def test_ctrl_c_with_cancel_on_kill_off_leaves_the_job_running() -> None:
    trigger = GeminiBatchJobTrigger(job_name=JOB, poll_interval=0.1, cancel_on_kill=False)
    hook = ScriptedAsyncHook([RUNNING])
    use_async_hook(trigger, hook)
    with pytest.raises(KeyboardInterrupt):
        run_trigger(trigger, "sigint")
    assert hook.cancelled == []
