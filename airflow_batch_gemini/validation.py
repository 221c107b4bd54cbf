"""Checks of batch input lines against the request schema: pure functions, no I/O.

One input line is a JSON object ``{"request": {GenerateContentRequest}, ...}``. The schema ships in
the package (``airflow_batch_gemini/schemas/request.schema.json``, JSON Schema draft 2020-12) and can
be tightened per job with an ``extra_schema`` that must hold as well (``allOf``), e.g. to require a
``key`` on every line.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource

from airflow_batch_gemini.streams import ContentDigest

REQUEST_SCHEMA_RESOURCE = "request.schema.json"

#: The service's limits on one batch job's input (Vertex AI Gemini batch prediction quotas).
MAX_REQUESTS_PER_JOB = 200_000
MAX_INPUT_BYTES = 1_000_000_000

#: Longest message text kept for one problem; longer ones (huge values in them) are shortened.
MAX_MESSAGE_CHARS = 300

#: The importer's limits: objects nested deeper fail the job, and top-level keys become columns.
MAX_OBJECT_DEPTH = 15
_COLUMN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,299}")
_IMPORTER_REJECTS = "the batch importer fails the whole job for this"
_JSON_TYPES: tuple[tuple[str, type | tuple[type, ...]], ...] = (
    ("boolean", bool), ("number", (int, float)), ("string", str), ("object", dict), ("array", list),
)

#: Strings the service may turn into numbers when it copies a line's extra keys to its output row.
_NUMERIC_LOOKING = re.compile(r"\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*")

_UTF8_BOM = "\ufeff"


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


def load_request_schema() -> dict[str, Any]:
    """Return the packaged JSON Schema of one input line (a fresh copy the caller may change)."""
    text = resources.files("airflow_batch_gemini.schemas").joinpath(REQUEST_SCHEMA_RESOURCE).read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@functools.cache
def _base_resource() -> Resource[Any]:
    return Resource.from_contents(load_request_schema())


def build_validator(extra_schema: Mapping[str, Any] | None = None) -> Draft202012Validator:
    """Return a validator of one input line: the packaged schema, plus ``extra_schema`` if given.

    :param extra_schema: a JSON Schema (draft 2020-12) every line must satisfy as well, e.g.
        ``{"required": ["key"], "properties": {"key": {"type": "string", "pattern": "^[a-z]"}}}``.
    :raises ValueError: if ``extra_schema`` is not a valid JSON Schema.
    """
    base = _base_resource()
    if extra_schema is None:
        return Draft202012Validator(base.contents)
    try:
        Draft202012Validator.check_schema(extra_schema)
    except Exception as err:
        raise ValueError(f"extra_schema is not a valid JSON Schema (draft 2020-12): {err}") from err
    registry: Registry[Any] = Registry().with_resource(base.id() or "", base)
    combined = {"allOf": [{"$ref": base.id()}, dict(extra_schema)]}
    return Draft202012Validator(combined, registry=registry)


@functools.cache
def default_validator() -> Draft202012Validator:
    """Return the (cached) validator of the packaged schema alone."""
    return build_validator()


def json_pointer(path: Any) -> str:
    """Return the RFC 6901 JSON pointer of a path given as a sequence of keys and indexes."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in path)


def _shorten(text: str) -> str:
    if len(text) <= MAX_MESSAGE_CHARS:
        return text
    return text[: MAX_MESSAGE_CHARS - 5] + " ...)"


