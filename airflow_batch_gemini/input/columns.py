"""The top-level keys of an input across its lines, which the batch importer turns into table columns:
pure, no I/O.

A key's JSON type must be the same on every line (``"key": 7`` on one line and ``"key": "a7"`` on
another fails the whole job, code 3, as observed: Google documents no such rule, but a job fails, so it
is an error; ``null`` fits any type), the one importer rule that needs more than one line (the others
are in :mod:`~airflow_batch_gemini.input.importer_rules`). Keys holding numeric-looking strings are
noted too: the service may turn them into numbers in the output rows.
"""

from __future__ import annotations

import re
from typing import Any

from msgspec import UNSET

from airflow_batch_gemini.input.importer_rules import COLUMN_TYPE_EVIDENCE, importer_rejects
from airflow_batch_gemini.input.problems import LineProblem, json_pointer

#: JSON type names of the Python types the parsers give (null is left out: it fits any type).
_JSON_TYPES: dict[type, str] = {
    bool: "boolean", int: "number", float: "number", str: "string", dict: "object", list: "array",
}

#: Strings the service may turn into numbers when it copies a line's extra keys to its output row.
_NUMERIC_LOOKING = re.compile(r"\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*")

_NUMBER_STARTS = frozenset(" \t\r\n+-.0123456789")
_LAST_NUMBER_START = max(_NUMBER_STARTS)


class TopLevelColumns:
    """Follows the top-level keys of an input's lines, which the importer turns into table columns.

    Catches a key whose JSON type changes between lines (``"key": 7`` on one line and ``"key": "a7"``
    on another fails the whole job), and notes keys holding numeric-looking strings, which the service
    may turn into numbers in the output rows. Memory holds one entry per distinct top-level key.
    """

    def __init__(self) -> None:
        self._types: dict[str, tuple[str, int]] = {}
        #: top-level key -> (first line, number of lines) where it holds a numeric-looking string
        self.numeric_strings: dict[str, tuple[int, int]] = {}

    def check(self, record: dict[str, Any], line: int) -> list[LineProblem]:
        """Record ``record``'s top-level keys; return a problem for each whose type changed."""
        problems = []
        types = self._types
        for key, value in record.items():
            kind = _JSON_TYPES.get(type(value))
            if kind is None:  # null fits any type
                continue
            seen = types.get(key)
            if seen is None:
                types[key] = (kind, line)
            elif seen[0] != kind:
                problems.append(LineProblem(
                    line, json_pointer([key]),
                    f"is a {kind} here but a {seen[0]} on line {seen[1]:,}; give a top-level key the same type "
                    f"on every line, or null {importer_rejects(COLUMN_TYPE_EVIDENCE)}",
                ))
                continue
            if kind == "string" and value[:1] in _NUMBER_STARTS and _NUMERIC_LOOKING.fullmatch(value):
                first, count = self.numeric_strings.get(key, (line, 0))
                self.numeric_strings[key] = (first, count + 1)
        return problems

    def holds(self, key: str, kind: str) -> bool:
        """Whether the top-level ``key`` may hold a ``kind`` (JSON type name): it held nothing else before."""
        seen = self._types.get(key)
        return seen is None or seen[0] == kind

    def record_strings(self, key: str, values: list[Any], first: int) -> None:
        """Record the top-level ``key`` holding string ``values`` (:data:`msgspec.UNSET` where a line has
        none) on consecutive lines from ``first``; :meth:`holds` must have allowed strings."""
        if key not in self._types:
            given = next((offset for offset, value in enumerate(values) if value is not UNSET), None)
            if given is None:
                return
            self._types[key] = ("string", first + given)
        strings = [value for value in values if value is not UNSET] if UNSET in values else values
        if not strings or min(strings)[:1] > _LAST_NUMBER_START:
            return  # every value starts with a character after all those a number can start with
        for offset, value in enumerate(values):
            if value is not UNSET and value[:1] in _NUMBER_STARTS and _NUMERIC_LOOKING.fullmatch(value):
                line, count = self.numeric_strings.get(key, (first + offset, 0))
                self.numeric_strings[key] = (line, count + 1)

    def record_object(self, key: str, line: int) -> None:
        """Record the top-level ``key`` holding an object on ``line``; :meth:`holds` must have allowed it."""
        self._types.setdefault(key, ("object", line))

    def warnings(self) -> list[str]:
        """Advice about the keys holding numeric-looking strings, one line per key."""
        return [
            f"{key!r} holds numeric-looking strings on {count:,} line(s), the first on line {first:,}: the "
            "output rows may show them as numbers; prefix them with a letter to join on them safely"
            for key, (first, count) in self.numeric_strings.items()
        ]
