"""The batch importer's own rules within one line: pure functions, no I/O.

Before a batch job runs, the service loads its whole input into a table and fails the **whole job**
(code 3, after it queued) for a line that breaks any of these rules; the JSON Schema cannot say
them. Each rule, and what it rests on:

- **Top-level keys are column names** (:func:`is_column_name`): every top-level key becomes a column,
  so it must be letters, digits and ``_``, not start with a digit, and be at most 300 characters
  long. Rests on BigQuery's column-name rules and the service's description of the input table
  (top-level keys other than ``request`` are passed through as columns).
- **No empty object anywhere** (``"googleSearch": {}``): rests on users' reports
  (googleapis/python-genai#2123: batch refuses ``{"url_context": {}}``, which online prediction
  accepts); Google documents no such rule.
- **Objects nest at most** :data:`MAX_OBJECT_DEPTH` **levels** (arrays add none): rests on BigQuery's
  limit of 15 levels of nested records; Google's batch prediction documentation does not state it,
  so it is a note (:func:`importer_notes`), not a problem.
- **A top-level key keeps its JSON type across lines**: rests on job failures (code 3) observed for
  inconsistent types; it needs every line, so :class:`~airflow_batch_gemini.input.columns.TopLevelColumns`
  checks it.

:func:`importer_problems` names every broken rule of a parsed line (the reference);
:func:`importer_accepts` answers the same question from the raw bytes first (the fast path);
:func:`importer_notes` names the undocumented ones, which warn.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from airflow_batch_gemini.input.problems import LineProblem, json_pointer

#: The importer's limits: objects nested deeper fail the job, and top-level keys become columns.
MAX_OBJECT_DEPTH = 15
_COLUMN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,299}")

#: How every message of a broken importer rule ends.
IMPORTER_REJECTS = "the batch importer fails the whole job for this"

#: An empty object in a raw line must look like this outside strings; no match means none anywhere.
_EMPTY_OBJECT_BYTES = re.compile(rb"\{[ \t\r\n]*\}")

#: Valid column names seen so far (inputs repeat their keys): a set, so a whole line is checked in C.
_KNOWN_COLUMNS: set[str] = set()
_KNOWN_COLUMNS_MAX = 4096


def is_column_name(key: str) -> bool:
    """Whether a top-level key is a valid column name for the importer."""
    if key in _KNOWN_COLUMNS:
        return True
    if _COLUMN_NAME.fullmatch(key) is None:
        return False
    if len(_KNOWN_COLUMNS) < _KNOWN_COLUMNS_MAX:
        _KNOWN_COLUMNS.add(key)
    return True


def _column_problems(record: dict[str, Any], line: int) -> Iterator[LineProblem]:
    for key in record:
        if not is_column_name(key):
            yield LineProblem(
                line, json_pointer([key]),
                "is not a valid column name (letters, digits and _, not starting with a digit, at most 300) "
                f"({IMPORTER_REJECTS})",
            )


def _children(value: Any) -> Iterable[tuple[str | int, Any]]:
    if isinstance(value, dict):
        return value.items()
    return enumerate(value) if isinstance(value, list) else ()


def _empty_objects(value: Any, path: list[str | int]) -> Iterator[list[str | int]]:
    """Yield the path of every empty object in ``value``."""
    if value == {}:
        yield path
    for key, item in _children(value):
        yield from _empty_objects(item, [*path, key])


def _first_too_deep(value: Any, path: list[str | int], depth: int = 0) -> list[str | int] | None:
    """Return the path of the first object nested deeper than :data:`MAX_OBJECT_DEPTH` (arrays add none)."""
    if isinstance(value, dict):
        depth += 1
        if depth > MAX_OBJECT_DEPTH:
            return path
    for key, item in _children(value):
        found = _first_too_deep(item, [*path, key], depth)
        if found is not None:
            return found
    return None


def importer_problems(record: dict[str, Any], line: int) -> list[LineProblem]:
    """Return what makes the service's importer reject the whole job, within one line.

    The importer loads the input into a table first and fails the job (code 3) for a top-level key
    that is not a valid column name or an empty object anywhere. Types that differ between lines are
    checked by :class:`~airflow_batch_gemini.input.columns.TopLevelColumns`.
    """
    problems = list(_column_problems(record, line))
    empty = f"is an empty object; give it a field or leave it out ({IMPORTER_REJECTS})"
    problems += [LineProblem(line, json_pointer(path), empty) for path in _empty_objects(record, [])]
    return problems


def importer_notes(record: dict[str, Any], line: int) -> list[LineProblem]:
    """Return what the importer is thought to reject but Google does not document, within one line:
    objects nested more than :data:`MAX_OBJECT_DEPTH` levels deep."""
    too_deep = _first_too_deep(record, [])
    if too_deep is None:
        return []
    deep = (
        f"nests objects more than {MAX_OBJECT_DEPTH} levels deep; BigQuery, where the importer loads the input, "
        "allows 15 levels of nested records (Google's batch documentation states no limit)"
    )
    return [LineProblem(line, json_pointer(too_deep), deep)]


def importer_notes_possible(raw: bytes) -> bool:
    """Whether :func:`importer_notes` may find something in the line ``raw`` (``False``: surely nothing)."""
    return raw.count(b"{") > MAX_OBJECT_DEPTH


def importer_accepts(raw: bytes, record: dict[str, Any]) -> bool:
    """Whether :func:`importer_problems` finds nothing in ``record``, parsed from ``raw``, cheaply.

    An empty object needs ``{}`` (whitespace allowed) in the raw line: the parsed value is walked only
    when the raw bytes hold one. Braces inside strings can only cause a walk, never a wrong answer.
    """
    if not (record.keys() <= _KNOWN_COLUMNS or all(map(is_column_name, record))):
        return False
    return _EMPTY_OBJECT_BYTES.search(raw) is None or next(_empty_objects(record, []), None) is None
