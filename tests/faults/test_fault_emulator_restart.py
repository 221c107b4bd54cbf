"""The Vertex AI side goes away mid-job: the emulator is stopped and started again on the same port
from its ``--state-file``. The trigger must ride out the outage (connection refused counts as
transient), the job must resume where it was, and every row must come out, from one job."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from urllib.parse import urlparse

import pytest

from airflow_batch_gemini.hooks.batch_prediction import GeminiBatchHook
from gemini_batch_local.local_stack import LocalStack
from tests.faults.helpers import account, case_context, jobs_created, submit_operator, upload_input
from tests.faults.scoreboard import FaultRecord
from tests.taskrun import first_event

pytestmark = pytest.mark.usefixtures("google_connection")


@pytest.fixture(scope="module")
def restartable(stack: LocalStack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    """An emulator of its own, with a state file, on the session's Cloud Storage."""
    state = tmp_path_factory.mktemp("emulator-state") / "state.json"
    emulator = LocalStack(emulator_args=["--state-file", str(state)])
    emulator.gcs_url = stack.gcs_url
    emulator.start_emulator()
    yield emulator
    emulator.stop()


def restart(emulator: LocalStack, down_seconds: float) -> None:
    """Stop the emulator (it saves its state), wait, start it again on the same port."""
    port = urlparse(emulator.vertex_url).port
    emulator.stop_process("emulator")
    time.sleep(down_seconds)
    emulator.start_emulator(["--port", str(port)])


@pytest.mark.parametrize(
    ("labels", "restart_in", "restarts"),
    [
        pytest.param({"emulator-queue-seconds": "2"}, "JOB_STATE_QUEUED", 1, id="while-queued"),
        pytest.param({"emulator-run-seconds": "4"}, "JOB_STATE_RUNNING", 2, id="twice-while-running"),
    ],
)
def test_emulator_restart_mid_job(fault: FaultRecord, restartable: LocalStack, upload_lines,
                                  labels: dict[str, str], restart_in: str, restarts: int) -> None:
    input_uri, keys = upload_input(upload_lines, fault, rows=12)
    endpoint = restartable.vertex_url
    context = case_context(fault)
    operator = submit_operator(fault, input_uri, labels, api_endpoint=endpoint, max_transient_errors=200)
    job_name = operator.submit(context)["name"]
    trigger = operator.job_trigger(job_name, 0.1, None, True)
    hook = GeminiBatchHook(api_endpoint=endpoint)

    async def wait_through_restarts() -> dict:
        waiting = asyncio.ensure_future(first_event(trigger))
        for _ in range(restarts):
            while (await asyncio.to_thread(hook.get_job, job_name))["state"] != restart_in:
                await asyncio.sleep(0.05)
            await asyncio.to_thread(restart, restartable, 0.5)
            assert not waiting.done(), "the outage must not end the wait"
        return await asyncio.wait_for(waiting, timeout=90)

    fault.injected += restarts
    manifest = operator.execute_complete(context, asyncio.run(wait_through_restarts()))
    fault.jobs(logical=1, created=jobs_created(fault, api_endpoint=endpoint))
    assert restartable.vertex_url == endpoint
    assert manifest["state"] == "JOB_STATE_SUCCEEDED"
    assert manifest["completion_stats"] == {"succeeded": 8, "failed": 4, "incomplete": 0}
    account(fault, manifest, keys)
