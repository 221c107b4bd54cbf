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
_BQ_TABLE_RE = re.compile(r"bq://[a-z][a-z0-9-]{4,28}[a-z0-9](\.[A-Za-z0-9_]{1,1024}){2}")
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


def _format(raw: Any, field: str, allowed: frozenset[str], format_key: str, format_field: str) -> tuple[
    dict[str, Any], str
]:
    """Check an input or output config object and return it with its format (``jsonl`` or ``bigquery``)."""
    config = _expect(raw, dict, field)
    _unknown_fields(config, allowed, f"batch_prediction_job.{field}")
    fmt = config.get(format_key)
    if fmt is None:
        raise _required(f"{field}.{format_field}")
    if fmt not in ("jsonl", "bigquery"):
        raise invalid_argument(f"Unsupported {format_field} {fmt!r}; Gemini batch jobs use jsonl or bigquery.")
    return config, fmt


def _uri(container: Any, key: str, field: str, pattern: re.Pattern[str]) -> str:
    """``container[key]`` if it is a string matching ``pattern``."""
    value = _expect(container, dict, field).get(key)
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise invalid_argument(f"Invalid URI {value!r} in batch_prediction_job.{field}.")
    return value


def _input_config(raw: Any) -> dict[str, Any]:
    config, fmt = _format(raw, "input_config", INPUT_FIELDS, "instancesFormat", "instances_format")
    if fmt == "bigquery":
        uri = _uri(config.get("bigquerySource"), "inputUri", "input_config.bigquery_source", _BQ_TABLE_RE)
        return {"instancesFormat": fmt, "bigquerySource": {"inputUri": uri}}
    source = _expect(config.get("gcsSource"), dict, "input_config.gcs_source")
    uris = source.get("uris")
    uri_list = [uris] if isinstance(uris, str) else _expect(uris, list, "input_config.gcs_source.uris")
    if not uri_list:
        raise _required("input_config.gcs_source.uris")
    for uri in uri_list:
        if not isinstance(uri, str) or not _GCS_OBJECT_RE.fullmatch(uri):
            raise invalid_argument(f"Invalid Cloud Storage URI {uri!r} in input_config.gcs_source.uris.")
    return {"instancesFormat": fmt, "gcsSource": {"uris": list(uri_list)}}


def _output_config(raw: Any) -> dict[str, Any]:
    config, fmt = _format(raw, "output_config", OUTPUT_FIELDS, "predictionsFormat", "predictions_format")
    if fmt == "bigquery":
        uri = _uri(config.get("bigqueryDestination"), "outputUri", "output_config.bigquery_destination", _BQ_RE)
        return {"predictionsFormat": fmt, "bigqueryDestination": {"outputUri": uri}}
    prefix = _uri(config.get("gcsDestination"), "outputUriPrefix", "output_config.gcs_destination",
                  _GCS_PREFIX_RE)
    return {"predictionsFormat": fmt, "gcsDestination": {"outputUriPrefix": prefix}}


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
