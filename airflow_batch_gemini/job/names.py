"""Vertex AI resource names and endpoints: job names, model paths, the REST root, console links. Pure.

Every value that becomes part of a URL or a hostname is checked here, at the edge where the URL is built:
a location is a plain region name (it goes into the hostname ``{location}-aiplatform.googleapis.com``), a
project is a Google project id, number or domain-scoped id, and a job id is a number. Nothing else gets
through (no ``#``, ``?``, ``:``, ``@``, ``%``, ``.``, ``/`` or whitespace where they could change the host
or the path), so a templated name can never point a request, and the credentials it carries, elsewhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from airflow_batch_gemini.exceptions import GeminiBatchConfigurationError

DEFAULT_LOCATION = "us-central1"
API_VERSION = "v1"

#: A Vertex AI location: ``us-central1``, ``europe-west4``, ``global``; a DNS label's letters, digits and
#: inner ``-``, short enough that ``{location}-aiplatform`` stays one label (63 characters at most).
_LOCATION = r"[a-z0-9](?:[a-z0-9-]{0,50}[a-z0-9])?"
_LOCATION_SHAPE = "a region such as us-central1 or europe-west4 (lowercase letters, digits and '-'), or global"
#: A project id (6 to 30 lowercase letters, digits and ``-``, starting with a letter), a project number, or a
#: domain-scoped id (``example.com:my-project``).
_PROJECT_ID = r"[a-z][a-z0-9-]{4,28}[a-z0-9]"
_DOMAIN = r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+"
_PROJECT = rf"(?:{_PROJECT_ID}|[0-9]{{1,20}}|{_DOMAIN}:{_PROJECT_ID})"
_PROJECT_SHAPE = ("a project id (my-project: 6 to 30 lowercase letters, digits and '-'), a project number, "
                  "or a domain-scoped id (example.com:my-project)")
_JOB_NAME = re.compile(
    rf"projects/(?P<project>{_PROJECT})/locations/(?P<location>{_LOCATION})/batchPredictionJobs/(?P<job_id>[0-9]+)"
)


class InvalidNameError(GeminiBatchConfigurationError, ValueError):
    """A model, job name, project, location or label that the service would refuse, or that would change
    where a request goes (a permanent error)."""


@dataclass(frozen=True)
class JobName:
    """The parts of ``projects/{project}/locations/{location}/batchPredictionJobs/{job_id}``."""

    project: str
    location: str
    job_id: str

    def __str__(self) -> str:
        return f"projects/{self.project}/locations/{self.location}/batchPredictionJobs/{self.job_id}"


def parse_job_name(name: str, what: str = "job_name") -> JobName:
    """Split a full job resource name, strictly (see the module docstring); raise :class:`InvalidNameError`
    naming ``what`` (the parameter or answer the name came from) and the expected shape.

    Surrounding whitespace is dropped; ``str()`` of the result is the name to put into a URL.
    """
    match = _JOB_NAME.fullmatch(name.strip()) if isinstance(name, str) else None
    if not match:
        raise InvalidNameError(
            f"{what} {name!r} is not a batch job name; expected projects/PROJECT/locations/LOCATION/"
            f"batchPredictionJobs/NUMERIC_ID, with PROJECT {_PROJECT_SHAPE} and LOCATION {_LOCATION_SHAPE}"
        )
    return JobName(**match.groupdict())


def check_location(location: str, what: str = "location") -> None:
    """Raise :class:`InvalidNameError` unless ``location`` is a well-formed Vertex AI location
    (lowercase letters, digits and ``-``, as ``us-central1``; or ``global``). ``what``: the parameter it came
    from, for the message."""
    if not isinstance(location, str) or not re.fullmatch(_LOCATION, location):
        raise InvalidNameError(f"{what} {location!r} is not a Vertex AI location: give {_LOCATION_SHAPE}")


def check_project_id(project_id: str, what: str = "project_id") -> None:
    """Raise :class:`InvalidNameError` unless ``project_id`` is a Google Cloud project id, number or
    domain-scoped id. ``what``: the parameter or connection field it came from, for the message."""
    if not isinstance(project_id, str) or not re.fullmatch(_PROJECT, project_id):
        raise InvalidNameError(f"{what} {project_id!r} is not a Google Cloud project: give {_PROJECT_SHAPE}")


#: A model id as Vertex AI spells them (``gemini-2.5-flash``, ``gemini-2.0-flash-001``, a tuned model's
#: number), with an optional ``@version`` (``@2``, ``@golden``, ``@001``).
_MODEL_ID = r"[a-z0-9][a-z0-9._-]*(?:@[A-Za-z0-9._-]+)?"
_SEGMENT = r"[^/\s]+"
#: The spellings ``batchPredictionJobs.create`` takes for ``model`` (discovery document of aiplatform v1:
#: "projects/{project}/locations/{location}/models/{model}@2 ... publishers/{publisher}/models/{model} or
#: projects/{project}/locations/{location}/publishers/{publisher}/models/{model}").
_RESOURCE_SHAPES = (
    re.compile(rf"publishers/{_SEGMENT}/models/{_MODEL_ID}"),
    re.compile(rf"projects/{_SEGMENT}/locations/(?P<location>{_SEGMENT})/publishers/{_SEGMENT}/models/{_MODEL_ID}"),
    re.compile(rf"projects/{_SEGMENT}/locations/(?P<location>{_SEGMENT})/models/{_MODEL_ID}"),
)
_MODEL_SPELLINGS = (
    "a model id (gemini-2.5-flash), publishers/google/models/gemini-2.5-flash, "
    "projects/P/locations/L/publishers/google/models/M, or a tuned model projects/P/locations/L/models/M[@VERSION]"
)


def model_resource_name(model: str, project_id: str, location: str) -> str:
    """Turn what a user may give as ``model`` into the resource name ``batchPredictionJobs.create`` takes.

    - ``gemini-2.5-flash`` (a model id, ``@version`` allowed) becomes ``publishers/google/models/gemini-2.5-flash``;
    - ``models/gemini-2.5-flash``, the Gemini API's spelling, becomes the same;
    - ``google/gemini-2.5-pro`` (publisher/model) becomes ``publishers/google/models/gemini-2.5-pro``;
    - a bare number is a tuned model of this project and location: ``projects/P/locations/L/models/ID``;
    - the service's own forms are kept as they are: ``publishers/P/models/M``,
      ``projects/P/locations/L/publishers/P/models/M`` and ``projects/P/locations/L/models/M[@VERSION]``.

    Anything else (a URL, an endpoint, a method such as ``:generateContent``, a Gemini API tuned model,
    capitals or spaces) raises :class:`InvalidNameError` saying what to give instead.
    """
    model = model.strip()
    if not model:
        raise InvalidNameError(f"model is empty; give {_MODEL_SPELLINGS}")
    _refuse_what_is_no_model_path(model)
    if any(shape.fullmatch(model) for shape in _RESOURCE_SHAPES):
        return model
    if model.isdigit():
        return f"projects/{project_id}/locations/{location}/models/{model}"
    if model.startswith("models/") and re.fullmatch(_MODEL_ID, model_id := model.removeprefix("models/")):
        return f"publishers/google/models/{model_id}"
    if re.fullmatch(_MODEL_ID, model):
        return f"publishers/google/models/{model}"
    publisher, slash, model_id = model.partition("/")
    if slash and re.fullmatch(r"[a-z0-9][a-z0-9_-]*", publisher) and re.fullmatch(_MODEL_ID, model_id):
        return f"publishers/{publisher}/models/{model_id}"
    raise InvalidNameError(f"model {model!r} is not a model path; give {_MODEL_SPELLINGS}")


def _refuse_what_is_no_model_path(model: str) -> None:
    """Raise :class:`InvalidNameError` with advice for the things users paste that are not a model path."""
    if "://" in model:
        raise InvalidNameError(
            f"model {model!r} is a URL; give the model's resource name instead, e.g. "
            "publishers/google/models/gemini-2.5-flash or projects/P/locations/L/models/M"
        )
    last = model.rsplit("/", 1)[-1]  # a domain-scoped project id (example.com:project) holds a colon too
    if ":" in last:
        method = last[last.index(":"):]
        raise InvalidNameError(
            f"model {model!r} names a method ({method}); drop it: model={model.removesuffix(method)!r}"
        )
    if model.startswith("tunedModels/"):
        raise InvalidNameError(
            f"model {model!r} is a model tuned in the Gemini API (AI Studio); a Vertex AI batch job takes a "
            "Vertex AI model: a publisher model such as gemini-2.5-flash, or a model tuned in Vertex AI "
            "(projects/P/locations/L/models/M)"
        )
    if "/endpoints/" in model:
        raise InvalidNameError(
            f"model {model!r} is an endpoint, not a model; give the model it serves "
            "(projects/P/locations/L/models/M), as a batch job reads the model itself"
        )
    name = model.partition("@")[0]  # a version alias may hold capitals
    if any(character.isspace() for character in model) or name != name.lower():
        hint = "-".join(model.split()).lower()
        raise InvalidNameError(
            f"model {model!r} holds capitals or spaces; model names are lowercase, without spaces: {hint!r}?"
        )


def model_location(model: str) -> str | None:
    """The location a model path names (``projects/P/locations/L/...``), or ``None`` for one that names none
    (a publisher model ``publishers/P/models/M``, which is served in every location)."""
    for shape in _RESOURCE_SHAPES:
        match = shape.fullmatch(model)
        if match is not None:
            return match.groupdict().get("location")
    return None


def api_base_url(location: str, endpoint: str | None = None) -> str:
    """The REST root for a location: the regional endpoint, the global one, or an override (whether
    credentials may go to an override is :mod:`airflow_batch_gemini.job.endpoints`' decision).

    :raises InvalidNameError: ``location`` is no Vertex AI location.
    """
    check_location(location)
    if endpoint:
        return endpoint.rstrip("/")
    if location == "global":
        return "https://aiplatform.googleapis.com"
    return f"https://{location}-aiplatform.googleapis.com"


def jobs_collection(project_id: str, location: str) -> str:
    """``projects/{project}/locations/{location}/batchPredictionJobs``.

    :raises InvalidNameError: the project or the location is malformed.
    """
    check_project_id(project_id)
    check_location(location)
    return f"projects/{project_id}/locations/{location}/batchPredictionJobs"


def console_url(job_name: str) -> str:
    """Link to the job in the Google Cloud console's Vertex AI batch predictions page."""
    parts = parse_job_name(job_name)
    return (
        f"https://console.cloud.google.com/vertex-ai/locations/{parts.location}"
        f"/batch-predictions/{parts.job_id}?project={parts.project}"
    )
