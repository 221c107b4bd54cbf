"""What is wrong with an input line, in words a person can act on: pure functions, no I/O.

A :class:`LineProblem` names its line, a JSON pointer (RFC 6901) and a message. Messages stay short
(at most :data:`MAX_MESSAGE_CHARS`; a huge value in them is cut), and the reference engine's schema
errors (:mod:`jsonschema`) become problems in document order: a rule of the packaged schema with
its own words (``x-problem``) says them, an unknown field name or enum value names the closest
known one ("did you mean generationConfig?").

A message never holds a value of the line (it may be a person's data, and logs and errors are read by
people who may not see it): it names the JSON pointer, the value's JSON type and harmless facts (a
string's length, an array's size, the allowed values, the limit), ``a string (12 characters) that is not
one of [...]``. Field names (object keys) are structure and are kept. ``show_values=True`` (the
deployment's ``[gemini_batch] show_row_values``, passed in by the operators and the CLI) shows the values
too, for debugging.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Iterator
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


#: The JSON type names of the Python values a parsed line holds, with their article.
_KINDS: dict[type, str] = {
    bool: "a boolean", int: "a number", float: "a number", str: "a string", dict: "an object", list: "an array",
    type(None): "null",
}
#: The schema's type names, as a message says what is expected.
_EXPECTED = {
    "string": "a string", "number": "a number", "integer": "an integer", "boolean": "a boolean",
    "object": "an object", "array": "an array", "null": "null",
}
#: Validators whose jsonschema message names only the schema's own field names, never a value.
_NAMES_ONLY = frozenset({"required", "dependentRequired", "additionalProperties", "unevaluatedProperties"})


def value_kind(value: Any) -> str:
    """The JSON type of ``value`` with its article (``a string``, ``an array``), never the value itself."""
    return _KINDS.get(type(value), "a value")


def _sized_kind(value: Any) -> str:
    """:func:`value_kind`, with a string's length: ``a string (12 characters)``."""
    if isinstance(value, str):
        return f"a string ({len(value):,} character{'' if len(value) == 1 else 's'})"
    return value_kind(value)


def _expected_types(types: Any) -> str:
    names = [types] if isinstance(types, str) else list(types)
    said = [_EXPECTED.get(str(name), repr(name)) for name in names]
    return said[0] if len(said) == 1 else ", ".join(said[:-1]) + " or " + said[-1]


def _sized(error: ValidationError, noun: str, than: str) -> str:
    """``a string of 12 characters, more than the maximum of 10``: the size of the value, not the value."""
    what = {"character": "a string", "item": "an array", "field": "an object"}[noun]
    size = len(error.instance) if isinstance(error.instance, (str, list, dict)) else 0
    return f"{what} of {size:,} {noun}{'' if size == 1 else 's'}, {than} of {error.validator_value:,}"


#: The redacted message of each validator whose message would hold the value: the value's kind and size,
#: the rule's limit or options (from the schema, never from the line).
_REDACTED: dict[str, Callable[[ValidationError], str]] = {
    "type": lambda e: f"{value_kind(e.instance)} where {_expected_types(e.validator_value)} is expected",
    "pattern": lambda e: f"{_sized_kind(e.instance)} that does not match {e.validator_value!r}",
    "minLength": lambda e: _sized(e, "character", "fewer than the minimum"),
    "maxLength": lambda e: _sized(e, "character", "more than the maximum"),
    "minItems": lambda e: _sized(e, "item", "fewer than the minimum"),
    "maxItems": lambda e: _sized(e, "item", "more than the maximum"),
    "minProperties": lambda e: _sized(e, "field", "fewer than the minimum"),
    "maxProperties": lambda e: _sized(e, "field", "more than the maximum"),
    "minimum": lambda e: f"{value_kind(e.instance)} below the minimum of {e.validator_value}",
    "maximum": lambda e: f"{value_kind(e.instance)} above the maximum of {e.validator_value}",
    "exclusiveMinimum": lambda e: f"{value_kind(e.instance)} that is not above {e.validator_value}",
    "exclusiveMaximum": lambda e: f"{value_kind(e.instance)} that is not below {e.validator_value}",
    "multipleOf": lambda e: f"{value_kind(e.instance)} that is not a multiple of {e.validator_value}",
    "const": lambda e: f"{_sized_kind(e.instance)} where {e.validator_value!r} is expected",
    "uniqueItems": lambda e: "an array whose items are not all different",
    "anyOf": lambda e: f"{value_kind(e.instance)} that matches none of the forms allowed here",
    "oneOf": lambda e: f"{value_kind(e.instance)} that does not match exactly one of the forms allowed here",
    "not": lambda e: f"{value_kind(e.instance)} that is not allowed here",
}


