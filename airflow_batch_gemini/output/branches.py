"""Which downstream tasks a split or a resubmission follows: the success branch, the failure branch, or
both. Pure."""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def task_id_list(task_ids: str | Iterable[str] | None) -> list[str]:
    """Return task ids given as one id, several, or none, as a list."""
    if task_ids is None:
        return []
    if isinstance(task_ids, str):
        return [task_ids]
    return list(task_ids)


def choose_branches(
    succeeded: int, failed: int, success_task_ids: Sequence[str], failure_task_ids: Sequence[str]
) -> list[str]:
    """Return the task ids to follow: the success branch if any row succeeded, the failure one if any failed."""
    return (list(success_task_ids) if succeeded else []) + (list(failure_task_ids) if failed else [])
