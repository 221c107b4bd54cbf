"""Which branches a split or a resubmission follows."""

from __future__ import annotations

import pytest

from airflow_batch_gemini.output.branches import choose_branches, task_id_list


@pytest.mark.parametrize(
    ("succeeded", "failed", "expected"),
    [(3, 0, ["ok"]), (0, 2, ["bad", "alert"]), (1, 1, ["ok", "bad", "alert"]), (0, 0, [])],
)
def test_choose_branches(succeeded: int, failed: int, expected: list[str]) -> None:
    assert choose_branches(succeeded, failed, ["ok"], ["bad", "alert"]) == expected


def test_task_id_list() -> None:
    assert task_id_list(None) == []
    assert task_id_list("a") == ["a"]
    assert task_id_list(("a", "b")) == ["a", "b"]
