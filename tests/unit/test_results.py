"""Where a split writes its three result files."""

from __future__ import annotations

import pytest

from airflow_batch_gemini.output.results import join_uri, result_uris


def test_join_uri() -> None:
    assert join_uri("gs://b/p/", "f.jsonl") == join_uri("gs://b/p", "f.jsonl") == "gs://b/p/f.jsonl"


def test_the_three_result_files_under_a_prefix() -> None:
    assert result_uris("gs://b/r/") == {"succeeded_uri": "gs://b/r/succeeded.jsonl",
                                        "failed_uri": "gs://b/r/failed.jsonl", "missing_uri": "gs://b/r/missing.jsonl"}
    with pytest.raises(ValueError, match="not a Cloud Storage URI"):
        result_uris("/tmp/results")
