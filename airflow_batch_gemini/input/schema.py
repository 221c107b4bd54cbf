"""The request schema of one input line, in both engines: pure functions, no I/O but reading the
schema that ships in the package.

One input line is a JSON object ``{"request": {GenerateContentRequest}, ...}``. The schema ships in
the package (``airflow_batch_gemini/input/schemas/request.schema.json``, JSON Schema draft 2020-12) and can
be tightened per job with an ``extra_schema`` that must hold as well (``allOf``), e.g. to require a
``key`` on every line.

A :class:`LineValidator` holds the same schema in two engines: jsonschema-rs only says whether a line
is valid, fast; jsonschema, the reference, explains what is wrong. A differential test
(``tests/unit/test_line_checks.py``) keeps their verdicts identical.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator, Mapping
from importlib import resources
from typing import Any

import jsonschema_rs
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

REQUEST_SCHEMA_RESOURCE = "request.schema.json"


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
