from __future__ import annotations

import pytest

from airflow_batch_gemini.job.names import (
    InvalidNameError,
    api_base_url,
    console_url,
    jobs_collection,
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



@pytest.mark.parametrize("name", [
    "projects/my-project/locations/us-central1/batchPredictionJobs/1",
    "projects/123456789012/locations/global/batchPredictionJobs/42",
    "projects/example.com:my-project/locations/europe-west4/batchPredictionJobs/7",
    " projects/my-project/locations/us-central1/batchPredictionJobs/1\n",
])
def test_well_formed_job_names(name: str) -> None:
    assert str(parse_job_name(name)) == name.strip()


@pytest.mark.parametrize("name", [
    "projects/my-project/locations/127.0.0.1:8443#/batchPredictionJobs/1",
    "projects/my-project/locations/evil.example?/batchPredictionJobs/1",
    "projects/my-project/locations/x@evil.example#/batchPredictionJobs/1",
    "projects/my-project/locations/us%2Dcentral1/batchPredictionJobs/1",
    "projects/my-project/locations/us central1/batchPredictionJobs/1",
    "projects/my-project/locations/-us-central1/batchPredictionJobs/1",
    "projects/my-project/locations/US-CENTRAL1/batchPredictionJobs/1",
    "projects/my-project/locations/us-central1/batchPredictionJobs/1#",
    "projects/my-project/locations/us-central1/batchPredictionJobs/1?alt=x",
    "projects/my-project/locations/us-central1/batchPredictionJobs/\u0661",  # an Arabic-Indic digit
    "projects/my-project/locations/us-central1/batchPredictionJobs/1\n2",
    "projects/my-project#/locations/us-central1/batchPredictionJobs/1",
    "projects/my:project/locations/us-central1/batchPredictionJobs/1",
    "projects/My-Project/locations/us-central1/batchPredictionJobs/1",
    "projects/p/locations/us-central1/batchPredictionJobs/1",  # project ids have 6 to 30 characters
    "projects/../locations/us-central1/batchPredictionJobs/1",
    "//evil.example/projects/my-project/locations/us-central1/batchPredictionJobs/1",
    "projects/my-project/locations/us-central1/batchPredictionJobs/1/../../../../other",
])
def test_a_job_name_that_could_change_where_a_request_goes_is_refused(name: str) -> None:
    with pytest.raises(InvalidNameError, match=r"sensor's job_name .* is not a batch job name; expected projects/"):
        parse_job_name(name, "sensor's job_name")


@pytest.mark.parametrize("location", ["127.0.0.1:8443#", "evil.example?", "us-central1.evil.example", "a@b",
                                      "us-central1%23", "us-central1/", "", "x" * 60])
def test_the_urls_are_built_only_from_a_plain_location(location: str) -> None:
    with pytest.raises(InvalidNameError, match=r"location .* is not a Vertex AI location"):
        api_base_url(location)
    with pytest.raises(InvalidNameError, match=r"location .* is not a Vertex AI location"):
        jobs_collection("my-project", location)


@pytest.mark.parametrize("project", ["my-project#", "p", "my-project/..", "evil.example", "MY-PROJECT", "a@b-project"])
def test_the_jobs_collection_is_built_only_from_a_google_project(project: str) -> None:
    with pytest.raises(InvalidNameError, match=r"project_id .* is not a Google Cloud project"):
        jobs_collection(project, "us-central1")
    assert jobs_collection("example.com:my-project", "global") == (
        "projects/example.com:my-project/locations/global/batchPredictionJobs")
