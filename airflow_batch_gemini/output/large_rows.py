"""Output rows too long to read: what the output stage knows of them without holding them. Pure.

A row longer than ``max_row_bytes`` (:data:`~airflow_batch_gemini.bounds.DEFAULT_MAX_ROW_BYTES` by default) is
never held: the reader (:func:`~airflow_batch_gemini.lines.iter_line_blocks`) gives an
:class:`~airflow_batch_gemini.lines.OverlongLine` in its place, with its size, its SHA-256 and its first
:data:`~airflow_batch_gemini.lines.HEAD_BYTES`. Such a row fails alone with the category ``ROW_TOO_LARGE``, not
retryable (its request cannot be read back to be sent again). To join it to its input line, its key is looked
for in its head (:func:`head_members`: the top-level members that end within the head) and in its last
:data:`~airflow_batch_gemini.lines.HEAD_BYTES` (:func:`end_members`: the top-level members that begin there, where
the service writes the input's own fields, after the request and the response), each nested value as ``None``;
a row whose key is in neither is identified by its SHA-256 alone (it joins no input line).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from airflow_batch_gemini.bounds import unescaped
from airflow_batch_gemini.lines import OverlongLine
from airflow_batch_gemini.output.deep_rows import top_level_members

#: A JSON string of :func:`~airflow_batch_gemini.bounds.unescaped` text (one cut short by the end too), or one
#: bracket or comma outside strings: linear, whatever the escapes.
_TOKEN = re.compile(rb'"[^"]*(?:"|\Z)|[\[\]{},]')


def head_members(head: bytes) -> dict[str, Any] | None:
    """The top-level members of a JSON object row that end within ``head`` (the row's start; the whole row when it
    is shorter), each nested value as ``None``; ``None`` when the head holds no whole member or is no object's
    start. Iterative: never recurses, one pass over ``head``."""
    depth = 0
    last_comma = -1  # where the last complete top-level member ends
    for match in _TOKEN.finditer(unescaped(head)):  # the same length: its positions are those of head
        token = match.group()
        if token in (b"[", b"{"):
            depth += 1
        elif token in (b"]", b"}"):
            depth -= 1
            if depth < 1:  # the whole row is in the head (a limit below HEAD_BYTES)
                return top_level_members(head[: match.end()]) if head.lstrip().startswith(b"{") else None
        elif token == b"," and depth == 1:
            last_comma = match.start()
    if last_comma < 0 or not head.lstrip().startswith(b"{"):
        return None
    return top_level_members(head[:last_comma] + b"}")


def end_members(end: bytes) -> dict[str, Any] | None:
    """The top-level members of a JSON object row that begin within ``end`` (the row's last bytes, its line break
    left out), each nested value as ``None``; ``None`` when none is whole there. Read backwards from the row's
    closing ``}``, where the nesting is known, in one pass; never recurses.

    The bytes before the first one that cannot be inside an escape are left out (``end`` may begin in the middle
    of one, or of a run of backslashes), so that every quote left is read right.
    """
    text = end.rstrip()
    if not text.endswith(b"}"):
        return None
    start = len(text) - len(text.lstrip(b"\\")) + 1
    neutral = unescaped(text[start:])
    depth = 0
    first_comma = None  # where the first whole top-level member found begins (just after this comma)
    for match in _TOKEN.finditer(neutral[::-1]):
        token = match.group()
        if token in (b"]", b"}"):
            depth += 1
        elif token in (b"[", b"{"):
            depth -= 1
            if depth < 1:
                break  # the row's own opening brace: the row is shorter than end (head_members has it all)
        elif token == b"," and depth == 1:
            first_comma = len(neutral) - match.end()
    if first_comma is None:
        return None
    return top_level_members(b"{" + text[start + first_comma + 1 :])


@dataclass(frozen=True)
class TooLargeRow:
    """A row longer than ``max_row_bytes``, never held: it fails as ``ROW_TOO_LARGE``.

    :param top_level: its top-level members found in its head (:func:`head_members`), ``None`` when none is.
    :param size: its length in bytes, without its line break.
    :param sha256: the SHA-256 (hex) of those bytes.
    :param limit: the ``max_row_bytes`` it is over.
    :param part: the output part (or result file) it was read from.
    :param line: its line number there (from 1).
    """

    top_level: dict[str, Any] | None
    size: int
    sha256: str
    limit: int
    part: str
    line: int

    @property
    def fingerprint(self) -> bytes:
        """A digest of its bytes, which identifies it when it has no key."""
        return bytes.fromhex(self.sha256)

    def details(self) -> dict[str, Any]:
        """What ``failed.jsonl`` tells of it (under ``row_too_large``): size, SHA-256, limit, part, line."""
        return {"size": self.size, "sha256": self.sha256, "limit": self.limit, "part": self.part, "line": self.line}


def too_large_row(line: OverlongLine, part: str, number: int) -> TooLargeRow:
    """The :class:`TooLargeRow` of the over-long line ``number`` (from 1) of ``part``: its top-level members found
    in its head and its end (those of the head first)."""
    found = {**(end_members(line.end) or {}), **(head_members(line.head) or {})}
    return TooLargeRow(found or None, line.size, line.sha256, line.limit, part, number)
