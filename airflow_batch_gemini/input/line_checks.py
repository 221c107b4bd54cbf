"""The verdict on one input line, in two engines: pure functions, no I/O.

The fast path (:func:`~airflow_batch_gemini.input.parsing.parse_fast`, jsonschema-rs, and importer
checks that look at the raw bytes before walking anything, :func:`passes_fast`) decides that a line is
valid; a line it finds invalid is checked again by the reference (the standard library's parser and
jsonschema, :func:`validate_line`), which writes the messages. A faster engine may only say "valid",
never "invalid"; ``tests/unit/test_line_checks.py`` keeps the two verdicts identical.

A valid line may draw notes (:func:`line_notes`): a field only v1beta1 knows, a limit Google does not
document. :func:`clean_fast` says "valid, no note" in one fast check.
"""

from __future__ import annotations

from typing import Any

from airflow_batch_gemini.input.columns import TopLevelColumns
from airflow_batch_gemini.input.importer_rules import (
    importer_accepts,
    importer_notes,
    importer_notes_possible,
    importer_problems,
)
from airflow_batch_gemini.input.parsing import parse_value_or_problem
from airflow_batch_gemini.input.problems import LineProblem, schema_problems
from airflow_batch_gemini.input.schema import LineValidator, default_validator


def validate_value(value: Any, line: int, validator: LineValidator | None = None) -> list[LineProblem]:
    """Check one parsed input line against the schema; return its problems, in document order.

    :param value: the parsed line.
    :param line: its 1-based line number, for the messages.
    :param validator: from :func:`~airflow_batch_gemini.input.schema.build_validator`; the packaged schema
        alone by default. Its ``show_values`` says whether the messages may hold the offending values.
    """
    if not isinstance(value, dict):
        kind = "array" if isinstance(value, list) else type(value).__name__
        return [LineProblem(line, "", f'must be a JSON object like {{"request": {{...}}}}, not {kind}')]
    checker = validator or default_validator()
    problems = schema_problems(checker.iter_errors(value), line, checker.show_values)
    reported = {problem.pointer for problem in problems}
    return problems + [p for p in importer_problems(value, line) if p.pointer not in reported]


def validate_line(
    raw: bytes | str, line: int, validator: LineValidator | None = None
) -> list[LineProblem]:
    """Check one raw input line; return its problems (an empty list when the line is valid).

    :param raw: the line as read, with or without its line break.
    :param line: its 1-based line number, for the messages.
    :param validator: from :func:`~airflow_batch_gemini.input.schema.build_validator`; the packaged schema
        alone by default.
    """
    value, problems = parse_value_or_problem(raw, line)
    return problems or validate_value(value, line, validator)


def line_problems(raw: bytes, line: int, validator: LineValidator, columns: TopLevelColumns) -> list[LineProblem]:
    """The reference's problems of one line, the cross-line type check included (recorded in ``columns``)."""
    value, problems = parse_value_or_problem(raw, line)
    if problems:
        return problems
    return validate_value(value, line, validator) + (columns.check(value, line) if isinstance(value, dict) else [])


def passes_fast(raw: bytes, value: Any, validator: LineValidator) -> bool:
    """The fast path's verdict on one line without the cross-line type check: ``True`` means valid.

    :param raw: the line as read.
    :param value: ``parse_fast(raw)``.
    :param validator: from :func:`~airflow_batch_gemini.input.schema.build_validator`.
    """
    return type(value) is dict and validator.is_valid(value) and importer_accepts(raw, value)


def clean_fast(raw: bytes, value: Any, validator: LineValidator) -> bool:
    """Whether a line is valid and draws no note, by the fast path (``False``: ask :func:`passes_fast`).

    :param raw: the line as read.
    :param value: ``parse_fast(raw)``.
    :param validator: from :func:`~airflow_batch_gemini.input.schema.build_validator`.
    """
    return (
        type(value) is dict and validator.has_no_notes(value) and importer_accepts(raw, value)
        and not importer_notes_possible(raw)
    )


def line_notes(value: dict[str, Any], line: int, validator: LineValidator) -> list[LineProblem]:
    """The notes of one valid parsed line: what its schema's notes variant and the importer's
    undocumented rules find, in document order."""
    return schema_problems(validator.iter_notes(value), line, validator.show_values) + importer_notes(value, line)
