"""Pieces of a generated request schema as msgspec types: pure functions the Struct builder uses.

:func:`flatten` merges a subschema's ``allOf``; :func:`string_type`, :func:`chosen_type`, :func:`meta`
and :func:`constrained` make a scalar's type and bounds; :func:`set_field` and :func:`unguarded` read
the message rules the generator writes; :class:`PatternText` marks a string whose pattern a
``__post_init__`` checks. Whatever cannot be expressed exactly raises :class:`Untranslatable`.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from msgspec import Meta

from airflow_batch_gemini.fieldnames import snake_case
from airflow_batch_gemini.input.struct_checks import ANY_JSON, JSON_OBJECT


@dataclass(frozen=True)
class PatternText:
    """A string field whose pattern ``__post_init__`` checks (msgspec's own check of a pattern costs
    about three times a call of the pattern's ``search``): base64 by
    :func:`~airflow_batch_gemini.input.struct_checks.is_base64`, any other with the pattern.

    :param annotation: the field's type without the pattern (its lengths kept).
    :param pattern: the pattern.
    :param regex_annotation: the field's type with the pattern, for a Struct with no ``__post_init__``
        otherwise (msgspec then checks the pattern only when the field is given).
    """

    annotation: Any
    pattern: str
    regex_annotation: Any


def checked_in_python(kind: Any) -> bool:
    """Whether a field of this kind is held as something else and checked in ``__post_init__``."""
    return isinstance(kind, PatternText) or kind in (ANY_JSON, JSON_OBJECT)

#: Keywords validators ignore (the generator's annotations and plain words).
ANNOTATIONS = frozenset({"description", "title", "x-problem", "x-api-versions", "x-v1-enum", "x-undocumented"})
FIELD_KEYWORDS = frozenset({
    "type", "$ref", "properties", "items", "minItems", "maxItems", "pattern", "minLength", "maxLength", "enum",
    "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "if", "then", "additionalProperties",
    "propertyNames",
})
LOWER = {"minimum": max, "exclusiveMinimum": max, "minItems": max, "minLength": max}
UPPER = {"maximum": min, "exclusiveMaximum": min, "maxItems": min, "maxLength": min}
BOUNDS = (("minimum", "ge"), ("maximum", "le"), ("exclusiveMinimum", "gt"), ("exclusiveMaximum", "lt"))
REF = re.compile(r"#/\$defs/(\w+)")


class Untranslatable(ValueError):
    """A schema construct the Structs cannot express exactly (its field is left out)."""




def plain(schema: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in schema.items() if key not in ANNOTATIONS}


def flatten(schema: Mapping[str, Any]) -> dict[str, Any]:
    """``schema`` with its ``allOf`` merged into it, annotations dropped; :class:`Untranslatable` if the
    merge is not exact."""
    merged = plain(schema)
    for part in merged.pop("allOf", []):
        for key, value in flatten(part).items():
            if key not in merged or merged[key] == value:
                merged[key] = value
            elif key in LOWER or key in UPPER:
                merged[key] = {**LOWER, **UPPER}[key](merged[key], value)
            elif key == "enum":
                merged[key] = [item for item in merged[key] if item in value]
            elif key in ("items", "then"):
                merged[key] = {"allOf": [merged[key], value]}
            else:
                raise Untranslatable(f"cannot merge two {key!r}")
    return merged


def meta(schema: Mapping[str, Any], names: Mapping[str, str]) -> Meta | None:
    given = {names[key]: schema[key] for key in names if key in schema}
    return Meta(**given) if given else None


def constrained(kind: Any, meta: Meta | None) -> Any:
    return Annotated[kind, meta] if meta is not None else kind


def string_type(schema: Mapping[str, Any]) -> Any:
    bounds = meta(schema, {"pattern": "pattern", "minLength": "min_length", "maxLength": "max_length"})
    if "enum" not in schema:
        return constrained(str, bounds)
    values = [value for value in schema["enum"] if isinstance(value, str)]
    pattern = re.compile(schema.get("pattern", ""))
    values = [value for value in values if pattern.search(value)
              and schema.get("minLength", 0) <= len(value) <= schema.get("maxLength", len(value))]
    if not values:
        raise Untranslatable("no string value is allowed")
    return Literal[tuple(values)]


def chosen_type(schema: dict[str, Any]) -> str:
    """The one JSON type the Struct declares for ``schema`` (whose ``if``/``then`` it folds in)."""
    types = schema.get("type")
    types = [types] if isinstance(types, str) else list(types or [])
    types = [kind for kind in types if kind != "null"]
    if "if" in schema:
        if schema.pop("if") != {"type": "string"} or "string" not in types:
            raise Untranslatable("an if other than a string test")
        then = flatten(schema.pop("then", {}))
        for key in [key for key in schema if key in BOUNDS_KEYS]:
            del schema[key]  # bounds of the integer form, which is not declared
        schema.update(flatten({"allOf": [schema, then]}))
        return "string"
    numeric = [kind for kind in types if kind in ("integer", "number")]
    if numeric and set(types) <= {"integer", "number", "string"}:
        return "number" if "number" in numeric else "integer"  # the string form is not declared
    if len(types) != 1:
        raise Untranslatable(f"types {types}")
    return types[0]


BOUNDS_KEYS = frozenset(key for key, _ in BOUNDS)


def py_name(json_name: str) -> str:
    name = snake_case(json_name)
    return name + "_" if keyword.iskeyword(name) or not name.isidentifier() else name


def family_names(properties: Mapping[str, Any], snake: bool) -> dict[str, str]:
    """The JSON names of one spelling among a message's ``properties``, each -> its lowerCamel name."""
    snake_forms = {snake_case(name) for name in properties if snake_case(name) != name}
    camel = [name for name in properties if name not in snake_forms]
    return {snake_case(name) if snake else name: name for name in camel if snake_case(name) in properties}


def set_field(rule: Mapping[str, Any]) -> str:
    """The field a rule says is set: ``{"required": [f]}``, or that and ``f`` not ``null`` (a Struct
    field is never null, so both read the same here); :class:`Untranslatable` for any other rule."""
    rule = plain(rule)
    if set(rule) - {"required", "properties"} or len(rule.get("required", ())) != 1:
        raise Untranslatable("a rule other than a set field")
    name = rule["required"][0]
    if rule.get("properties", {name: {"not": {"type": "null"}}}) != {name: {"not": {"type": "null"}}}:
        raise Untranslatable("a rule other than a set field")
    return str(name)


def unguarded(rule: dict[str, Any], trigger: str) -> dict[str, Any]:
    """A dependent rule without its guard "unless ``trigger`` is null" (a declared field never is)."""
    rule = plain(rule)
    if set(rule) == {"if", "else"} and rule["if"] == {"properties": {trigger: {"type": "null"}}}:
        return plain(rule["else"])
    return rule
