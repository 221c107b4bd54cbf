"""Where a split writes its results: ``succeeded.jsonl``, ``failed.jsonl`` and ``missing.jsonl`` under a
``gs://`` prefix. Pure."""

from __future__ import annotations

from airflow_batch_gemini.manifests import ResultUris
from airflow_batch_gemini.uris import parse_gs_uri

SUCCEEDED_FILE = "succeeded.jsonl"
FAILED_FILE = "failed.jsonl"
MISSING_FILE = "missing.jsonl"


def join_uri(prefix: str, name: str) -> str:
    """Return ``prefix/name`` for a ``gs://`` prefix, with or without its trailing slash."""
    return f"{prefix.rstrip('/')}/{name}"


def result_uris(destination_prefix: str) -> ResultUris:
    """``{"succeeded_uri", "failed_uri", "missing_uri"}`` under a ``gs://`` prefix (checked)."""
    parse_gs_uri(destination_prefix)
    return {
        "succeeded_uri": join_uri(destination_prefix, SUCCEEDED_FILE),
        "failed_uri": join_uri(destination_prefix, FAILED_FILE),
        "missing_uri": join_uri(destination_prefix, MISSING_FILE),
    }
