"""The body of ``batchPredictionJobs.create``, built and checked before anything is sent. Pure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from airflow_batch_gemini.exceptions import GeminiBatchConfigurationError
from airflow_batch_gemini.job.identity import validate_labels
from airflow_batch_gemini.job.names import InvalidNameError
from airflow_batch_gemini.uris import as_uri_list

MAX_DISPLAY_NAME = 128


def prepared_input_uris(prepared: Mapping[str, Any]) -> list[str]:
    """The input file of a prepare-input result (its ``input_uris``).

    A result cut into several files is refused: the input was cut because it is over one job's
    limits (200,000 requests, 1 GB), so each file needs a job of its own: a
    :class:`~airflow_batch_gemini.exceptions.GeminiBatchConfigurationError` (permanent) says how.
    """
    uris = as_uri_list(prepared["input_uris"])
    if len(uris) > 1:
        raise GeminiBatchConfigurationError(
            f"The prepared input was cut into {len(uris)} files because it is over one job's limits "
            "(200,000 requests or 1 GB); submit one job per file by mapping the submit task over them, "
            "e.g. GeminiBatchSubmitJobOperator.partial(...).expand(input_uris=<the files>) as in "
            "airflow_batch_gemini/example_dags/gemini_batch_sharded_example.py"
        )
    return uris


def output_config(output_uri: str) -> dict[str, Any]:
    """``outputConfig`` for a ``gs://`` prefix (JSON Lines) or a ``bq://project.dataset[.table]``."""
    if output_uri.startswith("gs://"):
        return {"predictionsFormat": "jsonl", "gcsDestination": {"outputUriPrefix": output_uri.rstrip("/")}}
    if output_uri.startswith("bq://"):
        return {"predictionsFormat": "bigquery", "bigqueryDestination": {"outputUri": output_uri}}
    raise InvalidNameError(
        f"output {output_uri!r} must be a Cloud Storage prefix (gs://bucket/path) "
        "or a BigQuery table (bq://project.dataset.table)"
    )


def build_job_body(
    *,
    display_name: str,
    model: str,
    input_uris: str | Sequence[str],
    output_uri: str,
    labels: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The create body; raise :class:`~airflow_batch_gemini.job.names.InvalidNameError` for what the
    service would refuse (empty or too long display name, no input, non-gs:// input, bad labels)."""
    if not display_name or len(display_name) > MAX_DISPLAY_NAME:
        raise InvalidNameError(f"display_name must be 1 to {MAX_DISPLAY_NAME} characters, got {display_name!r}")
    uris = as_uri_list(input_uris)
    if not uris:
        raise InvalidNameError("no input URI given")
    bad = [uri for uri in uris if not uri.startswith("gs://")]
    if bad:
        raise InvalidNameError(f"input URIs must be gs:// objects (JSON Lines), got {bad}")
    body: dict[str, Any] = {
        "displayName": display_name,
        "model": model,
        "inputConfig": {"instancesFormat": "jsonl", "gcsSource": {"uris": uris}},
        "outputConfig": output_config(output_uri),
    }
    if labels:
        validate_labels(labels)
        body["labels"] = dict(labels)
    return body
