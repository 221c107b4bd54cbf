"""How an output row is joined to its input line: by its key, else by a hash of its request. Pure.

The key is the first of the ``key_fields`` (``key``, ``id``) a line carries, which the service copies
from an input line to its output row; a line without one is joined by a hash of its request,
normalised because the service echoes requests with explicit nulls and may use snake_case. Both
sides reduce to the same 16-byte digest, which is all a :class:`~airflow_batch_gemini.output.ledger.RowLedger`
keeps of a row.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from airflow_batch_gemini.fieldnames import camel_case
from airflow_batch_gemini.output.rows import load_json

#: Top-level fields that identify a row, tried in this order.
DEFAULT_KEY_FIELDS = ("key", "id")
_DIGEST_BYTES = 16


def normalise(value: Any) -> Any:
    """A request as the service would read it: null fields dropped, keys in lowerCamelCase, recursively."""
    if isinstance(value, Mapping):
        return {camel_case(str(key)): normalise(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [normalise(item) for item in value]
    return value


def read_row_key(row: Mapping[str, Any], key_fields: Sequence[str] = DEFAULT_KEY_FIELDS) -> str | None:
    """The row's key: the first of ``key_fields`` holding a string or a number, as text; else ``None``.

    Numbers and strings compare as text, because the service may turn a numeric-looking string key
    into a number in the output row.
    """
    for name in key_fields:
        value = row.get(name)
        if isinstance(value, str | int | float) and not isinstance(value, bool) and value != "":
            return str(value)
    return None


def row_identity(row: Any, key_fields: Sequence[str] = DEFAULT_KEY_FIELDS) -> bytes:
    """A 16-byte digest joining an input line and its output row: of the key, else of the normalised request."""
    if isinstance(row, Mapping):
        key = read_row_key(row, key_fields)
        if key is not None:
            material = b"k" + key.encode()
        else:
            request = json.dumps(normalise(row.get("request")), sort_keys=True, separators=(",", ":"))
            material = b"r" + request.encode()
    else:
        material = b"v" + json.dumps(row, sort_keys=True).encode()
    return hashlib.blake2b(material, digest_size=_DIGEST_BYTES).digest()


def line_identity(raw: bytes, key_fields: Sequence[str] = DEFAULT_KEY_FIELDS) -> bytes:
    """:func:`row_identity` of a raw line; a line that is not JSON is identified by its bytes."""
    try:
        row = load_json(raw)
    except ValueError:
        return hashlib.blake2b(b"x" + raw.strip(), digest_size=_DIGEST_BYTES).digest()
    return row_identity(row, key_fields)
