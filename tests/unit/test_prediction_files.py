"""Which files under a job's output directory are read."""

from __future__ import annotations

from airflow_batch_gemini.output.prediction_files import select_prediction_files


def test_select_prediction_files_is_relative_to_the_directory() -> None:
    names = ["incremental_predictions/a.jsonl", "b.jsonl", "sub/c.jsonl", "d.json"]
    assert select_prediction_files(names) == ["b.jsonl", "sub/c.jsonl"]
    assert select_prediction_files(["incremental_predictions/a.jsonl"]) == ["incremental_predictions/a.jsonl"]
