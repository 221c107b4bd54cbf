"""Storms of transient 429/500/503 answers on get and on create, and a create whose answer is lost.

Each case runs the real submit operator (execute, defer, the trigger, execute_complete) against the
emulator with fault labels on the job, then splits the output and checks every input row came out
and the emulator created exactly one job.
"""

from __future__ import annotations

import pytest

from tests.faults.helpers import (
    account,
    case_context,
    injected_api_faults,
    jobs_created,
    submit_operator,
    upload_input,
)
from tests.faults.scoreboard import FaultRecord
from tests.taskrun import run_task

pytestmark = pytest.mark.usefixtures("google_connection")


@pytest.mark.parametrize(
    ("labels", "max_transient_errors"),
    [
        # the job runs 5 s, so that a 30 % storm surely hits: over the emulator's 0.8 s default a run
        # now and then saw no poll fail at all (0.7 ** polls), and the case failed
        pytest.param({"emulator-api-fault-get": "30", "emulator-run-seconds": "5"}, 12, id="get-30pct-429-500-503"),
        pytest.param({"emulator-api-fault-get": "429-first-8"}, 10, id="get-429-burst"),
        pytest.param({"emulator-api-fault-get": "503-first-8"}, 10, id="get-503-burst"),
        pytest.param({"emulator-api-fault-create": "503-first-3"}, 10, id="create-503-burst"),
        pytest.param({"emulator-api-fault-create": "429-first-3"}, 10, id="create-429-burst"),
        pytest.param({"emulator-api-fault-create-lost": "503-first-2"}, 10, id="create-answer-lost"),
        pytest.param(
            {"emulator-api-fault-create-lost": "first-1", "emulator-api-fault-create": "429-first-1",
             "emulator-api-fault-get": "50"}, 30, id="create-lost-and-get-storm",
        ),
    ],
)
def test_transient_storm(
    fault: FaultRecord, upload_lines, emulator, labels: dict[str, str], max_transient_errors: int
) -> None:
    input_uri, keys = upload_input(upload_lines, fault)
    before = injected_api_faults(emulator.stats())
    operator = submit_operator(fault, input_uri, labels, max_transient_errors=max_transient_errors)
    manifest = run_task(operator, case_context(fault))
    fault.injected += injected_api_faults(emulator.stats()) - before
    fault.jobs(logical=1, created=jobs_created(fault))
    assert fault.injected > 0, "the storm must really have hit"
    assert manifest["state"] == "JOB_STATE_SUCCEEDED"
    assert fault.duplicate_jobs == 0
    summary = account(fault, manifest, keys)
    assert (summary["succeeded"], summary["failed"]) == (4, 2)
