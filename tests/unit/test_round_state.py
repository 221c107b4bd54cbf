"""The state of a deferred resubmission round, and which states may resume a wait."""

from __future__ import annotations

import json

import pytest

from airflow_batch_gemini.output.round_state import ROUND_STATE_KEY, round_state, stale_state
from tests.rounds import round_one, round_zero

JOB = "projects/p/locations/l/batchPredictionJobs/2"


def kept(**changes) -> dict:
    """A round state as the XCom gives it back: JSON."""
    pending = {key: value for key, value in round_one().items() if key != "job_name"}
    state = round_state(1, JOB, [round_zero()], pending)  # type: ignore[arg-type]
    return {**json.loads(json.dumps(state)), **changes}


def test_the_state_names_its_try_its_job_and_the_rounds() -> None:
    state = kept()
    assert (state["try_number"], state["job_name"], state["rounds"], state["pending"]["round"]) == (
        1, JOB, [round_zero()], 1)
    assert stale_state(state, JOB, 1) is None


@pytest.mark.parametrize(
    ("state", "job_name", "try_number", "reason"),
    [
        pytest.param(None, JOB, 1, f"no round state in XCom '{ROUND_STATE_KEY}'", id="absent"),
        pytest.param({"rounds": []}, JOB, 1, "no round state", id="incomplete"),
        pytest.param(kept(), JOB, 2, "the round state is of try 1, this is try 2", id="an-earlier-try"),
        pytest.param(kept(), "projects/p/locations/l/batchPredictionJobs/9", 1,
                     f"the round state waits on {JOB}, the event is of projects/p/locations/l/batchPredictionJobs/9",
                     id="another-job"),
    ],
)
def test_a_state_resumes_only_the_wait_of_its_try_and_job(state, job_name: str, try_number: int,
                                                          reason: str) -> None:
    found = stale_state(state, job_name, try_number)
    assert found is not None and found.startswith(reason)
