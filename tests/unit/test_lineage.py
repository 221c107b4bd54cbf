"""Lineage: OpenLineage datasets of the Cloud Storage objects, and the result Assets."""

from __future__ import annotations

import sys

import pytest
from airflow.sdk import Asset

from airflow_batch_gemini.lineage import dataset_name, openlineage_datasets, result_assets
from airflow_batch_gemini.operators.submit_job import GeminiBatchSubmitJobOperator
from tests.paths import EXAMPLE_DAGS

DAGS = str(EXAMPLE_DAGS)

@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("gs://bucket/a/b.jsonl", ("gs://bucket", "a/b.jsonl")),
        ("gs://bucket/out/", ("gs://bucket", "out")),
        ("gs://bucket", ("gs://bucket", "/")),
        ("bq://proj.ds.table", ("bigquery", "proj.ds.table")),
    ],
)
def test_dataset_names_follow_the_openlineage_naming_spec(uri, expected) -> None:
    assert dataset_name(uri) == expected


@pytest.mark.parametrize("uri", ["/local/file.jsonl", "gs://", "s3://bucket/key"])
def test_dataset_name_refuses_other_schemes(uri: str) -> None:
    with pytest.raises(ValueError, match=r"neither a gs://BUCKET/PATH object nor a bq://PROJECT\.DATASET\.TABLE"):
        dataset_name(uri)


def test_submit_operator_reports_its_input_and_output_datasets() -> None:
    operator = GeminiBatchSubmitJobOperator(
        task_id="submit", input_uris=["gs://in/a.jsonl", "gs://in/b.jsonl"],
        output_uri_prefix="gs://out/2026-01-01/output",
    )
    lineage = operator.get_openlineage_facets_on_complete(None)
    assert [(d.namespace, d.name) for d in lineage.inputs] == [("gs://in", "a.jsonl"), ("gs://in", "b.jsonl")]
    assert [(d.namespace, d.name) for d in lineage.outputs] == [("gs://out", "2026-01-01/output")]


def test_no_lineage_without_the_openlineage_provider(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "airflow.providers.openlineage.extractors", None)
    assert openlineage_datasets(["gs://in/a.jsonl"], ["gs://out/x"]) is None


def test_result_assets_are_the_example_dags_outlets() -> None:
    assets = result_assets("bucket", "gemini-batch")
    assert assets == {
        "succeeded": Asset(name="gemini-batch/succeeded", uri="gs://bucket/gemini-batch/succeeded.jsonl",
                           group="gemini-batch"),
        "failed": Asset(name="gemini-batch/failed", uri="gs://bucket/gemini-batch/failed.jsonl", group="gemini-batch"),
    }
    sys.path.insert(0, DAGS)
    try:
        from gemini_batch_example import RESULTS, dag
    finally:
        sys.path.remove(DAGS)
    assert dag.get_task("split_results").outlets == list(RESULTS.values())
    assert "Vertex AI batch" in (dag.doc_md or "") and "Assets" in (dag.doc_md or "")

