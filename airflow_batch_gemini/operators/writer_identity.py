"""Who writes a task's files, as the writer mark of :mod:`airflow_batch_gemini.hooks.owned_objects` names it."""

from __future__ import annotations

from collections.abc import Mapping


def result_writer(context: Mapping[str, object]) -> str | None:
    """Who writes a task's results, as their custom metadata names it: ``dag_id/run_id/task_id`` of the task
    instance (``/map_index`` added when mapped). The same for every try of it and after a clear, so that a retry
    replaces its own files and another run's never; ``None`` without a task instance.
    """
    ti = context.get("ti")
    ids = [getattr(ti, name, None) for name in ("dag_id", "run_id", "task_id")]
    if not all(isinstance(part, str) and part for part in ids):
        return None
    map_index = getattr(ti, "map_index", -1)
    mapped = isinstance(map_index, int) and map_index >= 0
    return "/".join(str(part) for part in ids) + (f"/{map_index}" if mapped else "")
