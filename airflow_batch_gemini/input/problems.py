"""What is wrong with an input line, in words a person can act on: pure functions, no I/O.

A :class:`LineProblem` names its line, a JSON pointer (RFC 6901) and a message. Messages stay short
(at most :data:`MAX_MESSAGE_CHARS`; a huge value in them is cut), and the reference engine's schema
errors (:mod:`jsonschema`) become problems in document order, an exactly-one-of rule naming its
choices.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from jsonschema.exceptions import ValidationError

from airflow_batch_gemini.fieldnames import camel_case

#: Longest message text kept for one problem; longer ones (huge values in them) are shortened.
MAX_MESSAGE_CHARS = 300


@dataclass(frozen=True)
class LineProblem:
    """One reason why an input line is not a valid batch request.

    :param line: the 1-based line number in the input.
    :param pointer: JSON pointer (RFC 6901) to the offending value; ``""`` is the whole line.
    :param message: what is wrong, in plain words.
    """

    line: int
    pointer: str
    message: str

    def __str__(self) -> str:
        where = f"{self.pointer}: " if self.pointer else ""
        return f"line {self.line:,}: {where}{self.message}"


def json_pointer(path: Any) -> str:
    """Return the RFC 6901 JSON pointer of a path given as a sequence of keys and indexes."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in path)


def shorten_message(text: str) -> str:
    """``text`` cut to at most :data:`MAX_MESSAGE_CHARS` characters, ending ``" ...)"`` when cut."""
    if len(text) <= MAX_MESSAGE_CHARS:
        return text
    return text[: MAX_MESSAGE_CHARS - 5] + " ...)"


def _one_of_choices(error: ValidationError) -> list[str]:
    """Return the field names of a ``oneOf`` rule made of single ``required`` entries, else ``[]``."""
    if error.validator != "oneOf" or not isinstance(error.validator_value, list):
        return []
    return [
        subschema["required"][0]
        for subschema in error.validator_value
        if isinstance(subschema, dict) and len(subschema.get("required", ())) == 1
    ]


def schema_error_message(error: ValidationError) -> str:
    """Return a plain message for one schema error, naming the choices of an exactly-one-of rule."""
    choices = _one_of_choices(error)
    if choices and isinstance(error.instance, dict):
        # name each choice once: "inlineData" stands for its snake_case twin "inline_data" too
        shown = [name for name in choices if "_" not in name or camel_case(name) not in choices]
        found = [name for name in choices if name in error.instance]
        return f"needs exactly one of {', '.join(shown)}; found {', '.join(found) if found else 'none'}"
    if error.validator == "pattern" and isinstance(error.schema, dict) and "description" in error.schema:
        return shorten_message(f"{error.instance!r} is not {error.schema['description']}")
    return shorten_message(error.message)


def _document_order(error: ValidationError) -> list[tuple[int, int, str]]:
    """Sort key putting errors in document order (array indexes compared as numbers)."""
    return [(0, part, "") if isinstance(part, int) else (1, 0, str(part)) for part in error.absolute_path]


def schema_problems(errors: Iterable[ValidationError], line: int) -> list[LineProblem]:
    """The problems of line ``line`` for the reference's schema ``errors``, in document order."""
    return [
        LineProblem(line, json_pointer(error.absolute_path), schema_error_message(error))
        for error in sorted(errors, key=_document_order)
    ]
