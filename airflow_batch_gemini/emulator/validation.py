"""Validation of ``batchPredictionJobs.create`` bodies and resource names (pure).

Errors are :class:`~.wire.ApiError` values, answered as 400 INVALID_ARGUMENT or, for a publisher
model the service does not know, 404 NOT_FOUND, like the real service.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from .wire import ApiError, camelize_keys, invalid_argument, not_found

#: Publisher models the emulator knows (extend with ``--model``).
KNOWN_MODELS = (
    "gemini-2.0-flash",
    "gemini-2.0-flash-001",
    "gemini-2.0-flash-lite",
    "gemini-2.0-flash-lite-001",
    "gemini-2.5-flash",
    "gemini-2.5-flash-lite",
    "gemini-2.5-pro",
    "gemini-3-flash-preview",
    "gemini-3-pro-preview",
)

#: Every field of ``BatchPredictionJob`` (REST v1); others are rejected as the real service does.
JOB_FIELDS = frozenset(
    {
        "name", "displayName", "model", "modelVersionId", "unmanagedContainerModel", "inputConfig",
        "instanceConfig", "modelParameters", "outputConfig", "dedicatedResources", "serviceAccount",
        "manualBatchTuningParameters", "generateExplanation", "explanationSpec", "outputInfo", "state",
        "error", "partialFailures", "resourcesConsumed", "completionStats", "createTime", "startTime",
        "endTime", "updateTime", "labels", "encryptionSpec", "disableContainerLogging", "satisfiesPzs",
        "satisfiesPzi",
    }
)
INPUT_FIELDS = frozenset({"gcsSource", "bigquerySource", "vertexMultimodalDatasetSource", "instancesFormat"})
OUTPUT_FIELDS = frozenset(
    {"gcsDestination", "bigqueryDestination", "vertexMultimodalDatasetDestination", "predictionsFormat"}
)
#: Optional input fields the emulator stores and echoes back: name -> required JSON type.
ECHOED_FIELDS: dict[str, type] = {
    "modelVersionId": str,
    "serviceAccount": str,
    "encryptionSpec": dict,
    "modelParameters": dict,
}

_BUCKET_RE = r"[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]"
_GCS_OBJECT_RE = re.compile(rf"gs://{_BUCKET_RE}/.+")
_GCS_PREFIX_RE = re.compile(rf"gs://{_BUCKET_RE}(/.*)?")
_BQ_RE = re.compile(r"bq://[a-z][a-z0-9-]{4,28}[a-z0-9](\.[A-Za-z0-9_]{1,1024}){0,2}")
_LABEL_KEY_RE = re.compile(r"[a-z][a-z0-9_-]{0,62}")
_LABEL_VALUE_RE = re.compile(r"[a-z0-9_-]{0,63}")
_TUNED_MODEL_RE = re.compile(r"projects/[^/]+/locations/[^/]+/models/[^/@]+(@[^/]+)?")
_PUBLISHER_RE = re.compile(r"(?:projects/[^/]+/locations/[^/]+/)?publishers/([^/]+)/models/([^/@]+)(@[^/]+)?")
_MODEL_ID_RE = re.compile(r"[a-z0-9][a-z0-9.\-]*")
MAX_LABELS = 64


@dataclass(frozen=True)
class JobSpec:
    """A validated create request."""

    display_name: str
    model: str
    input_config: dict[str, Any]
    output_config: dict[str, Any]
    labels: dict[str, str]
    extra: dict[str, Any]


def project_number(project: str) -> str:
    """A stable 12-digit project number for a project id; digits are taken to be a number already."""
    if project.isdigit():
        return project
    digest = int(hashlib.sha256(project.encode()).hexdigest(), 16)
    return str(100_000_000_000 + digest % 900_000_000_000)


def _required(field: str) -> ApiError:
    return invalid_argument(
        f"List of found errors:\t1.Field: batch_prediction_job.{field}; Message: Required field is not set.\t"
    )


_JSON_KINDS: dict[type, str] = {dict: "object", list: "array", str: "string"}


def _expect(value: Any, kind: type, field: str) -> Any:
    if not isinstance(value, kind):
        raise invalid_argument(
            f"Invalid value at 'batch_prediction_job.{field}': expected a JSON {_JSON_KINDS[kind]}."
        )
    return value


def _unknown_fields(value: Mapping[str, Any], allowed: frozenset[str], where: str) -> None:
    for key in value:
        if key not in allowed:
            raise invalid_argument(
                f'Invalid JSON payload received. Unknown name "{key}" at \'{where}\': Cannot find field.'
            )


def normalise_model(model: str, known_models: Collection[str], project: str, location: str) -> str:
    """``gemini-2.5-flash`` -> ``publishers/google/models/gemini-2.5-flash``; tuned models unchanged.

    Raises 404 NOT_FOUND for a publisher model not in ``known_models``, 400 for a malformed name.
    """
    if _TUNED_MODEL_RE.fullmatch(model):
        return model
    match = _PUBLISHER_RE.fullmatch(model)
    if match is not None:
        publisher, model_id = match.group(1), match.group(2)
    elif _MODEL_ID_RE.fullmatch(model):
        publisher, model_id = "google", model
    else:
        raise invalid_argument(f"Invalid Model resource name: {model!r}.")
    if publisher != "google" or model_id not in known_models:
        raise not_found(
            f"Publisher Model `projects/{project_number(project)}/locations/{location}/publishers/"
            f"{publisher}/models/{model_id}` not found."
        )
    return f"publishers/google/models/{model_id}"


def _input_config(raw: Any) -> dict[str, Any]:
    config = _expect(raw, dict, "input_config")
    _unknown_fields(config, INPUT_FIELDS, "batch_prediction_job.input_config")
    fmt = config.get("instancesFormat")
    if fmt is None:
        raise _required("input_config.instances_format")
    if fmt not in ("jsonl", "bigquery"):
        raise invalid_argument(f"Unsupported instances format {fmt!r}; Gemini batch jobs take jsonl or bigquery.")
    if fmt == "jsonl":
        source = _expect(config.get("gcsSource"), dict, "input_config.gcs_source")
        uris = source.get("uris")
        uri_list = [uris] if isinstance(uris, str) else _expect(uris, list, "input_config.gcs_source.uris")
        if not uri_list:
            raise _required("input_config.gcs_source.uris")
        for uri in uri_list:
            if not isinstance(uri, str) or not _GCS_OBJECT_RE.fullmatch(uri):
                raise invalid_argument(f"Invalid Cloud Storage URI {uri!r} in input_config.gcs_source.uris.")
        return {"instancesFormat": fmt, "gcsSource": {"uris": list(uri_list)}}
    source = _expect(config.get("bigquerySource"), dict, "input_config.bigquery_source")
    uri = source.get("inputUri")
    if not isinstance(uri, str) or not _BQ_RE.fullmatch(uri) or uri.count(".") != 2:
        raise invalid_argument(f"Invalid BigQuery table URI {uri!r} in input_config.bigquery_source.")
    return {"instancesFormat": fmt, "bigquerySource": {"inputUri": uri}}


def _output_config(raw: Any) -> dict[str, Any]:
    config = _expect(raw, dict, "output_config")
    _unknown_fields(config, OUTPUT_FIELDS, "batch_prediction_job.output_config")
    fmt = config.get("predictionsFormat")
    if fmt is None:
        raise _required("output_config.predictions_format")
    if fmt not in ("jsonl", "bigquery"):
        raise invalid_argument(f"Unsupported predictions format {fmt!r}; Gemini batch jobs write jsonl or bigquery.")
    if fmt == "jsonl":
        destination = _expect(config.get("gcsDestination"), dict, "output_config.gcs_destination")
        prefix = destination.get("outputUriPrefix")
        if not isinstance(prefix, str) or not _GCS_PREFIX_RE.fullmatch(prefix):
            raise invalid_argument(f"Invalid Cloud Storage URI prefix {prefix!r} in output_config.")
        return {"predictionsFormat": fmt, "gcsDestination": {"outputUriPrefix": prefix}}
    destination = _expect(config.get("bigqueryDestination"), dict, "output_config.bigquery_destination")
    uri = destination.get("outputUri")
    if not isinstance(uri, str) or not _BQ_RE.fullmatch(uri):
        raise invalid_argument(f"Invalid BigQuery URI {uri!r} in output_config.bigquery_destination.")
    return {"predictionsFormat": fmt, "bigqueryDestination": {"outputUri": uri}}


def _labels(raw: Any) -> dict[str, str]:
    labels = _expect(raw, dict, "labels")
    if len(labels) > MAX_LABELS:
        raise invalid_argument(f"At most {MAX_LABELS} labels are allowed.")
    for key, value in labels.items():
        if not isinstance(value, str) or not _LABEL_KEY_RE.fullmatch(key) or not _LABEL_VALUE_RE.fullmatch(value):
            raise invalid_argument(
                f"Invalid label {key!r}: {value!r}. Keys and values may hold lowercase letters, digits, "
                "'-' and '_' (at most 63 characters; keys start with a letter)."
            )
    return dict(labels)


def parse_create_body(
    body: Any, known_models: Collection[str], project: str, location: str
) -> JobSpec:
    """Validate a create body (already decoded from JSON). Raises :class:`~.wire.ApiError`."""
    if not isinstance(body, dict):
        raise invalid_argument("Invalid JSON payload received. The body must be a BatchPredictionJob object.")
    job = camelize_keys(body)
    _unknown_fields(job, JOB_FIELDS, "batch_prediction_job")
    display_name = job.get("displayName")
    if display_name is None or display_name == "":
        raise _required("display_name")
    _expect(display_name, str, "display_name")
    model = job.get("model")
    if model is None or model == "":
        raise _required("model")
    _expect(model, str, "model")
    if job.get("inputConfig") is None:
        raise _required("input_config")
    if job.get("outputConfig") is None:
        raise _required("output_config")
    extra = {}
    for key, kind in ECHOED_FIELDS.items():
        if job.get(key) is not None:
            extra[key] = _expect(job[key], kind, key)
    return JobSpec(
        display_name=display_name,
        model=normalise_model(model, known_models, project, location),
        input_config=_input_config(job["inputConfig"]),
        output_config=_output_config(job["outputConfig"]),
        labels=_labels(job.get("labels") or {}),
        extra=extra,
    )
