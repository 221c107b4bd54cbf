"""Row keys given to input lines, so that output rows can be joined back: pure functions, no I/O.

A line without its key field gets ``r`` and its 8-digit line number (``"key": "r00001204"``), placed
first in the line; the rest of its bytes are kept. The key is stable across re-runs of the same input,
unique within it, and starts with a letter (so the service keeps it a string). A line with a key keeps
its own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from airflow_batch_gemini.input.importer_rules import is_column_name
from airflow_batch_gemini.input.parsing import parse_fast

#: The top-level field :func:`with_row_key` adds, which the output reconciliation joins on.
DEFAULT_ROW_KEY_FIELD = "key"


def check_row_key_field(name: str) -> None:
    """Refuse a row key field that is no valid column name (the importer would fail the job).

    :raises ValueError: ``name`` is not a valid column name.
    """
    if not is_column_name(name):
        raise ValueError(f"row_key_field must be a valid column name (letters, digits, _), not {name!r}")


def numbered_row_key(line: int) -> str:
    """Make the row key of input line ``line``: ``r`` and its 8-digit number (``r00001204``)."""
    return f"r{line:08d}"


def keyed_line(raw: bytes, key_field: str, key: str) -> bytes:
    """``raw``, a non-empty JSON object, with ``"key_field": "key"`` first (both need no escaping)."""
    return b'{"%s":"%s",' % (key_field.encode(), key.encode()) + raw.lstrip()[1:]


def with_row_key(raw: bytes, value: Any, line: int, key_field: str) -> bytes:
    """Give a line that has no ``key_field`` a stable row key, :func:`numbered_row_key` of its line number.

    The key goes first in the line; the rest of its bytes are kept. ``value`` (``parse_fast(raw)``) gets
    the key too. A line that is not a non-empty object is returned unchanged (it is invalid anyway).

    :param key_field: a valid column name (so it needs no escaping in JSON).
    """
    if type(value) is not dict or not value or key_field in value:
        return raw
    value[key_field] = numbered_row_key(line)
    return keyed_line(raw, key_field, value[key_field])


def row_key_transform(key_field: str | None) -> Callable[[int, bytes], bytes]:
    """What an upload does to valid line ``number`` read again: add its row key as the scan did
    (:func:`with_row_key`), or nothing when ``key_field`` is ``None``."""
    if key_field is None:
        return lambda number, raw: raw
    return lambda number, raw: with_row_key(raw, parse_fast(raw), number, key_field)
