"""What does not add up between output rows, input rows and completionStats."""

from __future__ import annotations

from airflow_batch_gemini.output.disagreements import disagreements
from airflow_batch_gemini.output.rows import classify_row
from airflow_batch_gemini.output.tally import Tally
from tests.seed import FAILURE_ROW, SUCCESS_ROW


def test_disagreements_with_completion_stats_are_named() -> None:
    tally = Tally()
    for row in (SUCCESS_ROW, SUCCESS_ROW, FAILURE_ROW):
        tally.add(classify_row(row))
    assert disagreements(tally, 0, {"succeeded": 2, "failed": 1, "incomplete": 0}) == []
    found = disagreements(tally, 1, {"succeeded": 3, "failed": 1, "incomplete": 0})
    assert found == ["completionStats reports 3 succeeded row(s), the output holds 2",
                     "1 input row(s) have no output row (completionStats incomplete: 0)"]


def test_duplicate_and_unexpected_rows_are_named() -> None:
    tally = Tally(unexpected=2, duplicates=1)
    assert disagreements(tally, None, None) == [
        "2 output row(s) match no input row (kept in their result file)",
        "1 output row(s) answer an input row a second time (left out)",
    ]
