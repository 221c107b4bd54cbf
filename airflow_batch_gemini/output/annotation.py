"""A failed row as ``failed.jsonl`` holds it: the row with the error parsed out of its status added. Pure.

A row too long to read (:class:`~airflow_batch_gemini.output.large_rows.TooLargeRow`, never held) is written as a
record of the package's own (:func:`too_large_record`): the top-level strings and numbers found in its first and
last 64 KiB (its key, if there), ``status`` (``ROW_TOO_LARGE: {"error": {...}}``, read back as that failure),
``row_too_large`` (its size, SHA-256, the limit, the part and line it was read from) and ``parsed_error``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import orjson

from airflow_batch_gemini.output.large_rows import TooLargeRow
from airflow_batch_gemini.output.rows import OUTPUT_FIELDS, RowError, TooDeepRow, json_line, with_line_break

#: Field added to each row of ``failed.jsonl``: the error parsed out of its status text.
PARSED_ERROR_FIELD = "parsed_error"
#: Field of the record of a row too long to read: what it was (:meth:`TooLargeRow.details`).
TOO_LARGE_FIELD = "row_too_large"


def too_large_record(row: TooLargeRow, error: RowError) -> bytes:
    """The line ``failed.jsonl`` holds for a row too long to read: its top-level strings and numbers found in its
    first and last 64 KiB (its key, if there; not the service's fields), a ``status`` that reads back as ``error``,
    the row's :data:`TOO_LARGE_FIELD` and ``parsed_error``."""
    members = {
        name: value for name, value in (row.top_level or {}).items()
        if name not in OUTPUT_FIELDS and isinstance(value, str | int | float)
    }
    status = f"{error.status}: " + json.dumps({"error": {"status": error.status, "message": error.message}})
    return json_line({**members, "status": status, TOO_LARGE_FIELD: row.details(),
                      PARSED_ERROR_FIELD: error.as_dict()})


def _annotated_deep_row(raw: bytes, row: TooDeepRow, error: RowError) -> bytes:
    """A too-deep object row with ``parsed_error`` added after its last member, its own bytes kept (never decoded)."""
    if not row.top_level or PARSED_ERROR_FIELD in row.top_level:
        return with_line_break(raw)
    addition = orjson.dumps({PARSED_ERROR_FIELD: error.as_dict()})
    return raw.rstrip()[:-1] + b"," + addition[1:] + b"\n"


def annotate_failure(raw: bytes, row: Any, error: RowError) -> bytes:
    """A failed row's line with its parsed error added (``parsed_error``); a line that is no object stays as is; a
    row too long to read (no ``raw``: it was never held) is its :func:`too_large_record`."""
    if isinstance(row, TooLargeRow):
        return too_large_record(row, error)
    if isinstance(row, TooDeepRow):
        return _annotated_deep_row(raw, row, error)
    if not isinstance(row, Mapping):
        return with_line_break(raw)
    annotated = {**row, PARSED_ERROR_FIELD: error.as_dict()}
    if b"NaN" not in raw and b"Infinity" not in raw:  # orjson would write them as null
        try:
            return orjson.dumps(annotated, option=orjson.OPT_APPEND_NEWLINE)
        except TypeError:  # an integer beyond 64 bits, a lone surrogate
            pass
    return json_line(annotated)
