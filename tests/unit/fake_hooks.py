"""Stand-ins for the Vertex AI hooks in unit tests of the waits: scripted answers to ``get_job``, cancels
recorded."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

JOB = "projects/1/locations/us-central1/batchPredictionJobs/42"


def job(state: str) -> dict[str, Any]:
    return {"name": JOB, "state": state}


class ScriptedHook:
    """Answers ``get_job`` with the next of ``answers`` (an exception is raised), then the last one forever."""

    def __init__(self, answers: Iterable[Any]) -> None:
        self.answers = list(answers)
        self.gets = 0
        self.cancelled: list[str] = []

    def _next(self) -> dict[str, Any]:
        answer = self.answers[min(self.gets, len(self.answers) - 1)]
        self.gets += 1
        if isinstance(answer, BaseException):
            raise answer
        return dict(answer)

    def get_job(self, job_name: str) -> dict[str, Any]:
        return self._next()

    def cancel_job(self, job_name: str) -> bool:
        self.cancelled.append(job_name)
        return True


class ScriptedAsyncHook(ScriptedHook):
    """The same for the trigger's async hook."""

    closed = False

    async def get_job(self, job_name: str) -> dict[str, Any]:  # type: ignore[override]
        return self._next()

    async def cancel_job(self, job_name: str) -> bool:  # type: ignore[override]
        self.cancelled.append(job_name)
        return True

    async def close(self) -> None:
        self.closed = True


def use_hook(task: Any, hook: ScriptedHook) -> None:
    """Give an operator or sensor ``hook`` in place of its ``hook`` (a cached property)."""
    task.__dict__["hook"] = hook


def use_async_hook(trigger: Any, hook: ScriptedAsyncHook) -> None:
    """Give a trigger ``hook`` in place of the async hook it builds."""

    async def built() -> ScriptedAsyncHook:
        return hook

    trigger._hook = built
