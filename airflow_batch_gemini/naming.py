"""Names and identities: resource names, endpoints, job identity labels, Cloud Storage wildcards. Pure
functions, no I/O."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

DEFAULT_LOCATION = "us-central1"
API_VERSION = "v1"

#: Label that carries a job's deterministic identity (dag, task, run, map index).
IDENTITY_LABEL = "airflow_batch_key"
#: Label that fingerprints what was asked (model, input, output): a retry with other input is a new job.
REQUEST_LABEL = "airflow_batch_request"

_JOB_NAME = re.compile(
    r"^projects/(?P<project>[^/]+)/locations/(?P<location>[^/]+)/batchPredictionJobs/(?P<job_id>\d+)$"
)
_LABEL_VALUE_BAD = re.compile(r"[^a-z0-9_-]+")
_MAX_LABEL_LENGTH = 63


class InvalidNameError(ValueError):
    """A model, job name or label that the service would refuse."""


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


def label_value(text: str) -> str:
    """Turn any text into a valid label value (lowercase letters, digits, ``_``, ``-``; 63 chars)."""
    cleaned = _LABEL_VALUE_BAD.sub("-", text.lower()).strip("-")
    if len(cleaned) <= _MAX_LABEL_LENGTH:
        return cleaned
    digest = hashlib.sha256(text.encode()).hexdigest()[:8]
    return f"{cleaned[: _MAX_LABEL_LENGTH - 9]}-{digest}"


def _digest(parts: Sequence[object]) -> str:
    return hashlib.sha256(json.dumps(list(parts), default=str).encode()).hexdigest()[:40]


def identity_key(dag_id: str, task_id: str, run_id: str, map_index: int | None) -> str:
    """A deterministic key for one task instance's job: the same on every retry of that instance."""
    return "k" + _digest([dag_id, task_id, run_id, -1 if map_index is None else map_index])


def request_fingerprint(model: str, input_uris: Sequence[str], output: str) -> str:
    """A fingerprint of what a job was asked to do; a retry with other input gets a new job."""
    return "r" + _digest([model, sorted(input_uris), output])


def identity_labels(
    dag_id: str, task_id: str, run_id: str, map_index: int | None, fingerprint: str
) -> dict[str, str]:
    """Labels that let a retry find the job an earlier try created."""
    labels = {
        IDENTITY_LABEL: identity_key(dag_id, task_id, run_id, map_index),
        REQUEST_LABEL: fingerprint,
        "airflow_dag": label_value(dag_id),
        "airflow_task": label_value(task_id),
    }
    if map_index is not None and map_index >= 0:
        labels["airflow_map_index"] = str(map_index)
    return labels


def validate_labels(labels: Mapping[str, str]) -> None:
    """Raise :class:`InvalidNameError` for labels the service would refuse."""
    if len(labels) > 64:
        raise InvalidNameError(f"{len(labels)} labels given; a job takes at most 64")
    for key, value in labels.items():
        if not re.fullmatch(r"[a-z][a-z0-9_-]{0,62}", key):
            raise InvalidNameError(
                f"label key {key!r} must start with a lowercase letter and hold only lowercase "
                "letters, digits, '_' or '-', at most 63 characters"
            )
        if not re.fullmatch(r"[a-z0-9_-]{0,63}", value):
            raise InvalidNameError(
                f"label {key}={value!r}: values hold only lowercase letters, digits, '_' or '-', "
                "at most 63 characters (naming.label_value() cleans any text)"
            )


def wildcard_regex(pattern: str) -> re.Pattern[str]:
    """The regular expression of a Cloud Storage object name with wildcards, as batch input URIs take
    them: ``*`` within one path level, ``**`` across levels (match with ``fullmatch``)."""
    pieces = re.split(r"(\*\*|\*)", pattern)
    regex = "".join(".*" if piece == "**" else "[^/]*" if piece == "*" else re.escape(piece) for piece in pieces)
    return re.compile(regex, re.DOTALL)


def camel_case(name: str) -> str:
    """``max_output_tokens`` -> ``maxOutputTokens``; a lowerCamelCase name is returned unchanged."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)
