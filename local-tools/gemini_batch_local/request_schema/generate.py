"""The JSON Schema of one batch input line, built from the merged discovery view. Pure.

Each message becomes a ``$defs`` entry titled with its name: its fields under both spellings
(lowerCamel and snake_case, never both at once), unknown fields refused, and what the documents
state (:mod:`.statements`). A field refers to a message with ``{"type": "object", "$ref": ...}``, so
the ``$defs`` entry itself needs no ``type`` and ``null`` stays a matter of the field.

Annotations the provider reads (``airflow_batch_gemini.input.schema``), which validators ignore:

- ``x-problem``: the words of a problem when the subschema holding it fails;
- ``x-api-versions``: the versions that know a field (present only when one lacks it);
- ``x-v1-enum``: the enum values v1 knows (present only when v1beta1 knows more);
- ``x-undocumented``: ``{"schema": ..., "note": ...}``, a limit that warns.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from airflow_batch_gemini.fieldnames import snake_case

from .discovery import ROOT, Message, merged_messages, revisions
from .proto_json import bounded_string, field_schema
from .statements import (
    ONE_OFS,
    OVERRIDES,
    QUOTED,
    UNDOCUMENTED,
    check_words,
    is_required,
    stated_exclusions,
    stated_range,
)

SCHEMA_ID = "urn:airflow-batch-gemini:schemas:request"
_NUMERIC_BOUNDS = ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum")


def _names(field: str) -> list[str]:
    """A field's spellings: lowerCamel, and snake_case when it differs."""
    return list(dict.fromkeys((field, snake_case(field))))


def _any_of_present(fields: list[str]) -> dict[str, Any]:
    """Some spelling of some of ``fields`` is set: present and not ``null`` (which means unset)."""
    return {"anyOf": [
        {"required": [name], "properties": {name: {"not": {"type": "null"}}}}
        for field in fields for name in _names(field)
    ]}


