from __future__ import annotations

import pytest

from airflow_batch_gemini.job.names import (
    InvalidNameError,
    api_base_url,
    console_url,
    model_location,
    model_resource_name,
    parse_job_name,
)

NAME = "projects/123456789012/locations/us-central1/batchPredictionJobs/1234567890123456789"


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("gemini-2.5-flash", "publishers/google/models/gemini-2.5-flash"),
        ("google/gemini-2.5-pro", "publishers/google/models/gemini-2.5-pro"),
        ("publishers/google/models/gemini-2.0-flash-001", "publishers/google/models/gemini-2.0-flash-001"),
        ("projects/p/locations/l/models/77", "projects/p/locations/l/models/77"),
        ("77", "projects/proj/locations/europe-west4/models/77"),
        # the Gemini API's spelling (was publishers/models/models/gemini-2.5-flash)
        ("models/gemini-2.5-flash", "publishers/google/models/gemini-2.5-flash"),
        ("models/gemini-2.0-flash-001", "publishers/google/models/gemini-2.0-flash-001"),
        # the service's own forms (discovery document of aiplatform v1), kept as they are
        ("projects/p/locations/europe-west4/publishers/google/models/gemini-2.5-flash",
         "projects/p/locations/europe-west4/publishers/google/models/gemini-2.5-flash"),
        ("projects/p/locations/l/models/77@2", "projects/p/locations/l/models/77@2"),
        ("projects/p/locations/l/models/77@golden", "projects/p/locations/l/models/77@golden"),
        ("gemini-2.5-flash@001", "publishers/google/models/gemini-2.5-flash@001"),
        ("  gemini-2.5-flash\n", "publishers/google/models/gemini-2.5-flash"),
        ("projects/example.com:proj/locations/l/models/77", "projects/example.com:proj/locations/l/models/77"),
    ],
)
def test_model_names(model: str, expected: str) -> None:
    assert model_resource_name(model, "proj", "europe-west4") == expected


@pytest.mark.parametrize(
    ("model", "advice"),
    [
        ("", "model is empty"),
        ("  ", "model is empty"),
        ("a/b/c", "not a model path"),
        ("publishers/google/gemini-2.5-flash", "not a model path"),
        ("https://us-central1-aiplatform.googleapis.com/v1/publishers/google/models/gemini-2.5-flash", "is a URL"),
        ("publishers/google/models/gemini-2.5-flash:generateContent",
         "drop it: model='publishers/google/models/gemini-2.5-flash'"),
        ("gemini-2.5-flash:batchGenerateContent", r"names a method \(:batchGenerateContent\)"),
        ("tunedModels/my-model-123", "tuned in the Gemini API"),
        ("projects/p/locations/l/endpoints/123", "is an endpoint"),
        ("Gemini-2.5-Flash", "lowercase.*'gemini-2.5-flash'"),
        ("gemini 2.5 flash", "'gemini-2.5-flash'"),
    ],
)
def test_what_is_not_a_model_path_is_refused_with_advice(model: str, advice: str) -> None:
    with pytest.raises(InvalidNameError, match=advice):
        model_resource_name(model, "p", "l")


@pytest.mark.parametrize(
    ("model", "location"),
    [
        ("publishers/google/models/gemini-2.5-flash", None),
        ("projects/p/locations/europe-west4/models/77@2", "europe-west4"),
        ("projects/p/locations/global/publishers/google/models/gemini-2.5-flash", "global"),
    ],
)
def test_the_location_a_model_path_names(model: str, location: str | None) -> None:
    assert model_location(model) == location


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

