"""A failed row as ``failed.jsonl`` holds it: the row with the error parsed out of its status added. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from airflow_batch_gemini.output.rows import RowError, TooDeepRow, json_line, with_line_break

#: Field added to each row of ``failed.jsonl``: the error parsed out of its status text.
PARSED_ERROR_FIELD = "parsed_error"


def _annotated_deep_row(raw: bytes, row: TooDeepRow, error: RowError) -> bytes:
    """A too-deep object row with ``parsed_error`` added after its last member, its own bytes kept (never decoded)."""
    if not row.top_level or PARSED_ERROR_FIELD in row.top_level:
        return with_line_break(raw)
    addition = orjson.dumps({PARSED_ERROR_FIELD: error.as_dict()})
    return raw.rstrip()[:-1] + b"," + addition[1:] + b"\n"


def annotate_failure(raw: bytes, row: Any, error: RowError) -> bytes:
    """A failed row's line with its parsed error added (``parsed_error``); a line that is no object stays as is."""
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
