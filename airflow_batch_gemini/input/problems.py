"""What is wrong with an input line, in words a person can act on: pure functions, no I/O.

A :class:`LineProblem` names its line, a JSON pointer (RFC 6901) and a message. Messages stay short
(at most :data:`MAX_MESSAGE_CHARS`; a huge value in them is cut), and the reference engine's schema
errors (:mod:`jsonschema`) become problems in document order: a rule of the packaged schema with
its own words (``x-problem``) says them, an unknown field name or enum value names the closest
known one ("did you mean generationConfig?").
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from jsonschema.exceptions import ValidationError

from airflow_batch_gemini.fieldnames import camel_case

#: Longest message text kept for one problem; longer ones (huge values in them) are shortened.
MAX_MESSAGE_CHARS = 300
#: How similar (difflib's ratio) a known name must be to be suggested: "usr" -> "user", not "tester" -> "user".
_SIMILAR = 0.65


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


def closest(name: str, known: Iterable[str]) -> str | None:
    """The known name closest to ``name`` (case and ``_`` ignored), or ``None`` if none is close: the
    shortest one ``name`` begins (``HARM_CATEGORY_HATE`` -> ``HARM_CATEGORY_HATE_SPEECH``), else the most
    similar (``generationConfg`` -> ``generationConfig``)."""
    by_key = {camel_case(option).lower(): option for option in known if "_" not in option}
    by_key.update({camel_case(option).lower(): option for option in known if camel_case(option).lower() not in by_key})
    key = camel_case(name).lower()
    longer = sorted((option for option in by_key if option.startswith(key) and option != key), key=len)
    if key and longer:
        return by_key[longer[0]]
    found = difflib.get_close_matches(key, by_key, n=1, cutoff=_SIMILAR)
    return by_key[found[0]] if found else None


def _suggestion(name: str, known: Iterable[str]) -> str:
    match = closest(name, known)
    return f"; did you mean {match}?" if match else ""


def _unknown_fields(error: ValidationError) -> Iterator[tuple[list[Any], str]]:
    """The path and message of each unknown field of an ``additionalProperties: false`` error."""
    known = list(error.schema.get("properties", {})) if isinstance(error.schema, dict) else []
    where = error.schema.get("title", "this object") if isinstance(error.schema, dict) else "this object"
    for name in error.instance:
        if name not in known:
            message = f"is not a field of {where}{_suggestion(name, known)}"
            yield [*error.absolute_path, name], message


def schema_error_message(error: ValidationError) -> str:
    """Return a plain message for one schema error: the rule's own words if it has them."""
    schema = error.schema if isinstance(error.schema, dict) else {}
    if "x-problem" in schema:
        return str(schema["x-problem"])
    if error.validator == "enum" and isinstance(error.instance, str):
        options = [option for option in error.validator_value if isinstance(option, str)]
        return shorten_message(f"{error.instance!r} is not one of {options}") + _suggestion(error.instance, options)
    if error.validator == "pattern" and "description" in schema:
        return shorten_message(f"{error.instance!r} is not {schema['description']}")
    return shorten_message(error.message)


def _error_problems(error: ValidationError, line: int) -> Iterator[LineProblem]:
    unknown = error.validator == "additionalProperties" and error.validator_value is False
    if unknown and isinstance(error.instance, dict):
        for path, message in _unknown_fields(error):
            yield LineProblem(line, json_pointer(path), message)
        return
    yield LineProblem(line, json_pointer(error.absolute_path), schema_error_message(error))


def _document_order(error: ValidationError) -> list[tuple[int, int, str]]:
    """Sort key putting errors in document order (array indexes compared as numbers)."""
    return [(0, part, "") if isinstance(part, int) else (1, 0, str(part)) for part in error.absolute_path]


def schema_problems(errors: Iterable[ValidationError], line: int) -> list[LineProblem]:
    """The problems of line ``line`` for the reference's schema ``errors``, in document order, each once."""
    problems = (problem for error in sorted(errors, key=_document_order) for problem in _error_problems(error, line))
    return list(dict.fromkeys(problems))
