"""Which failed rows are worth sending again, and the input line that sends one again. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from airflow_batch_gemini.output.annotation import PARSED_ERROR_FIELD
from airflow_batch_gemini.output.row_identity import normalise
from airflow_batch_gemini.output.rows import OUTPUT_FIELDS, classify_row, json_line


def retry_line(row: Mapping[str, Any]) -> bytes:
    """The input line that sends a failed row's request again, with the row's own extra keys (its key).

    The echoed request is normalised (no nulls, lowerCamelCase), so it joins back to the same input row.
    """
    line = {name: value for name, value in row.items() if name not in OUTPUT_FIELDS and name != PARSED_ERROR_FIELD}
    line["request"] = normalise(row.get("request"))
    return json_line(line)


def is_retryable(row: Any) -> bool:
    """Whether a failed output row is worth sending again: it echoes its request and its error is retryable
    (429 RESOURCE_EXHAUSTED, a 5xx, deadline exceeded; never 400 INVALID_ARGUMENT)."""
    if not isinstance(row, Mapping) or not isinstance(row.get("request"), Mapping):
        return False
    error = classify_row(row).error
    return error is not None and error.retryable