def _shown_message(error: ValidationError, schema: dict[str, Any]) -> str:
    """The message of one schema error with the value in it (``show_values``)."""
    if error.validator == "enum" and isinstance(error.instance, str):
        options = [option for option in error.validator_value if isinstance(option, str)]
        return shorten_message(f"{error.instance!r} is not one of {options}") + _suggestion(error.instance, options)
    if error.validator == "pattern" and "description" in schema:
        return shorten_message(f"{error.instance!r} is not {schema['description']}")
    return shorten_message(error.message)


def _redacted_message(error: ValidationError, schema: dict[str, Any]) -> str:
    """The message of one schema error without the value: its type, size and the rule's own words."""
    if error.validator == "enum":
        names = [option for option in error.validator_value if isinstance(option, str)]
        options = names or list(error.validator_value)  # null, which most enums allow, goes without saying
        suggestion = _suggestion(error.instance, names) if isinstance(error.instance, str) else ""
        return shorten_message(f"{_sized_kind(error.instance)} that is not one of {options}") + suggestion
    if error.validator == "pattern" and "description" in schema:
        return shorten_message(f"{_sized_kind(error.instance)} that is not {schema['description']}")
    if error.validator in _NAMES_ONLY:
        return shorten_message(error.message)
    redact = _REDACTED.get("not" if error.validator is None else str(error.validator))  # None: a false schema
    if redact is not None:
        return shorten_message(redact(error))
    return shorten_message(f"{value_kind(error.instance)} that breaks the schema's {error.validator} rule")


def schema_error_message(error: ValidationError, show_values: bool = False) -> str:
    """Return a plain message for one schema error: the rule's own words if it has them.

    :param show_values: say the offending value too (for debugging); by default only its JSON type and
        harmless facts (its length, the allowed values, the limit) are said, never the value.
    """
    schema = error.schema if isinstance(error.schema, dict) else {}
    if "x-problem" in schema:
        return str(schema["x-problem"])
    return _shown_message(error, schema) if show_values else _redacted_message(error, schema)


def _error_problems(error: ValidationError, line: int, show_values: bool) -> Iterator[LineProblem]:
    unknown = error.validator == "additionalProperties" and error.validator_value is False
    if unknown and isinstance(error.instance, dict):
        for path, message in _unknown_fields(error):
            yield LineProblem(line, json_pointer(path), message)
        return
    yield LineProblem(line, json_pointer(error.absolute_path), schema_error_message(error, show_values))


def _document_order(error: ValidationError) -> list[tuple[int, int, str]]:
    """Sort key putting errors in document order (array indexes compared as numbers)."""
    return [(0, part, "") if isinstance(part, int) else (1, 0, str(part)) for part in error.absolute_path]


def schema_problems(errors: Iterable[ValidationError], line: int, show_values: bool = False) -> list[LineProblem]:
    """The problems of line ``line`` for the reference's schema ``errors``, in document order, each once.

    :param show_values: let the messages say the offending values (:func:`schema_error_message`).
    """
    ordered = sorted(errors, key=_document_order)
    problems = (problem for error in ordered for problem in _error_problems(error, line, show_values))
    return list(dict.fromkeys(problems))
