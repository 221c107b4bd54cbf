"""The names of an input's files beside the destination."""

from __future__ import annotations

from airflow_batch_gemini.input.destinations import rejects_uri_for, shard_uri


def test_file_names_beside_the_destination() -> None:
    assert shard_uri("gs://b/in/requests.jsonl", 0, 1) == "gs://b/in/requests.jsonl"
    assert shard_uri("gs://b/in/requests.jsonl", 2, 3) == "gs://b/in/requests-00002-of-00003.jsonl"
    assert shard_uri("gs://b/in/requests", 0, 2) == "gs://b/in/requests-00000-of-00002.jsonl"
    assert rejects_uri_for("gs://b/in/requests.jsonl") == "gs://b/in/requests.rejects.jsonl"
