"""Parsing one input line into a value: pure functions, no I/O.

Two parsers, one per engine. :func:`parse_fast` (orjson) gives the value or ``None``, nothing more;
:func:`parse_value_or_problem` (the standard library's ``json``, the reference) gives the value or the
one problem that stops the line being JSON at all, with the words to fix it.

Where a JSON syntax error is, is said within its line: the column counts characters from 1 (as editors
do), the byte offset follows when a character before the error takes more than one byte, and an error
at the end of the line says so (a line cut short, usually).
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

    A trailing line break (``\\n`` or ``\\r\\n``) is ignored. A blank line, a byte order mark, bytes that are
    not UTF-8, text that is not JSON (``NaN`` and ``Infinity`` included) are each a problem at ``line``; a
    syntax error says where it is in the line (:func:`syntax_error_message`).
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
    # parsed without its line break (\n or \r\n), so that an error at the end is at the end, not on a line 2
    text = text.removesuffix("\n").removesuffix("\r")
    try:
        return json.loads(text, parse_constant=_reject_constant), []
    except json.JSONDecodeError as err:
        return None, [LineProblem(line, "", f"is not valid JSON: {syntax_error_message(err.msg, text, err.pos)}")]
    except ValueError as err:
        return None, [LineProblem(line, "", f"is not valid JSON: {err}")]


def syntax_error_message(reason: str, text: str, index: int) -> str:
    """The standard library's ``reason`` for a syntax error at character ``index`` of a line (``text``,
    without its line break), with where it is: ``Expecting ',' delimiter at column 18``; ``... at column 18
    (byte 20)`` when characters before it take more than one byte in UTF-8; ``, the end of the line (is the
    line cut short?)`` added when nothing but spaces follows. A reason that ends in "at" ("Invalid control
    character at") takes no second one."""
    column = index + 1
    byte = len(text[:index].encode("utf-8", "surrogatepass")) + 1
    where = f"{reason if reason.endswith(' at') else reason + ' at'} column {column:,}"
    if byte != column:
        where += f" (byte {byte:,})"
    if not text[index:].strip(" \t\r"):
        where += ", the end of the line (is the line cut short?)"
    return where


def parse_fast(raw: bytes | str) -> Any:
    """Parse a line with orjson; ``None`` when orjson refuses it (the reference then explains why)."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
