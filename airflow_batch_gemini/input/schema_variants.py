"""The packaged request schema in its variants: pure functions from one schema dict to another.

The packaged schema (generated from Google's discovery documents, see ``docs/validation.md``) carries
annotations that validators ignore; these functions read them:

- :func:`allowing_unknown_fields`: unknown field names accepted (``allow_unknown_fields=True``);
- :func:`notes_schema`: what a line must also satisfy to draw no note: fields and enum values v1
  knows (``x-api-versions``, ``x-v1-enum``), and the limits Google does not document
  (``x-undocumented``). A line that fails it is valid, with a note for each failure.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

#: The words of the note on a field only v1beta1 knows.
V1BETA1_ONLY = (
    "is known only to the v1beta1 API (the discovery document of v1 lacks it); the job runs, but the "
    "service may ignore this field"
)
#: The words of the note on an enum value only v1beta1 knows.
V1BETA1_VALUE = "is a value only the v1beta1 API knows; the service may refuse it"


def _walk(schema: Any, visit: Callable[[dict[str, Any]], None]) -> None:
    """Call ``visit`` on every subschema (dict) of ``schema``, parents first."""
    if isinstance(schema, dict):
        visit(schema)
        for value in list(schema.values()):
            _walk(value, visit)
    elif isinstance(schema, list):
        for value in schema:
            _walk(value, visit)


def _message_defs(schema: dict[str, Any]) -> list[dict[str, Any]]:
    return list(schema.get("$defs", {}).values())


def allowing_unknown_fields(schema: dict[str, Any]) -> dict[str, Any]:
    """A copy of the packaged ``schema`` in which every message accepts field names it does not know."""
    result = copy.deepcopy(schema)
    for message in _message_defs(result):
        message.pop("additionalProperties", None)
    return result


def _add_note_rules(subschema: dict[str, Any]) -> None:
    rules: list[Any] = []
    if "x-api-versions" in subschema and "v1" not in subschema["x-api-versions"]:
        rules.append({"not": {}, "x-problem": V1BETA1_ONLY})
    if "x-v1-enum" in subschema:
        values = subschema["x-v1-enum"]
        rules.append({"if": {"type": "string"}, "then": {"enum": values, "x-problem": V1BETA1_VALUE}}
                     if "array" not in subschema.get("type", ()) else
                     {"items": {"if": {"type": "string"}, "then": {"enum": values, "x-problem": V1BETA1_VALUE}}})
    if "x-undocumented" in subschema:
        rules.append({**subschema["x-undocumented"]["schema"], "x-problem": subschema["x-undocumented"]["note"]})
    if rules:
        subschema["allOf"] = [*subschema.get("allOf", []), *rules]


def notes_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``schema`` (the packaged one, or :func:`allowing_unknown_fields` of it) that a line
    must also satisfy to draw no note."""
    result = copy.deepcopy(schema)
    _walk(result, _add_note_rules)
    return result
