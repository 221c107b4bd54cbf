"""A failed row as ``failed.jsonl`` holds it: the row with the error parsed out of its status added. Pure."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import orjson

from airflow_batch_gemini.output.rows import RowError, with_line_break

#: Field added to each row of ``failed.jsonl``: the error parsed out of its status text.
PARSED_ERROR_FIELD = "parsed_error"


def annotate_failure(raw: bytes, row: Any, error: RowError) -> bytes:
    """A failed row's line with its parsed error added (``parsed_error``); a line that is no object stays as is."""
    if not isinstance(row, Mapping):
        return with_line_break(raw)
    annotated = {**row, PARSED_ERROR_FIELD: error.as_dict()}
    if b"NaN" not in raw and b"Infinity" not in raw:  # orjson would write them as null
        try:
            return orjson.dumps(annotated, option=orjson.OPT_APPEND_NEWLINE)
        except TypeError:  # an integer beyond 64 bits
            pass
    return json.dumps(annotated, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"
