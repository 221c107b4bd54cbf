"""Provider polish: registration, the connection form, the console link, OpenLineage datasets, result Assets."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from airflow.sdk import Asset, BaseOperatorLink

from airflow_batch_gemini import __version__
from airflow_batch_gemini.get_provider_info import get_provider_info
from airflow_batch_gemini.hooks.batch_prediction import GeminiBatchHook
from airflow_batch_gemini.lineage import dataset_name, openlineage_datasets, result_assets
from airflow_batch_gemini.links import batch_job as links
from airflow_batch_gemini.operators.submit_job import GeminiBatchSubmitJobOperator
from tests.paths import EXAMPLE_DAGS

DAGS = str(EXAMPLE_DAGS)
JOB = "projects/123/locations/europe-west4/batchPredictionJobs/456"


def test_airflow_providers_list_shows_the_package(tmp_path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "airflow", "providers", "list", "--output", "json"],
        env={"AIRFLOW_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    table = next(line for line in result.stdout.splitlines() if line.startswith("[{"))  # log lines come first
    listed = {row["package_name"]: row for row in json.loads(table)}
    assert listed["airflow-batch-gemini"]["version"] == __version__


def test_connection_form_is_google_clouds_plus_the_endpoint() -> None:
    (connection,) = get_provider_info()["connection-types"]
    assert (connection["connection-type"], connection["hook-class-name"]) == (
        GeminiBatchHook.conn_type, f"{GeminiBatchHook.__module__}.{GeminiBatchHook.__qualname__}")
    fields = connection["conn-fields"]
    assert {"project", "key_path", "keyfile_dict", "impersonation_chain", "is_anonymous"} <= set(fields)
    assert fields["vertex_ai_endpoint"]["label"] == "Vertex AI endpoint"
    behaviour = connection["ui-field-behaviour"]
    assert "extra" in behaviour["hidden-fields"] and set(behaviour["placeholders"]) <= set(fields)


def test_extra_link_is_registered_and_points_at_the_console(monkeypatch) -> None:
    (registered,) = get_provider_info()["extra-links"]
    module, _, name = registered.rpartition(".")
    link = getattr(sys.modules[module], name)()
    assert isinstance(link, BaseOperatorLink)
    assert type(link) in {type(each) for each in GeminiBatchSubmitJobOperator.operator_extra_links}

    seen = {}

    def get_value(*, ti_key, key):
        seen["key"] = key
        return {"ti": JOB, "no-job": None, "bad": "not/a/job"}[ti_key]

    monkeypatch.setattr(links.XCom, "get_value", get_value)
    assert link.get_link(None, ti_key="ti") == (
        "https://console.cloud.google.com/vertex-ai/locations/europe-west4/batch-predictions/456?project=123")
    assert seen["key"] == "job_name"
    assert link.get_link(None, ti_key="no-job") == link.get_link(None, ti_key="bad") == ""


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


def test_dataset_name_refuses_other_schemes() -> None:
    with pytest.raises(ValueError, match="neither"):
        dataset_name("/local/file.jsonl")


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
