from __future__ import annotations

import pytest

from airflow_batch_gemini.job.identity import (
    IDENTITY_LABEL,
    identity_key,
    identity_labels,
    label_value,
    request_fingerprint,
    validate_labels,
)
from airflow_batch_gemini.job.names import (
    InvalidNameError,
    api_base_url,
    console_url,
    model_resource_name,
    parse_job_name,
)
from airflow_batch_gemini.job.spec import build_job_body, output_config

NAME = "projects/123456789012/locations/us-central1/batchPredictionJobs/1234567890123456789"


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("gemini-2.5-flash", "publishers/google/models/gemini-2.5-flash"),
        ("google/gemini-2.5-pro", "publishers/google/models/gemini-2.5-pro"),
        ("publishers/google/models/gemini-2.0-flash-001", "publishers/google/models/gemini-2.0-flash-001"),
        ("projects/p/locations/l/models/77", "projects/p/locations/l/models/77"),
        ("77", "projects/proj/locations/europe-west4/models/77"),
    ],
)
def test_model_names(model: str, expected: str) -> None:
    assert model_resource_name(model, "proj", "europe-west4") == expected


@pytest.mark.parametrize("model", ["", "a/b/c", "  "])
def test_bad_model_names_say_what_is_expected(model: str) -> None:
    with pytest.raises(InvalidNameError):
        model_resource_name(model, "p", "l")


def test_job_name_round_trip_and_console_link() -> None:
    parts = parse_job_name(NAME)
    assert (parts.project, parts.location, parts.job_id) == ("123456789012", "us-central1", "1234567890123456789")
    assert str(parts) == NAME
    expected_link = "/locations/us-central1/batch-predictions/1234567890123456789?project=123456789012"
    assert console_url(NAME).endswith(expected_link)
    with pytest.raises(InvalidNameError, match="NUMERIC_ID"):
        parse_job_name("projects/p/locations/l/batchPredictionJobs/abc")


def test_endpoints() -> None:
    assert api_base_url("us-central1") == "https://us-central1-aiplatform.googleapis.com"
    assert api_base_url("global") == "https://aiplatform.googleapis.com"
    assert api_base_url("us-central1", "http://127.0.0.1:9/") == "http://127.0.0.1:9"


def test_identity_is_deterministic_per_task_instance_and_valid_as_labels() -> None:
    one = identity_key("dag.Name", "task", "manual__2026-01-01T00:00:00+00:00", -1)
    assert one == identity_key("dag.Name", "task", "manual__2026-01-01T00:00:00+00:00", -1)
    assert one != identity_key("dag.Name", "task", "manual__2026-01-01T00:00:00+00:00", 0)
    assert one != identity_key("dag.Name", "task", "scheduled__2026-01-01T00:00:00+00:00", -1)
    labels = identity_labels("Dag.Name", "Task With Spaces", "run", 3, request_fingerprint("m", ["gs://b/x"], "gs://o"))
    validate_labels(labels)
    assert labels[IDENTITY_LABEL].startswith("k") and labels["airflow_map_index"] == "3"
    assert label_value("A" * 100) == label_value("A" * 100) and len(label_value("A" * 100)) == 63


def test_fingerprint_changes_with_input_not_with_order() -> None:
    assert request_fingerprint("m", ["gs://a", "gs://b"], "o") == request_fingerprint("m", ["gs://b", "gs://a"], "o")
    assert request_fingerprint("m", ["gs://a"], "o") != request_fingerprint("m", ["gs://a2"], "o")


@pytest.mark.parametrize(("labels", "match"), [({"Bad": "x"}, "key"), ({"k": "UPPER"}, "values")])
def test_invalid_labels(labels: dict[str, str], match: str) -> None:
    with pytest.raises(InvalidNameError, match=match):
        validate_labels(labels)


def test_create_body_matches_the_seed_shape_for_gcs_and_bigquery() -> None:
    body = build_job_body(
        display_name="job", model="publishers/google/models/gemini-2.5-flash",
        input_uris="gs://b/in.jsonl", output_uri="gs://b/out/", labels={"team": "ml"},
    )
    assert body == {
        "displayName": "job",
        "model": "publishers/google/models/gemini-2.5-flash",
        "inputConfig": {"instancesFormat": "jsonl", "gcsSource": {"uris": ["gs://b/in.jsonl"]}},
        "outputConfig": {"predictionsFormat": "jsonl", "gcsDestination": {"outputUriPrefix": "gs://b/out"}},
        "labels": {"team": "ml"},
    }
    assert output_config("bq://p.d.t") == {
        "predictionsFormat": "bigquery", "bigqueryDestination": {"outputUri": "bq://p.d.t"},
    }


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"display_name": ""}, "display_name"),
        ({"input_uris": []}, "no input"),
        ({"input_uris": "/local/file.jsonl"}, "gs://"),
        ({"output_uri": "s3://x"}, "Cloud Storage prefix"),
    ],
)
def test_create_body_refuses_what_the_service_would(kwargs: dict, match: str) -> None:
    args = {"display_name": "j", "model": "m", "input_uris": "gs://b/i", "output_uri": "gs://b/o", **kwargs}
    with pytest.raises(InvalidNameError, match=match):
        build_job_body(**args)


def test_a_prepared_input_cut_into_files_needs_one_job_per_file() -> None:
    from airflow_batch_gemini.exceptions import GeminiBatchError
    from airflow_batch_gemini.job.spec import prepared_input_uris

    assert prepared_input_uris({"input_uris": ["gs://b/in.jsonl"], "row_count": 3}) == ["gs://b/in.jsonl"]
    with pytest.raises(GeminiBatchError, match=r"cut into 2 files.*expand\(input_uris="):
        prepared_input_uris({"input_uris": ["gs://b/in-00000-of-00002.jsonl", "gs://b/in-00001-of-00002.jsonl"]})


def test_wildcards_match_within_one_level_or_across() -> None:
    from airflow_batch_gemini.uris import wildcard_regex

    assert wildcard_regex("in/part-*.jsonl").fullmatch("in/part-1.jsonl")
    assert not wildcard_regex("in/part-*.jsonl").fullmatch("in/part-1/x.jsonl")
    assert wildcard_regex("in/**.jsonl").fullmatch("in/a/b/c.jsonl")
    assert not wildcard_regex("in/[ab].jsonl").fullmatch("in/a.jsonl"), "only * is a wildcard"
    assert wildcard_regex("in/[ab].jsonl").fullmatch("in/[ab].jsonl")
