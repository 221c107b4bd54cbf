"""The importer: turn the bytes of the input JSON Lines files into requests, or fail the job (pure).

The real service loads the input into a table before running it, and rejects the whole job with
code 3 (INVALID_ARGUMENT) when that load fails. This module reproduces the failures that matter
for users: a line that is not JSON or not an object, an empty object anywhere, objects nested
deeper than 15 levels, a top-level key that is not a valid column name, a top-level key whose
JSON type differs between lines, no lines at all, more than 200,000 lines.

A line nested (objects and arrays alike) deeper than :data:`~airflow_batch_gemini.bounds.MAX_JSON_DEPTH` fails
the job the same way before it is decoded: the importer's depth rule, which counts objects only, could not see
deep arrays otherwise, and decoding them would crash the emulator.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from airflow_batch_gemini.bounds import MAX_JSON_DEPTH, nesting_depth_over

MAX_REQUESTS = 200_000
MAX_DEPTH = 15
_COLUMN_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,299}")


class ImportFailure(Exception):
    """The input cannot be imported; the job fails with code 3 and this message."""


@dataclass(frozen=True)
class InputLine:
    """One input line: its ``request`` and any other top-level keys (copied to the output row)."""

    request: Any
    extras: dict[str, Any]


def _json_type(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "object" if isinstance(value, dict) else "array"


def _check_shape(value: Any, where: str, depth: int = 0) -> None:
    """Reject empty objects and objects nested deeper than :data:`MAX_DEPTH` (arrays add no level)."""
    if isinstance(value, dict):
        depth += 1
        if not value:
            raise ImportFailure(f"{where}: empty JSON objects cannot be imported")
        if depth > MAX_DEPTH:
            raise ImportFailure(f"{where}: objects are nested more than {MAX_DEPTH} levels deep")
        for item in value.values():
            _check_shape(item, where, depth)
    elif isinstance(value, list):
        for item in value:
            _check_shape(item, where, depth)


def parse_input(files: Iterable[tuple[str, bytes]]) -> list[InputLine]:
    """Parse ``(uri, content)`` pairs in order. Raises :class:`ImportFailure`."""
    lines: list[InputLine] = []
    column_types: dict[str, tuple[str, str]] = {}
    for uri, content in files:
        try:
            text = content.decode("utf-8")
        except UnicodeDecodeError as err:
            raise ImportFailure(f"Failed to import data from {uri}: the file is not UTF-8 text") from err
        for number, raw in enumerate(text.splitlines(), start=1):
            if not raw.strip():
                continue
            where = f"Failed to import data from {uri}, line {number}"
            if nesting_depth_over(raw.encode()):
                raise ImportFailure(f"{where}: values are nested more than {MAX_JSON_DEPTH} levels deep")
            try:
                record = json.loads(raw)
            except ValueError as err:
                raise ImportFailure(f"{where}: not valid JSON ({err})") from err
            if not isinstance(record, dict):
                raise ImportFailure(f"{where}: a line must be a JSON object")
            _check_shape(record, where)
            for key, value in record.items():
                if not _COLUMN_RE.fullmatch(key):
                    raise ImportFailure(f"{where}: {key!r} is not a valid column name")
                kind = _json_type(value)
                if kind is None:
                    continue
                seen = column_types.setdefault(key, (kind, where))
                if seen[0] != kind:
                    raise ImportFailure(f"{where}: field {key!r} is a {kind} here but a {seen[0]} before")
            lines.append(InputLine(record.get("request"), {k: v for k, v in record.items() if k != "request"}))
            if len(lines) > MAX_REQUESTS:
                raise ImportFailure(f"The input has more than {MAX_REQUESTS} requests")
    if not lines:
        raise ImportFailure("Failed to import data: the input contains no requests")
    return lines
