"""Counting output rows, and at most MAX_CATEGORIES kinds of each count."""

from __future__ import annotations

from airflow_batch_gemini.output.rows import classify_row
from airflow_batch_gemini.output.tally import MAX_CATEGORIES, OTHER_CATEGORY, Tally, sum_counts
from tests.seed import FAILURE_ROW, SUCCESS_ROW


def test_a_tally_counts_rows_failures_and_usage() -> None:
    tally = Tally()
    for row in (SUCCESS_ROW, FAILURE_ROW, "garbage"):
        tally.add(classify_row(row))
    counts = tally.counts()
    assert (counts["succeeded"], counts["failed"], counts["unexpected_rows"], counts["duplicate_rows"]) == (1, 2, 0, 0)
    assert counts["failures_by_status"] == {"INVALID_ARGUMENT": 1, "UNREADABLE_ROW": 1}
    assert counts["failures_by_code"] == {"400": 1, "none": 1}
    assert counts["token_usage"]["total_tokens"] == 29216


def test_rare_kinds_are_counted_as_other() -> None:
    total = sum_counts([{f"k{index}": 1 for index in range(MAX_CATEGORIES)}, {"k0": 2, "late": 5}])
    assert len(total) == MAX_CATEGORIES + 1 and total[OTHER_CATEGORY] == 5 and total["k0"] == 3
