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
import re
from collections.abc import Mapping, Sequence
from typing import Any

from airflow_batch_gemini.exceptions import GeminiBatchConfigurationError
from airflow_batch_gemini.fieldnames import camel_case
from airflow_batch_gemini.lines import OverlongLine
from airflow_batch_gemini.output.large_rows import TooLargeRow, too_large_row
from airflow_batch_gemini.output.rows import OUTPUT_FIELDS, TooDeepRow, decode_line

#: Top-level fields that identify a row, tried in this order.
DEFAULT_KEY_FIELDS = ("key", "id")
_DIGEST_BYTES = 16
#: What a key field's name looks like: a letter or ``_``, then letters, digits, ``_`` or ``-``.
_FIELD_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")


def key_field_names(key_fields: str | Sequence[str]) -> tuple[str, ...]:
    """``key_fields`` as a tuple, once checked: one field name or several, each a top-level field an input line
    may carry (not one the service adds to an output row).

    :raises GeminiBatchConfigurationError: none given, a name that is no field name, or a field of the service.
    """
    names = (key_fields,) if isinstance(key_fields, str) else tuple(key_fields)
    if not names:
        raise GeminiBatchConfigurationError(
            "key_fields is empty; give the top-level field(s) that identify an input line, e.g. ('key', 'id')"
        )
    for name in names:
        if not isinstance(name, str) or not _FIELD_NAME.fullmatch(name):
            raise GeminiBatchConfigurationError(
                f"key_fields holds {name!r}, which is not a field name: give top-level field names of the input "
                "lines (a letter or '_', then letters, digits, '_' or '-'), e.g. ('key', 'id')"
            )
        if name in OUTPUT_FIELDS:
            raise GeminiBatchConfigurationError(
                f"key_fields holds {name!r}, a field the service writes in each output row, not a key an input "
                "line carries: give the field(s) your input lines identify themselves by, e.g. ('key', 'id')"
            )
    return names


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
    """A 16-byte digest joining an input line and its output row: of the key, else of the normalised request.

    A :class:`~airflow_batch_gemini.output.rows.TooDeepRow` is joined by its key, read from its top level; without
    one its request cannot be read safely, so it is identified by its own bytes: such an output row joins no input
    line (it counts as unexpected, and its input line as missing). A
    :class:`~airflow_batch_gemini.output.large_rows.TooLargeRow` likewise, by the key found in its head.
    """
    if isinstance(row, TooDeepRow | TooLargeRow):
        key = read_row_key(row.top_level, key_fields) if row.top_level is not None else None
        material = b"k" + key.encode(errors="surrogatepass") if key is not None else b"d" + row.fingerprint
    elif isinstance(row, Mapping):
        key = read_row_key(row, key_fields)
        if key is not None:
            material = b"k" + key.encode(errors="surrogatepass")
        else:
            request = json.dumps(normalise(row.get("request")), sort_keys=True, separators=(",", ":"))
            material = b"r" + request.encode()
    else:
        material = b"v" + json.dumps(row, sort_keys=True).encode()
    return hashlib.blake2b(material, digest_size=_DIGEST_BYTES).digest()


def line_identity(raw: bytes | OverlongLine, key_fields: Sequence[str] = DEFAULT_KEY_FIELDS) -> bytes:
    """:func:`row_identity` of a raw line (decoded with bounded depth); a line that is not JSON is identified by its
    bytes, an over-long one (never held) as its :class:`~airflow_batch_gemini.output.large_rows.TooLargeRow`."""
    if isinstance(raw, OverlongLine):
        return row_identity(too_large_row(raw, "", 0), key_fields)
    try:
        row = decode_line(raw)
    except ValueError:
        return hashlib.blake2b(b"x" + raw.strip(), digest_size=_DIGEST_BYTES).digest()
    return row_identity(row, key_fields)