class _MessageSchema:
    """The ``$defs`` entry of one message, built field by field."""

    def __init__(self, message: Message) -> None:
        self.message = message
        self.properties: dict[str, Any] = {}
        self.required: list[str] = []
        self.all_of: list[dict[str, Any]] = []
        self.dependent: dict[str, list[dict[str, Any]]] = {}

    def depend(self, field: str, schema: dict[str, Any]) -> None:
        """When ``field`` (either spelling) is set (present and not ``null``), ``schema`` must hold."""
        for name in _names(field):
            self.dependent.setdefault(name, []).append({"if": {"properties": {name: {"type": "null"}}}, "else": schema})

    def add_field(self, field: str, prop: Mapping[str, Any]) -> None:
        description = prop.get("description", "")
        required = is_required(description)
        schema = field_schema(prop, nullable=not required)
        bounds = self._bounds(field, description)
        schema.update(bounds)
        numeric = {key: value for key, value in bounds.items() if key in _NUMERIC_BOUNDS}
        if numeric and "pattern" in schema and "string" in schema.get("type", ()):
            schema.update(bounded_string(numeric, integer="integer" in schema["type"]))
        if required and schema.get("type") == "array":
            schema.setdefault("minItems", 1)
        if required and schema.get("type") == "string":
            schema.setdefault("minLength", 1)  # "" is a string's default: a required one would be unset
        versions = self.message.versions[field]
        if len(versions) == 1:
            schema["x-api-versions"] = versions
        v1_values = [value for value, known in self.message.enum_versions.get(field, {}).items() if "v1" in known]
        if "v1" in versions and len(v1_values) < len(self.message.enum_versions.get(field, {})):
            schema["x-v1-enum"] = v1_values
        for limit in UNDOCUMENTED:
            if (limit.message, limit.field) == (self.message.name, field):
                schema["x-undocumented"] = {"schema": dict(limit.schema), "note": limit.note}
        names = _names(field)
        for name in names:
            self.properties[name] = copy.deepcopy(schema)
        if len(names) == 2:
            # both spellings at once is an error even when one is null (proto3 JSON parsers refuse a field twice)
            self.dependent.setdefault(names[1], []).append(
                {"not": {"required": [names[0]]},
                 "x-problem": f"gives both {names[0]} and {names[1]}; give one of them"})
        if required and len(names) == 1:
            self.required.append(field)
        elif required:
            self.all_of.append({**_any_of_present([field]), "x-problem": f"needs {field}, which is required"})
        for other in stated_exclusions(description, self.message.fields):
            self.depend(field, {"not": _any_of_present([other]),
                                "x-problem": f"sets both {field} and {other}, which are mutually exclusive"})

    def _bounds(self, field: str, description: str) -> dict[str, Any]:
        where = f"{self.message.name}.{field}"
        for override in OVERRIDES:
            if (override.message, override.field) == (self.message.name, field):
                check_words(description, override.words, where)
                return dict(override.schema)
        bounds: dict[str, Any] = dict(stated_range(description))
        for quoted in QUOTED:
            if (quoted.message, quoted.field) == (self.message.name, field):
                check_words(description, quoted.words, where)
                bounds.update(quoted.schema or {})
                for other, value in (quoted.requires or {}).items():
                    self.depend(field, {
                        "anyOf": [{"required": [name], "properties": {name: {"const": value}}}
                                  for name in _names(other)],
                        "x-problem": f"sets {field}, which needs {other} set to {value!r}",
                    })
        return bounds

    def add_one_of(self, words: str, members: tuple[str, ...]) -> None:
        check_words(self.message.description, words, self.message.name)
        missing = [member for member in members if member not in self.message.fields]
        if missing:
            raise ValueError(f"{self.message.name}: the oneof names {missing}, which are not fields")
        listed = ", ".join(members)
        self.all_of.append({**_any_of_present(list(members)), "x-problem": f"needs one of {listed}"})
        for member in members:
            others = [other for other in members if other != member]
            self.depend(member, {"not": _any_of_present(others),
                                 "x-problem": f"sets more than one of {listed}; give exactly one"})

    def build(self) -> dict[str, Any]:
        schema: dict[str, Any] = {"title": self.message.name}
        first_sentence = self.message.description.split(". ")[0].rstrip(".")
        if first_sentence:
            schema["description"] = first_sentence + "."
        schema["properties"] = self.properties
        schema["additionalProperties"] = False
        if self.required:
            schema["required"] = self.required
        if self.all_of:
            schema["allOf"] = self.all_of
        if self.dependent:
            schema["dependentSchemas"] = {
                name: schemas[0] if len(schemas) == 1 else {"allOf": schemas}
                for name, schemas in self.dependent.items()
            }
        return schema


def message_schema(message: Message) -> dict[str, Any]:
    """The ``$defs`` entry of one message."""
    built = _MessageSchema(message)
    for field, prop in message.fields.items():
        built.add_field(field, prop)
    if message.name in ONE_OFS:
        built.add_one_of(*ONE_OFS[message.name])
    return built.build()


def request_schema(documents: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of one batch input line, from both discovery documents."""
    messages = merged_messages(documents)
    known = {(name, field) for name, message in messages.items() for field in message.fields}
    listed = [(entry.message, entry.field) for entries in (QUOTED, OVERRIDES, UNDOCUMENTED) for entry in entries]
    for message, field in listed:
        if (message, field) not in known:
            raise ValueError(f"{message}.{field} is in no discovery document any more")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "One line of a Vertex AI Gemini batch prediction input file",
        "description": (
            "Generated by `make schema` (local-tools/gemini_batch_local/request_schema) from the Vertex AI "
            "discovery documents of google-api-python-client; do not edit. A JSON object with a "
            "GenerateContentRequest under 'request'; other top-level keys (for example 'key') are copied to "
            "the output row."
        ),
        "x-discovery-revisions": revisions(documents),
        "type": "object",
        "required": ["request"],
        "properties": {"request": {"type": "object", "$ref": f"#/$defs/{ROOT}"}},
        "$defs": {name: message_schema(messages[name]) for name in sorted(messages)},
    }
