"""Rows nested too deep to decode: what the output stage reads of them without decoding them. Pure.

A line nested deeper than :data:`~airflow_batch_gemini.bounds.MAX_JSON_DEPTH` is never given to a JSON
decoder, nor to any recursive step (the row identity, the annotation): the service's importer is said to
refuse requests nested beyond 15 levels (Google does not document it), and a decoder or a recursion would fail
on it, taking a whole split down. Such a row fails with the category ``ROW_TOO_DEEP``; to join it to its input
line, only its top level is read (:func:`top_level_members`): one iterative pass that replaces each nested object
or array by ``null``, so that the row's key (a string or a number at the top level) is still found.
"""

from __future__ import annotations

import json
import re
from typing import Any

from airflow_batch_gemini.bounds import nesting_depth, unescaped

#: A JSON string of :func:`~airflow_batch_gemini.bounds.unescaped` text (one that never closes too), or a bracket
#: (group 1).
_TOKEN = re.compile(rb'"[^"]*"?|([\[\]{}])')


def flattened(raw: bytes) -> bytes | None:
    """``raw`` with every value nested below the top level replaced by ``null``; ``None`` when its brackets do
    not balance (it is no JSON then)."""
    pieces: list[bytes] = []
    depth = 0
    kept_from = 0
    for match in _TOKEN.finditer(unescaped(raw)):  # the same length: its positions are those of raw
        token = match.group(1)
        if token is None:  # a string
            continue
        if token in (b"[", b"{"):
            depth += 1
            if depth == 2:
                pieces += (raw[kept_from : match.start()], b"null")
            continue
        depth -= 1
        if depth < 0:
            return None
        if depth == 1:
            kept_from = match.end()
    if depth != 0:
        return None
    pieces.append(raw[kept_from:])
    return b"".join(pieces)


def top_level_members(raw: bytes) -> dict[str, Any] | None:
    """The top-level members of a JSON object line, each nested object or array as ``None``; ``None`` when the
    line is no JSON object. Never recurses, whatever the depth of ``raw``."""
    flat = flattened(raw)
    if flat is None or nesting_depth(flat) > 1:
        return None
    try:
        value = json.loads(flat)  # one level deep at most: no recursion
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
