"""Vertex AI resource names and endpoints: job names, model paths, the REST root, console links. Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass

from airflow_batch_gemini.exceptions import GeminiBatchConfigurationError

DEFAULT_LOCATION = "us-central1"
API_VERSION = "v1"

_JOB_NAME = re.compile(
    r"^projects/(?P<project>[^/]+)/locations/(?P<location>[^/]+)/batchPredictionJobs/(?P<job_id>\d+)$"
)


class InvalidNameError(GeminiBatchConfigurationError, ValueError):
    """A model, job name or label that the service would refuse (a permanent error)."""


@dataclass(frozen=True)
class JobName:
    """The parts of ``projects/{project}/locations/{location}/batchPredictionJobs/{job_id}``."""

    project: str
    location: str
    job_id: str

    def __str__(self) -> str:
        return f"projects/{self.project}/locations/{self.location}/batchPredictionJobs/{self.job_id}"


def parse_job_name(name: str) -> JobName:
    """Split a full job resource name; raise :class:`InvalidNameError` with the expected shape."""
    match = _JOB_NAME.match(name.strip())
    if not match:
        raise InvalidNameError(
            f"{name!r} is not a batch job name; expected "
            "projects/PROJECT/locations/LOCATION/batchPredictionJobs/NUMERIC_ID"
        )
    return JobName(**match.groupdict())


def model_resource_name(model: str, project_id: str, location: str) -> str:
    """Turn ``gemini-2.5-flash`` into ``publishers/google/models/gemini-2.5-flash``.

    A full publisher path (``publishers/P/models/M``) and a tuned or registry model
    (``projects/P/locations/L/models/M``) are kept as they are; ``google/gemini-...`` gets the
    ``publishers/`` prefix. ``project_id`` and ``location`` are accepted for symmetry with tuned
    models given as a bare numeric id, which become ``projects/P/locations/L/models/ID``.
    """
    model = model.strip()
    if not model:
        raise InvalidNameError("model is empty; give e.g. 'gemini-2.5-flash'")
    if model.startswith(("publishers/", "projects/")):
        return model
    if model.isdigit():
        return f"projects/{project_id}/locations/{location}/models/{model}"
    if model.count("/") == 1:
        publisher, model_id = model.split("/")
        return f"publishers/{publisher}/models/{model_id}"
    if "/" in model:
        raise InvalidNameError(
            f"model {model!r} is neither a model id, publishers/P/models/M nor projects/P/locations/L/models/M"
        )
    return f"publishers/google/models/{model}"


def api_base_url(location: str, endpoint: str | None = None) -> str:
    """The REST root for a location: the regional endpoint, the global one, or an override."""
    if endpoint:
        return endpoint.rstrip("/")
    if location == "global":
        return "https://aiplatform.googleapis.com"
    return f"https://{location}-aiplatform.googleapis.com"


def jobs_collection(project_id: str, location: str) -> str:
    """``projects/{project}/locations/{location}/batchPredictionJobs``."""
    return f"projects/{project_id}/locations/{location}/batchPredictionJobs"


def console_url(job_name: str) -> str:
    """Link to the job in the Google Cloud console's Vertex AI batch predictions page."""
    parts = parse_job_name(job_name)
    return (
        f"https://console.cloud.google.com/vertex-ai/locations/{parts.location}"
        f"/batch-predictions/{parts.job_id}?project={parts.project}"
    )
