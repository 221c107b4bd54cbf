"""Checks of batch input lines against the request schema: pure functions, no I/O.

One input line is a JSON object ``{"request": {GenerateContentRequest}, ...}``. The schema ships in
the package (``airflow_batch_gemini/input/schemas/request.schema.json``, JSON Schema draft 2020-12) and can
be tightened per job with an ``extra_schema`` that must hold as well (``allOf``), e.g. to require a
``key`` on every line.

Two engines check the same schema. The fast path (orjson parsing, jsonschema-rs, and importer checks
that look at the raw bytes before walking anything) decides that a line is valid; a line it finds
invalid is checked again by the reference (the standard library's parser and jsonschema), which
writes the messages. A differential test keeps the two verdicts identical.
"""

from __future__ import annotations

import base64
import functools
import itertools
import json
import operator
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, TypedDict, Unpack, cast

import jsonschema_rs
import orjson
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from msgspec import UNSET

from airflow_batch_gemini.fieldnames import camel_case
from airflow_batch_gemini.input.fast_tier import DecodeRefusal, line_decoders
from airflow_batch_gemini.input.streams import LineSet, Shard, ShardPlanner, split_lines

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
#: JSON type names of the Python types the parsers give (null is left out: it fits any type).
_JSON_TYPES: dict[type, str] = {
    bool: "boolean", int: "number", float: "number", str: "string", dict: "object", list: "array",
}

#: Strings the service may turn into numbers when it copies a line's extra keys to its output row.
_NUMERIC_LOOKING = re.compile(r"\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*")

_NUMBER_STARTS = frozenset(" \t\r\n+-.0123456789")
_LAST_NUMBER_START = max(_NUMBER_STARTS)

_UTF8_BOM = "\ufeff"

#: An empty object in a raw line must look like this outside strings; no match means none anywhere.
_EMPTY_OBJECT_BYTES = re.compile(rb"\{[ \t\r\n]*\}")

