"""Task instances as the resubmission's tests need them: with a try number, reading back their own XComs (a
round's state travels in one, pushed before the task defers), and retried the way Airflow 3.0 to 3.2 retry a
deferred task (apache/airflow#62845: the earlier try's deferral resumed instead of ``execute``)."""

from __future__ import annotations

import itertools
from typing import Any

from tests.taskrun import FakeTaskInstance

_runs = itertools.count()


class XComTaskInstance(FakeTaskInstance):
    """A task instance whose XComs it pushed can be pulled back, as Airflow keeps them from a deferral to
    its resume."""

    def __init__(self, run_id: str, try_number: int = 1, xcoms: dict[str, Any] | None = None) -> None:
        super().__init__(run_id)
        self.try_number = try_number
        self.xcoms = dict(xcoms or {})

    def xcom_pull(self, task_ids: str | None = None, key: str = "return_value", *, map_indexes: int | None = None,
                  **_: Any) -> Any:
        assert (task_ids, map_indexes) == (self.task_id, self.map_index), "a task reads its own XCom back"
        return self.xcoms.get(key)


def xcom_context(run_id: str | None = None, try_number: int = 1, xcoms: dict[str, Any] | None = None
                 ) -> dict[str, Any]:
    """A context whose task instance reads back its XComs; the same ``run_id`` is another try of it."""
    return {"ti": XComTaskInstance(run_id or f"manual__x{next(_runs)}", try_number, xcoms)}


class RetriedAfterDeferral:
    """The next try of a deferred task as Airflow 3.0 to 3.2 run it: the method it deferred to, with the
    earlier try's event, instead of ``execute`` (give it to :func:`tests.taskrun.run_task`).

    :param operator: the task.
    :param method_name: the method the earlier try deferred to.
    :param event: the event the earlier try's trigger fired.
    """

    def __init__(self, operator: Any, method_name: str, event: dict[str, Any]) -> None:
        self.operator = operator
        self.method_name = method_name
        self.event = event

    def execute(self, context: dict[str, Any]) -> Any:
        return getattr(self.operator, self.method_name)(context, event=self.event)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.operator, name)
