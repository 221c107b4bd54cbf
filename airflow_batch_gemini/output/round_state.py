"""The state of a resubmission round whose job is waited on in the triggerer, and whether a state found at the
resume belongs to that wait. Pure.

The state does not travel in the deferral's kwargs: ``airflow dags test`` resumes a deferred task with the
trigger's event alone. The operator keeps it in an XCom of its own task instance, pushed before it defers.
Airflow keeps a task's XComs from its deferral to its resume and clears them when a new try starts, so a
state lives exactly as long as the try that deferred. A state resumes only the wait it was kept for: the
same try and the same job as the event's. Anything else (no state, or one of an earlier try, as Airflow 3.0
to 3.2 hand a retry the earlier try's deferral, apache/airflow#62845) starts the rounds over, and each
round's job is re-attached by its identity labels rather than created again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from airflow_batch_gemini.manifests import PendingRound, RoundRecord, RoundState, SplitManifest

#: The XCom key of the state of the round being waited on.
ROUND_STATE_KEY = "round_state"


def round_state(
    try_number: int, job_name: str, rounds: Sequence[SplitManifest | RoundRecord], pending: PendingRound
) -> RoundState:
    """The state of the round ``pending`` waiting on ``job_name`` in try ``try_number``, after ``rounds``."""
    return {"try_number": try_number, "job_name": job_name, "rounds": list(rounds), "pending": pending}


def stale_state(state: Any, job_name: str, try_number: int) -> str | None:
    """Why ``state`` cannot resume the wait on ``job_name`` in try ``try_number``; ``None`` when it can.

    :param state: what the XCom :data:`ROUND_STATE_KEY` holds (``None`` when absent).
    :param job_name: the job of the trigger's event.
    :param try_number: the try being resumed.
    """
    if not isinstance(state, Mapping) or any(key not in state for key in RoundState.__required_keys__):
        return f"no round state in XCom {ROUND_STATE_KEY!r}"
    if state["try_number"] != try_number:
        return f"the round state is of try {state['try_number']}, this is try {try_number}"
    if state["job_name"] != job_name:
        return f"the round state waits on {state['job_name']}, the event is of {job_name}"
    return None
