"""Input lines made from requests given as dicts (e.g. an upstream task's output): pure, no I/O.

A dict with a ``request`` key is taken as a whole line (with its extra keys, e.g. ``key``); any other
dict is a bare request and is wrapped as ``{"request": item}``. Each becomes compact JSON and ``\\n``,
UTF-8 as written (no ``\\u`` escapes), so that it is checked and uploaded like a line read from a file.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from airflow_batch_gemini.bounds import DEFAULT_MAX_LINE_BYTES
from airflow_batch_gemini.exceptions import GeminiBatchInputError
from airflow_batch_gemini.input.scanner import GROUP_LINES
from airflow_batch_gemini.lines import OverlongLine, bounded_blocks


def request_line(item: Any) -> bytes:
    """Serialize one request given as a dict into an input line (compact JSON and ``\\n``).

    A dict with a ``request`` key is taken as a whole line (with its extra keys, e.g. ``key``); any
    other dict is a bare request and is wrapped as ``{"request": item}``.

    :raises GeminiBatchInputError: if the value holds something JSON cannot represent.
    """
    line = item if isinstance(item, Mapping) and "request" in item else {"request": item}
    try:
        text = json.dumps(line, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as err:
        raise GeminiBatchInputError("source", [f"a request holds a value JSON cannot represent: {err}"]) from None
    return text.encode("utf-8") + b"\n"


def request_line_blocks(
    items: Iterable[Any], max_line_bytes: int = DEFAULT_MAX_LINE_BYTES
) -> Iterator[bytes | OverlongLine]:
    """Yield the :func:`request_line` of each item, joined in blocks of :data:`GROUP_LINES` lines (one group
    of the scan's first tier each); a line longer than ``max_line_bytes`` as an
    :class:`~airflow_batch_gemini.lines.OverlongLine`, as a file's would be."""
    feed = iter(items)
    while group := list(itertools.islice(feed, GROUP_LINES)):
        lines = list(map(request_line, group))
        block = b"".join(lines)
        yield from bounded_blocks(block, max_line_bytes) if max(map(len, lines)) > max_line_bytes else (block,)
