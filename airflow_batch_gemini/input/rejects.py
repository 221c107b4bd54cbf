"""The records of the rejects file, one per invalid input line: pure functions, no I/O.

A record holds the line number, every problem (JSON pointer and message), the problems as one text,
and the original line as written: as text (``original``) when it is UTF-8, else as base64
(``original_base64``), so that nothing of what the user wrote is lost or changed.
"""

from __future__ import annotations

import base64
from typing import Any

import orjson

from airflow_batch_gemini.input.problems import LineProblem


def reject_record(raw: bytes, problems: list[LineProblem]) -> bytes:
    """One line of a rejects file: the line number, every problem, and the original line.

    The original is kept as text (``original``) when it is UTF-8, else as base64 (``original_base64``).
    """
    record: dict[str, Any] = {
        "line": problems[0].line,
        "problems": [{"pointer": problem.pointer, "message": problem.message} for problem in problems],
        "error": "; ".join(str(problem) for problem in problems),
    }
    try:
        record["original"] = raw.decode("utf-8").rstrip("\r\n")
    except UnicodeDecodeError:
        record["original_base64"] = base64.b64encode(raw.rstrip(b"\r\n")).decode("ascii")
    return orjson.dumps(record) + b"\n"
