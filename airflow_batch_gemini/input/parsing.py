"""Parsing one input line into a value: pure functions, no I/O.

Two parsers, one per engine. :func:`parse_fast` (orjson) gives the value or ``None``, nothing more;
:func:`parse_value_or_problem` (the standard library's ``json``, the reference) gives the value or the
one problem that stops the line being JSON at all, with the words to fix it.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

from airflow_batch_gemini.input.problems import LineProblem

_UTF8_BOM = "\ufeff"


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed in JSON")


def parse_value_or_problem(raw: bytes | str, line: int) -> tuple[Any, list[LineProblem]]:
    """Decode and parse one input line; return ``(value, [])`` or ``(None, [problem])``.

    A trailing line break is ignored. A blank line, a byte order mark, bytes that are not UTF-8,
    text that is not JSON (``NaN`` and ``Infinity`` included) are each a problem at ``line``.
    """
    if isinstance(raw, bytes):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as err:
            return None, [LineProblem(line, "", f"is not UTF-8 text (byte {err.start + 1}); save the file as UTF-8")]
    else:
        text = raw
    if text.startswith(_UTF8_BOM):
        return None, [LineProblem(line, "", "starts with a byte order mark (BOM); save the file as UTF-8 without BOM")]
    if not text.strip():
        return None, [LineProblem(line, "", "is blank; every line must hold one request, remove empty lines")]
    try:
        return json.loads(text, parse_constant=_reject_constant), []
    except json.JSONDecodeError as err:
        return None, [LineProblem(line, "", f"is not valid JSON: {err.msg} at column {err.colno}")]
    except ValueError as err:
        return None, [LineProblem(line, "", f"is not valid JSON: {err}")]


def parse_fast(raw: bytes | str) -> Any:
    """Parse a line with orjson; ``None`` when orjson refuses it (the reference then explains why)."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