def _camel_case(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(word.capitalize() for word in rest)


def _one_of_choices(error: ValidationError) -> list[str]:
    """Return the field names of a ``oneOf`` rule made of single ``required`` entries, else ``[]``."""
    if error.validator != "oneOf" or not isinstance(error.validator_value, list):
        return []
    return [
        subschema["required"][0]
        for subschema in error.validator_value
        if isinstance(subschema, dict) and len(subschema.get("required", ())) == 1
    ]


def _message(error: ValidationError) -> str:
    """Return a plain message for one schema error, naming the choices of an exactly-one-of rule."""
    choices = _one_of_choices(error)
    if choices and isinstance(error.instance, dict):
        # name each choice once: "inlineData" stands for its snake_case twin "inline_data" too
        shown = [name for name in choices if "_" not in name or _camel_case(name) not in choices]
        found = [name for name in choices if name in error.instance]
        return f"needs exactly one of {', '.join(shown)}; found {', '.join(found) if found else 'none'}"
    return _shorten(error.message)


def _path_order(error: ValidationError) -> list[tuple[int, int, str]]:
    """Sort key putting errors in document order (array indexes compared as numbers)."""
    return [(0, part, "") if isinstance(part, int) else (1, 0, str(part)) for part in error.absolute_path]


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed in JSON")


def parse_line(raw: bytes | str, line: int) -> tuple[Any, list[LineProblem]]:
    """Decode and parse one input line; return ``(value, [])`` or ``(None, [problem])``.

    A trailing line break is ignored. A blank line, a byte order mark, bytes that are not UTF-8,
    text that is not JSON (``NaN`` and ``Infinity`` included) are each a problem at ``line``.
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
    try:
        return json.loads(text, parse_constant=_reject_constant), []
    except json.JSONDecodeError as err:
        return None, [LineProblem(line, "", f"is not valid JSON: {err.msg} at column {err.colno}")]
    except ValueError as err:
        return None, [LineProblem(line, "", f"is not valid JSON: {err}")]


def validate_value(value: Any, line: int, validator: Draft202012Validator | None = None) -> list[LineProblem]:
    """Check one parsed input line against the schema; return its problems, in document order.

    :param value: the parsed line.
    :param line: its 1-based line number, for the messages.
    :param validator: from :func:`build_validator`; the packaged schema alone by default.
    """
    if not isinstance(value, dict):
        kind = "array" if isinstance(value, list) else type(value).__name__
        return [LineProblem(line, "", f'must be a JSON object like {{"request": {{...}}}}, not {kind}')]
    checker = validator or default_validator()
    errors = sorted(checker.iter_errors(value), key=_path_order)
    schema_problems = [LineProblem(line, json_pointer(e.absolute_path), _message(e)) for e in errors]
    reported = {problem.pointer for problem in schema_problems}
    return schema_problems + [p for p in importer_problems(value, line) if p.pointer not in reported]


def _column_problems(record: dict[str, Any], line: int) -> Iterator[LineProblem]:
    for key in record:
        if not _COLUMN_NAME.fullmatch(key):
            yield LineProblem(
                line, json_pointer([key]),
                "is not a valid column name (letters, digits and _, not starting with a digit, at most 300) "
                f"({_IMPORTER_REJECTS})",
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
    that is not a valid column name, an empty object anywhere, or objects nested more than
    :data:`MAX_OBJECT_DEPTH` levels deep. Types that differ between lines are checked by
    :class:`TopLevelColumns`.
    """
    problems = list(_column_problems(record, line))
    empty = f"is an empty object; give it a field or leave it out ({_IMPORTER_REJECTS})"
    problems += [LineProblem(line, json_pointer(path), empty) for path in _empty_objects(record, [])]
    too_deep = _first_too_deep(record, [])
    if too_deep is not None:
        deep = f"nests objects more than {MAX_OBJECT_DEPTH} levels deep ({_IMPORTER_REJECTS})"
        problems.append(LineProblem(line, json_pointer(too_deep), deep))
    return problems


def json_type(value: Any) -> str | None:
    """Return the JSON type name of a parsed value (``None`` for null, which fits any type)."""
    if value is None:
        return None
    for kind, python_types in _JSON_TYPES:
        if isinstance(value, python_types):
            return kind
    return type(value).__name__


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
        for key, value in record.items():
            kind = json_type(value)
            if kind is None:
                continue
            first_kind, first_line = self._types.setdefault(key, (kind, line))
            if first_kind != kind:
                problems.append(LineProblem(
                    line, json_pointer([key]),
                    f"is a {kind} here but a {first_kind} on line {first_line:,}; every line must give a "
                    f"top-level key the same type ({_IMPORTER_REJECTS})",
                ))
            elif kind == "string" and _NUMERIC_LOOKING.fullmatch(value):
                first, count = self.numeric_strings.get(key, (line, 0))
                self.numeric_strings[key] = (first, count + 1)
        return problems

    def warnings(self) -> list[str]:
        """Advice about the keys holding numeric-looking strings, one line per key."""
        return [
            f"{key!r} holds numeric-looking strings on {count:,} line(s), the first on line {first:,}: the "
            "output rows may show them as numbers; prefix them with a letter to join on them safely"
            for key, (first, count) in self.numeric_strings.items()
        ]


def validate_line(
    raw: bytes | str, line: int, validator: Draft202012Validator | None = None
) -> list[LineProblem]:
    """Check one raw input line; return its problems (an empty list when the line is valid).

    :param raw: the line as read, with or without its line break.
    :param line: its 1-based line number, for the messages.
    :param validator: from :func:`build_validator`; the packaged schema alone by default.
    """
    value, problems = parse_line(raw, line)
    return problems or validate_value(value, line, validator)


def limit_problems(row_count: int, size_bytes: int) -> list[str]:
    """Return the service limits a whole input file breaks (an empty list when within limits)."""
    problems = []
    if row_count == 0:
        problems.append("the input holds no request; a batch job needs at least one line")
    if row_count > MAX_REQUESTS_PER_JOB:
        problems.append(
            f"{row_count:,} requests is more than the {MAX_REQUESTS_PER_JOB:,} a batch job accepts; "
            "split the input into several jobs"
        )
    if size_bytes > MAX_INPUT_BYTES:
        problems.append(
            f"{size_bytes:,} bytes is more than the {MAX_INPUT_BYTES:,} a batch job input file may hold; "
            "split the input into several jobs"
        )
    return problems


@dataclass
class InputScan:
    """What one pass over an input found.

    :param digest: size and checksums of the valid lines, in order, as they would be uploaded.
    :param row_count: how many lines are valid.
    :param problems: the first problems found (at most the ``max_problems`` asked for).
    :param problem_count: how many problems there are in all.
    :param invalid_lines: the numbers of the lines with at least one problem.
    :param columns: what the top-level keys hold, for :meth:`TopLevelColumns.warnings`.
    """

    digest: ContentDigest = field(default_factory=ContentDigest)
    row_count: int = 0
    problems: list[LineProblem] = field(default_factory=list)
    problem_count: int = 0
    invalid_lines: set[int] = field(default_factory=set)
    columns: TopLevelColumns = field(default_factory=TopLevelColumns)


def scan_lines(
    lines: Iterable[bytes], validator: Draft202012Validator | None = None, max_problems: int = 20
) -> InputScan:
    """Validate every line of an input, keeping the digest of the valid ones and the first problems.

    Memory holds one line at a time, the first ``max_problems`` problems and the invalid line numbers.

    :param lines: the raw lines, numbered from 1.
    :param validator: from :func:`build_validator`; the packaged schema alone by default.
    :param max_problems: how many problems to keep for the report (all are counted).
    """
    scan = InputScan()
    for number, raw in enumerate(lines, start=1):
        value, problems = parse_line(raw, number)
        if not problems:
            problems = validate_value(value, number, validator)
            if isinstance(value, dict):
                problems += scan.columns.check(value, number)
        if problems:
            scan.invalid_lines.add(number)
            scan.problem_count += len(problems)
            scan.problems.extend(problems[: max(0, max_problems - len(scan.problems))])
        else:
            scan.row_count += 1
            scan.digest.update(raw)
    return scan
