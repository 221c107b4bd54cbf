"""Which requests a row refuses with 400 INVALID_ARGUMENT, and in what words (pure).

A row's ``request`` is judged by the provider's own request schema
(:func:`airflow_batch_gemini.input.schema.default_validator`, generated from Google's discovery
documents), so a row fails for what the provider's schema refuses, not a copy of it. jsonschema-rs decides
first (:attr:`~airflow_batch_gemini.input.schema.LineValidator.is_valid`); only a refused request is
explained, by the reference engine. Notes (v1beta1-only fields, undocumented limits) refuse nothing,
and the importer's rules (empty objects, depth, column names, cross-line types) fail the whole job
before any row is judged (:mod:`.inputs`).

The words follow the service. What its JSON parser refuses (an unknown field name, a wrong type, a
value outside an enum, ...) reads ``Invalid JSON payload received. Unknown name "x" at 'path':
Cannot find field.`` or ``Invalid value at 'path': what is wrong``, one line per error, with the
path in the service's dotted style (``contents[0].parts[0].inline_data``, proto field names) and
the provider's problem text after it. What parses but the model refuses keeps the model's own
words: a role other than user/model, empty ``contents`` or ``parts`` (in proto3 an absent list is
an empty one), ``maxOutputTokens`` outside the model's range.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable
from typing import Any

from jsonschema.exceptions import ValidationError

from airflow_batch_gemini.fieldnames import snake_case
from airflow_batch_gemini.input.problems import schema_error_message
from airflow_batch_gemini.input.schema import default_validator

ROLE_MESSAGE = "Please use a valid role: user, model."
EMPTY_CONTENTS_MESSAGE = "Unable to submit request because it has an empty contents field."
EMPTY_PARTS_MESSAGE = "Unable to submit request because it must have at least one parts field."
#: The output-token ceiling of the Gemini 2.5 models; a request asking more is refused per row.
MAX_OUTPUT_TOKENS = 65536
_DIGITS = re.compile(r"-?[0-9]{1,10}")


@functools.cache
def _field_names() -> frozenset[str]:
    """Every field name of the request schema, in either spelling."""
    schema = default_validator().reference.schema
    return frozenset(name for message in schema["$defs"].values() for name in message.get("properties", {}))


def service_path(path: Iterable[Any]) -> str:
    """``["contents", 0, "inlineData"]`` -> ``contents[0].inline_data``; the request itself is ``request``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            name = snake_case(part) if part in _field_names() else str(part)
            text += f".{name}" if text else name
    return text or "request"


def _model_message(error: ValidationError, path: list[Any]) -> str | None:
    """The model's own words for an error of a request that parses, or ``None``."""
    missing = error.validator == "required" and isinstance(error.instance, dict)
    if error.validator == "minItems" and path and path[-1] in ("contents", "parts"):
        return EMPTY_CONTENTS_MESSAGE if path[-1] == "contents" else EMPTY_PARTS_MESSAGE
    if missing and "contents" not in error.instance and "contents" in error.validator_value:
        return EMPTY_CONTENTS_MESSAGE
    if missing and "parts" not in error.instance and "parts" in error.validator_value:
        return EMPTY_PARTS_MESSAGE
    if error.validator == "enum" and path and path[-1] == "role":
        return ROLE_MESSAGE
    return None


def _parse_messages(error: ValidationError, path: list[Any]) -> list[str]:
    """The service's lines for an error its JSON parser (or a value check) reports."""
    unknown = error.validator == "additionalProperties" and error.validator_value is False
    if unknown and isinstance(error.instance, dict):
        known = error.schema.get("properties", {}) if isinstance(error.schema, dict) else {}
        where = service_path(path)
        return [
            f"Invalid JSON payload received. Unknown name {json.dumps(name, ensure_ascii=False)} at '{where}': "
            "Cannot find field."
            for name in error.instance
            if name not in known
        ]
    # the service's words say the value it refused (it writes them into the row's status, beside the request)
    return [f"Invalid value at '{service_path(path)}': {schema_error_message(error, show_values=True)}"]


def _sort_key(error: ValidationError) -> list[tuple[int, int, str]]:
    return [(0, part, "") if isinstance(part, int) else (1, 0, str(part)) for part in error.absolute_path]


def schema_refusal(errors: Iterable[ValidationError]) -> str:
    """The message of a request the schema refuses, from the reference's errors for ``{"request": ...}``.

    What the JSON parser refuses comes first, one line each (as the service joins them); only a request
    that parses gets the model's words, for its first error.
    """
    parsed: list[str] = []
    model: list[str] = []
    for error in sorted(errors, key=_sort_key):
        path = list(error.absolute_path)[1:]  # below "request"
        words = _model_message(error, path)
        if words is None:
            parsed.extend(_parse_messages(error, path))
        else:
            model.append(words)
    if parsed:
        return "\n".join(dict.fromkeys(parsed))
    return model[0] if model else "Invalid request."


def max_output_tokens(request: dict[str, Any]) -> int | None:
    """``generationConfig.maxOutputTokens`` (either spelling, a number or a string of digits), or ``None``."""
    config = request.get("generationConfig", request.get("generation_config"))
    if not isinstance(config, dict):
        return None
    tokens = config.get("maxOutputTokens", config.get("max_output_tokens"))
    if isinstance(tokens, str) and _DIGITS.fullmatch(tokens):
        return int(tokens)
    return tokens if isinstance(tokens, int) and not isinstance(tokens, bool) else None


def refusal(request: Any) -> str | None:
    """Why the service refuses one input line's ``request`` with 400 INVALID_ARGUMENT, or ``None``."""
    checker = default_validator()
    line = {"request": request}
    if not checker.is_valid(line):
        return schema_refusal(checker.iter_errors(line))
    tokens = max_output_tokens(request)
    if tokens is not None and not 1 <= tokens <= MAX_OUTPUT_TOKENS:
        return (
            f"Unable to submit request because it has a maxOutputTokens value of {tokens} but the supported "
            f"range is from 1 (inclusive) to {MAX_OUTPUT_TOKENS + 1} (exclusive). Update the value and try again."
        )
    return None
