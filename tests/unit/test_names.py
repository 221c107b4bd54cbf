from __future__ import annotations

import pytest

from airflow_batch_gemini.job.names import (
    InvalidNameError,
    api_base_url,
    console_url,
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

