"""The results as a text table for the task log."""

from __future__ import annotations

from airflow_batch_gemini.output.summary import summary_table
from tests.rounds import round_zero


def test_the_summary_table_names_files_failures_and_disagreements() -> None:
    table = summary_table({**round_zero(), "disagreements": ["x"]})
    assert "gs://b/s/failed.jsonl" in table and "RESOURCE_EXHAUSTED" in table and "DISAGREEMENT: x" in table
