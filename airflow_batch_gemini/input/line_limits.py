"""The problems of lines over the bounds of :mod:`airflow_batch_gemini.bounds`: pure functions, no I/O.

Each problem names its line and the limit, never the line's content; each says what to change.
"""

from __future__ import annotations

from airflow_batch_gemini.bounds import MAX_JSON_DEPTH
from airflow_batch_gemini.input.problems import LineProblem
from airflow_batch_gemini.lines import OverlongLine


def overlong_problem(number: int, line: OverlongLine) -> LineProblem:
    """The problem of a line longer than the reader's limit (``max_line_bytes``)."""
    return LineProblem(number, "", f"is {line.size:,} bytes long, over the limit of {line.limit:,} bytes a line "
                                   "(max_line_bytes); split the request or raise max_line_bytes")


def depth_problem(number: int, depth: int) -> LineProblem:
    """The problem of a line nesting ``depth`` levels deep, more than
    :data:`~airflow_batch_gemini.bounds.MAX_JSON_DEPTH`."""
    return LineProblem(number, "", f"nests {depth:,} levels deep, deeper than the {MAX_JSON_DEPTH} levels any line "
                                   "may take (users report that the batch importer refuses more than 15); flatten "
                                   "the request")


def too_large_problem(number: int, size: int, max_bytes: int) -> LineProblem:
    """The problem of a line no file can hold: larger than ``max_bytes_per_file`` alone."""
    return LineProblem(number, "", f"is {size:,} bytes long as uploaded, more than a whole file may hold "
                                   f"({max_bytes:,} bytes, max_bytes_per_file); split the request or raise "
                                   "max_bytes_per_file")