#: The top-level field :func:`with_row_key` adds, which the output reconciliation joins on.
DEFAULT_ROW_KEY_FIELD = "key"


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
    text = resources.files("airflow_batch_gemini.input.schemas").joinpath(REQUEST_SCHEMA_RESOURCE).read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def line_schema(extra_schema: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Return the schema of one input line: the packaged one, and ``extra_schema`` too (``allOf``) if given.

    :raises ValueError: if ``extra_schema`` is not a valid JSON Schema (draft 2020-12).
    """
    base = load_request_schema()
    if extra_schema is None:
        return base
    try:
        Draft202012Validator.check_schema(extra_schema)
    except Exception as err:
        raise ValueError(f"extra_schema is not a valid JSON Schema (draft 2020-12): {err}") from err
    return {"$schema": base["$schema"], "allOf": [base, dict(extra_schema)]}


class LineValidator:
    """The schema of one input line in both engines: jsonschema-rs answers valid or not, fast;
    jsonschema, the reference, explains what is wrong.

    :param schema: from :func:`line_schema`.
    :param packaged: ``schema`` is the packaged schema alone (no ``extra_schema``), which the Structs of
        :mod:`~airflow_batch_gemini.input.fast_tier` describe a subset of: they may then decide first.
    """

    def __init__(self, schema: dict[str, Any], packaged: bool = False) -> None:
        self.packaged = packaged
        self.reference = Draft202012Validator(schema)
        try:
            fast = jsonschema_rs.validator_for(schema)
        except ValueError:
            # a pattern only Python's re understands (e.g. \Z in an extra_schema): the reference decides alone
            self.is_valid: Callable[[Any], bool] = self.reference.is_valid
        else:
            self.is_valid = fast.is_valid

    def iter_errors(self, value: Any) -> Iterator[ValidationError]:
        """The reference's errors for a parsed line."""
        return self.reference.iter_errors(value)


def build_validator(extra_schema: Mapping[str, Any] | None = None) -> LineValidator:
    """Return a validator of one input line: the packaged schema, plus ``extra_schema`` if given.

    :param extra_schema: a JSON Schema (draft 2020-12) every line must satisfy as well, e.g.
        ``{"required": ["key"], "properties": {"key": {"type": "string", "pattern": "^[a-z]"}}}``.
    :raises ValueError: if ``extra_schema`` is not a valid JSON Schema.
    """
    return LineValidator(line_schema(extra_schema), packaged=extra_schema is None)


@functools.cache
def default_validator() -> LineValidator:
    """Return the (cached) validator of the packaged schema alone."""
    return build_validator()


def json_pointer(path: Any) -> str:
    """Return the RFC 6901 JSON pointer of a path given as a sequence of keys and indexes."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in path)


def _shorten(text: str) -> str:
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


def _message(error: ValidationError) -> str:
    """Return a plain message for one schema error, naming the choices of an exactly-one-of rule."""
    choices = _one_of_choices(error)
    if choices and isinstance(error.instance, dict):
        # name each choice once: "inlineData" stands for its snake_case twin "inline_data" too
        shown = [name for name in choices if "_" not in name or camel_case(name) not in choices]
        found = [name for name in choices if name in error.instance]
        return f"needs exactly one of {', '.join(shown)}; found {', '.join(found) if found else 'none'}"
    if error.validator == "pattern" and isinstance(error.schema, dict) and "description" in error.schema:
        return _shorten(f"{error.instance!r} is not {error.schema['description']}")
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


def validate_value(value: Any, line: int, validator: LineValidator | None = None) -> list[LineProblem]:
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


def check_row_key_field(name: str) -> None:
    """Refuse a row key field that is no valid column name (the importer would fail the job).

    :raises ValueError: ``name`` is not a valid column name.
    """
    if not is_column_name(name):
        raise ValueError(f"row_key_field must be a valid column name (letters, digits, _), not {name!r}")


def _column_problems(record: dict[str, Any], line: int) -> Iterator[LineProblem]:
    for key in record:
        if not is_column_name(key):
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


def importer_accepts(raw: bytes, record: dict[str, Any]) -> bool:
    """Whether :func:`importer_problems` finds nothing in ``record``, parsed from ``raw``, cheaply.

    Objects nested more than :data:`MAX_OBJECT_DEPTH` deep need that many ``{`` in the raw line, and an
    empty object needs ``{}`` (whitespace allowed) in it: the parsed value is walked only when the raw
    bytes allow either. Braces inside strings can only cause a walk, never a wrong answer.
    """
    if not (record.keys() <= _KNOWN_COLUMNS or all(map(is_column_name, record))):
        return False
    if raw.count(b"{") > MAX_OBJECT_DEPTH and _first_too_deep(record, []) is not None:
        return False
    return _EMPTY_OBJECT_BYTES.search(raw) is None or next(_empty_objects(record, []), None) is None


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
                    f"is a {kind} here but a {seen[0]} on line {seen[1]:,}; every line must give a "
                    f"top-level key the same type ({_IMPORTER_REJECTS})",
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


def validate_line(
    raw: bytes | str, line: int, validator: LineValidator | None = None
) -> list[LineProblem]:
    """Check one raw input line; return its problems (an empty list when the line is valid).

    :param raw: the line as read, with or without its line break.
    :param line: its 1-based line number, for the messages.
    :param validator: from :func:`build_validator`; the packaged schema alone by default.
    """
    value, problems = parse_line(raw, line)
    return problems or validate_value(value, line, validator)


def parse_fast(raw: bytes | str) -> Any:
    """Parse a line with orjson; ``None`` when orjson refuses it (the reference then explains why)."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None


def passes_fast(raw: bytes, value: Any, validator: LineValidator) -> bool:
    """The fast path's verdict on one line without the cross-line type check: ``True`` means valid.

    :param raw: the line as read.
    :param value: ``parse_fast(raw)``.
    :param validator: from :func:`build_validator`.
    """
    return type(value) is dict and validator.is_valid(value) and importer_accepts(raw, value)


def with_row_key(raw: bytes, value: Any, line: int, key_field: str) -> bytes:
    """Give a line that has no ``key_field`` a stable row key, :func:`row_key` of its line number.

    The key goes first in the line; the rest of its bytes are kept. ``value`` (``parse_fast(raw)``) gets
    the key too. A line that is not a non-empty object is returned unchanged (it is invalid anyway).

    :param key_field: a valid column name (so it needs no escaping in JSON).
    """
    if type(value) is not dict or not value or key_field in value:
        return raw
    value[key_field] = row_key(line)
    return keyed_line(raw, key_field, value[key_field])


def row_key(line: int) -> str:
    """The row key given to input line ``line``: ``r`` and its 8-digit number (``r00001204``)."""
    return f"r{line:08d}"


def keyed_line(raw: bytes, key_field: str, key: str) -> bytes:
    """``raw``, a non-empty JSON object, with ``"key_field": "key"`` first (both need no escaping)."""
    return b'{"%s":"%s",' % (key_field.encode(), key.encode()) + raw.lstrip()[1:]


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


NO_REQUEST = "the input holds no request (no valid line); a batch job needs at least one"


@dataclass
class InputScan:
    """What one pass over an input found.

    :param shards: the input files to upload, each within the service's limits: the line numbers they
        span, their row counts and digests (as uploaded, row keys included).
    :param line_count: how many lines were read.
    :param problems: the first problems found (at most the ``max_problems`` asked for).
    :param problem_count: how many problems there are in all.
    :param invalid_lines: the numbers of the lines with at least one problem.
    :param columns: what the top-level keys hold, for :meth:`TopLevelColumns.warnings`.
    """

    shards: list[Shard] = field(default_factory=list)
    line_count: int = 0
    problems: list[LineProblem] = field(default_factory=list)
    problem_count: int = 0
    invalid_lines: LineSet = field(default_factory=LineSet)
    columns: TopLevelColumns = field(default_factory=TopLevelColumns)

    @property
    def row_count(self) -> int:
        """How many lines are valid (and would be uploaded)."""
        return sum(shard.row_count for shard in self.shards)

    @property
    def size_bytes(self) -> int:
        """How many bytes would be uploaded."""
        return sum(shard.digest.size for shard in self.shards)


def line_problems(raw: bytes, line: int, validator: LineValidator, columns: TopLevelColumns) -> list[LineProblem]:
    """The reference's problems of one line, the cross-line type check included (recorded in ``columns``)."""
    value, problems = parse_line(raw, line)
    if problems:
        return problems
    return validate_value(value, line, validator) + (columns.check(value, line) if isinstance(value, dict) else [])


#: Lines checked together by the first tier: one refused line sends its group to the line-by-line tiers.
GROUP_LINES = 256


class _InputScanner:
    """One pass over an input: the state of :func:`scan_blocks` (the parameters are documented there)."""

    def __init__(
        self,
        validator: LineValidator | None,
        max_problems: int,
        *,
        row_key_field: str | None = None,
        max_rows_per_file: int = MAX_REQUESTS_PER_JOB,
        max_bytes_per_file: int = MAX_INPUT_BYTES,
        digest: bool = False,
        on_reject: Callable[[bytes], object] | None = None,
        on_rows: Callable[[int, bytes], object] | None = None,
    ) -> None:
        if row_key_field is not None:
            check_row_key_field(row_key_field)
        self.validator = validator = validator or default_validator()
        self.max_problems = max_problems
        self.row_key_field = row_key_field
        self.planner = ShardPlanner(max_rows_per_file, max_bytes_per_file, digest=digest)
        self.on_reject = on_reject
        self.on_rows = on_rows
        self.scan = InputScan()
        self.number = 0  # the number of the last line read
        key_fields = tuple(dict.fromkeys(name for name in (DEFAULT_ROW_KEY_FIELD, row_key_field) if name is not None))
        self.key_fields = key_fields
        self.decoders = [decoder.decode for decoder in line_decoders(key_fields)] if validator.packaged else []
        self.keys_of = operator.attrgetter(*key_fields)

    def block(self, block: bytes) -> None:
        """Check a block of whole lines (the last line of the input may lack its line break)."""
        lines = split_lines(block)
        if len(lines) <= GROUP_LINES:
            self.group(lines, block)
            return
        for start in range(0, len(lines), GROUP_LINES):
            self.group(lines[start : start + GROUP_LINES])

    def group(self, lines: list[bytes], data: bytes | None = None) -> None:
        """Check consecutive lines (``data``: the same joined, if at hand)."""
        first = self.number + 1
        self.number += len(lines)
        if not self._group_fast(first, lines, data):
            for number, raw in enumerate(lines, start=first):
                self._line(number, raw)

    def _group_keys(self, lines: list[bytes]) -> list[Any] | None:
        """The first tier's verdict on a group: the key fields of each line (``None``: a line is refused).

        The decoders are tried in order (text parts only, then every kind of part)."""
        keys_of = self.keys_of
        for decode in self.decoders:
            try:
                return [keys_of(decode(raw)) for raw in lines]
            except DecodeRefusal:
                continue
        return None

    def _group_fast(self, first: int, lines: list[bytes], data: bytes | None) -> bool:
        """The first tier: every line of the group decoded into the Structs (which refuse empty objects
        too), the top-level keys' types unchanged. Adds the group and returns ``True``, or returns
        ``False`` having changed nothing."""
        keys = self._group_keys(lines)
        columns = self.scan.columns
        if keys is None or not columns.holds("request", "object") or not all(
            columns.holds(name, "string") for name in self.key_fields
        ):
            return False
        by_field: list[list[Any]] = [keys] if len(self.key_fields) == 1 else [list(v) for v in zip(*keys, strict=True)]
        field = self.row_key_field
        if field is not None:
            given = by_field[self.key_fields.index(field)]
            missing = [offset for offset, value in enumerate(given) if value is UNSET]
            if missing:
                lines, data = list(lines), None
            for offset in missing:
                key = given[offset] = row_key(first + offset)
                lines[offset] = keyed_line(lines[offset], field, key)
        columns.record_object("request", first)
        for name, values in zip(self.key_fields, by_field, strict=True):
            columns.record_strings(name, values, first)
        self._accept_group(first, lines, data)
        return True

    def _accept_group(self, first: int, lines: list[bytes], data: bytes | None) -> None:
        planner = self.planner
        if data is None and (planner.digest or self.on_rows is not None):
            data = b"".join(lines)
        size = len(data) if data is not None else sum(map(len, lines))
        if planner.add_block(first, len(lines), size, data):
            if self.on_rows is not None:
                self.on_rows(planner.index, cast("bytes", data))
            return
        for number, raw in enumerate(lines, start=first):
            self._accept(number, raw)

    def _accept(self, number: int, line: bytes) -> None:
        self.planner.add(number, line)
        if self.on_rows is not None:
            self.on_rows(self.planner.index, line)

    def _line(self, number: int, raw: bytes) -> None:
        """The second tier (orjson, jsonschema-rs, importer checks), then the reference for the messages."""
        value = parse_fast(raw)
        field = self.row_key_field
        line = raw
        if field is not None:
            # a line only the reference parses (a lone surrogate escape, say) may be valid: it needs its key too
            line = with_row_key(raw, value if value is not None else parse_line(raw, number)[0], number, field)
        if passes_fast(line, value, self.validator):
            problems = self.scan.columns.check(value, number)
        else:
            problems = line_problems(line, number, self.validator, self.scan.columns)
        if not problems:
            self._accept(number, line)
            return
        scan = self.scan
        scan.invalid_lines.add(number)
        scan.problem_count += len(problems)
        scan.problems.extend(problems[: max(0, self.max_problems - len(scan.problems))])
        if self.on_reject is not None:
            self.on_reject(reject_record(raw, problems))

    def finish(self) -> InputScan:
        self.scan.line_count = self.number
        self.scan.shards = self.planner.finish()
        return self.scan


class ScanOptions(TypedDict, total=False):
    """The keyword options of :func:`scan_blocks` and :func:`scan_lines` (documented there)."""

    row_key_field: str | None
    max_rows_per_file: int
    max_bytes_per_file: int
    digest: bool
    on_reject: Callable[[bytes], object] | None
    on_rows: Callable[[int, bytes], object] | None


def scan_blocks(
    blocks: Iterable[bytes], validator: LineValidator | None = None, max_problems: int = 20,
    **options: Unpack[ScanOptions],
) -> InputScan:
    """Validate every line of an input and plan its upload as files within the service's limits.

    Memory holds one block at a time, the first ``max_problems`` problems, one bit per line and one
    digest per planned file. Three tiers decide: the Structs of
    :mod:`~airflow_batch_gemini.input.fast_tier` accept groups of :data:`GROUP_LINES` lines of the common
    shape (packaged schema only); the lines of any other group go one by one through orjson,
    jsonschema-rs and the importer checks; the reference (jsonschema) explains the lines found invalid.

    :param blocks: the input as blocks of whole lines (:func:`~airflow_batch_gemini.input.streams.iter_line_blocks`),
        lines numbered from 1; only the input's last line may lack its line break.
    :param validator: from :func:`build_validator`; the packaged schema alone by default.
    :param max_problems: how many problems to keep for the report (all are counted).
    :param row_key_field: give every line without this top-level field a row key (:func:`with_row_key`).
    :param max_rows_per_file: at most this many lines per planned file (default: the service's limit).
    :param max_bytes_per_file: at most this many bytes per planned file (default: the service's limit).
    :param digest: compute each planned file's CRC32C and MD5 (its size is always counted); default no.
    :param on_reject: called with the :func:`reject_record` of every invalid line, in order.
    :param on_rows: called with the index of a planned file and the next valid lines of it, row keys
        included (the bytes to upload), in order; the files are filled one after the other.
    :raises ValueError: ``row_key_field`` is not a valid column name.
    """
    scanner = _InputScanner(validator, max_problems, **options)
    for block in blocks:
        if block:
            scanner.block(block)
    return scanner.finish()


def scan_lines(
    lines: Iterable[bytes], validator: LineValidator | None = None, max_problems: int = 20,
    **options: Unpack[ScanOptions],
) -> InputScan:
    """:func:`scan_blocks` on an input given line by line, each line with its line break (the last may lack it)."""
    scanner = _InputScanner(validator, max_problems, **options)
    feed = iter(lines)
    while group := list(itertools.islice(feed, GROUP_LINES)):
        scanner.group(group)
    return scanner.finish()
