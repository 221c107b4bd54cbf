"""Opt-in repair of the empty tools that have a known workaround in batch: pure functions, no I/O.

The batch importer fails the whole job for an empty object (googleapis/python-genai#2123), and some tools
are written ``{}`` when none of their optional fields is wanted. For the tools of
:data:`~airflow_batch_gemini.input.importer_rules.EMPTY_TOOLS` with a ``repair`` (today ``googleSearch``, in
either spelling), :func:`repair_line` rewrites ``"googleSearch": {}`` under ``request.tools[N]`` into
``"googleSearch": {"excludeDomains": null}``: the same request (proto3 JSON reads ``null`` as the default),
which the importer loads. The rest of the line's bytes are unchanged.

Only the tool's own ``{}`` is rewritten: a line where the same key also holds ``{}`` elsewhere (inside
function arguments, say), that nests deeper than :data:`~airflow_batch_gemini.bounds.MAX_JSON_DEPTH`, or that
the fast parser cannot read, is left as it is, and validation reports it.
:class:`EmptyToolRepairs` repairs an input given as blocks of whole lines and counts what it changed, so
that a caller can apply it to the bytes before they are validated, digested and uploaded.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from airflow_batch_gemini.bounds import nesting_depth_over
from airflow_batch_gemini.input.importer_rules import EMPTY_TOOLS, empty_object_paths, empty_tool_at
from airflow_batch_gemini.input.parsing import parse_fast
from airflow_batch_gemini.input.problems import json_pointer
from airflow_batch_gemini.lines import OverlongLine, split_lines

#: The spellings of the tools that have a repair, longest first (so the pattern prefers them).
REPAIRABLE_TOOLS = tuple(sorted((name for name, tool in EMPTY_TOOLS.items() if tool.repair), key=len, reverse=True))
_NEEDLES = tuple(f'"{name}"'.encode() for name in REPAIRABLE_TOOLS)
#: A repairable tool's key and its empty object; JSON whitespace only.
_TOOL_NAMES = b"|".join(re.escape(name.encode()) for name in REPAIRABLE_TOOLS)
_EMPTY_TOOL = re.compile(rb'"(' + _TOOL_NAMES + rb')"([ \t\r\n]*:[ \t\r\n]*)\{[ \t\r\n]*\}')


@dataclass(frozen=True)
class ToolRepair:
    """One empty tool rewritten.

    :param line: the 1-based line number in the input.
    :param pointer: JSON pointer (RFC 6901) to the tool, e.g. ``/request/tools/0/googleSearch``.
    :param replacement: the JSON text written instead of ``{}``.
    """

    line: int
    pointer: str
    replacement: str

    def __str__(self) -> str:
        return f"line {self.line:,}: {self.pointer}: {{}} -> {self.replacement}"


def repair_line(raw: bytes, line: int = 1) -> tuple[bytes, list[ToolRepair]]:
    """Rewrite the repairable empty tools of one raw input line.

    :param raw: the line as read, with or without its line break.
    :param line: its 1-based line number, for the repairs.
    :returns: the line (``raw`` itself when nothing changed) and what changed, in document order.
    """
    if not any(needle in raw for needle in _NEEDLES) or nesting_depth_over(raw):  # too deep: validation says so
        return raw, []
    found = list(_EMPTY_TOOL.finditer(raw))
    value = parse_fast(raw) if found else None
    if type(value) is not dict:
        return raw, []
    empties = [path for path in empty_object_paths(value, []) if path and str(path[-1]) in REPAIRABLE_TOOLS]
    tools = [path for path in empties if empty_tool_at(path) is not None]
    if not tools or len(tools) != len(empties) or len(empties) != len(found):
        return raw, []  # the key holds {} outside the tools too, or the bytes and the value disagree
    repairs: list[ToolRepair] = []
    pieces: list[bytes] = []
    start = 0
    if any(match.group(1).decode() != str(path[-1]) for path, match in zip(tools, found, strict=True)):
        return raw, []
    for path, match in zip(tools, found, strict=True):
        text = EMPTY_TOOLS[str(path[-1])].repair_text(str(path[-1])) or "{}"
        pieces += [raw[start : match.start()], b'"', match.group(1), b'"', match.group(2), text.encode()]
        start = match.end()
        repairs.append(ToolRepair(line, json_pointer(path), text))
    pieces.append(raw[start:])
    return b"".join(pieces), repairs


def _line_count(block: bytes) -> int:
    """How many lines :func:`~airflow_batch_gemini.lines.split_lines` finds in ``block``."""
    return block.count(b"\n") + (not block.endswith(b"\n")) if block else 0


@dataclass
class EmptyToolRepairs:
    """Repairs an input block by block with :func:`repair_line` and counts what it changed.

    :param max_kept: how many repairs to keep for a report (all are counted).
    """

    max_kept: int = 20
    #: How many lines were changed.
    line_count: int = 0
    #: How many tools were rewritten.
    repair_count: int = 0
    #: The first :attr:`max_kept` repairs.
    repairs: list[ToolRepair] = field(default_factory=list)
    _number: int = 0

    def block(self, block: bytes) -> bytes:
        """A block of whole lines (numbered on from the last block), repaired."""
        if not any(needle in block for needle in _NEEDLES):
            self._number += _line_count(block)
            return block
        out = []
        for raw in split_lines(block):
            self._number += 1
            repaired, done = repair_line(raw, self._number)
            if done:
                self.line_count += 1
                self.repair_count += len(done)
                self.repairs.extend(done[: max(0, self.max_kept - len(self.repairs))])
            out.append(repaired)
        return b"".join(out)

    def blocks(self, blocks: Iterable[bytes | OverlongLine]) -> Iterator[bytes | OverlongLine]:
        """Yield ``blocks`` of whole lines (lines numbered from 1), each repaired; an
        :class:`~airflow_batch_gemini.lines.OverlongLine` (one line, never held) passes as it is."""
        for block in blocks:
            if isinstance(block, OverlongLine):
                self._number += 1
                yield block
            else:
                yield self.block(block)
