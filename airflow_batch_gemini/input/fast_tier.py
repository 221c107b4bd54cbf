"""Batch input lines as msgspec Structs: the first, fastest tier of validation.

msgspec decodes a line straight into Structs, checking types, enums, patterns and bounds in C, in
about the time orjson takes only to parse it. The Structs are not written by hand: they are made
from the packaged request schema's notes variant (:func:`~airflow_batch_gemini.input.schema_variants.notes_schema`)
the first time they are needed, by :class:`~airflow_batch_gemini.input.struct_builder.StructBuilder`,
which translates conservatively. So a line they accept is, by construction, valid for the schema
and draws no note; a line they refuse may still be valid (a numeric string, an enum number, ``null``,
a mix of spellings, a field they leave out, a key that is no string, ...) and goes to the next tier
(jsonschema-rs), then to the reference (jsonschema), which writes the messages.

Every message is covered, in both spellings (a line all lowerCamel or all snake_case), so text,
multimodal parts, tools, response schemas, thinking and tool configs all take this tier;
:func:`left_to_next_tier` lists the fields (and messages) the Structs do not declare, and why.

What the Structs cannot see, the caller checks: no line of the group may hold ``{}`` in its raw
bytes (:func:`may_hold_empty_object`; an empty object fails the importer), and the top-level keys
keep their JSON type across lines. ``tests/unit/test_fast_tier.py`` holds the rule "accepted here
implies accepted by the reference, with no note" over a generated corpus and every kind of shape.
"""

from __future__ import annotations

import functools
import re
from typing import Any, NamedTuple

import msgspec
from msgspec import UNSET, UnsetType

from airflow_batch_gemini.input.schema import load_request_schema
from airflow_batch_gemini.input.schema_variants import notes_schema
from airflow_batch_gemini.input.struct_builder import StructBuilder, Untranslatable


class Family(NamedTuple):
    """The Structs one decoder is made of.

    :param snake: the snake_case spelling (else lowerCamel).
    :param plain: the variant for the common shape: text parts only, and none of the fields that need
        a check in Python (tools, response schemas, Model Armor), so that no Python code runs for a line
        of that shape; the other variant (every kind of part and field) accepts all it accepts.
    """

    snake: bool
    plain: bool


#: The decoders, in the order they are tried on a group's first line: then each goes on with the
#: decoder that accepted the line before (:func:`fallbacks` when it refuses).
FAMILIES: tuple[Family, ...] = (Family(False, True), Family(False, False), Family(True, True), Family(True, False))
#: What the plain variant leaves out: all but text parts, and what would need a ``__post_init__``.
_PLAIN_ONLY = {"Part": "text"}
_PLAIN_OMITS = {
    "GenerateContentRequest": frozenset({"tools", "modelArmorConfig"}),
    "GenerationConfig": frozenset({"responseSchema", "responseJsonSchema"}),
}
#: The parts of a request that usually repeat across a job's lines and are costly to decode (trees of
#: ``Schema``): decoded once per distinct bytes by the other variant.
_REPEATED = {
    "GenerateContentRequest": frozenset({"tools"}),
    "GenerationConfig": frozenset({"responseSchema", "responseJsonSchema"}),
}
#: Keys only a snake_case line holds, as they end in its bytes: a guess of the spelling, for the order
#: of :func:`fallbacks` only (a wrong guess costs a refused decode, never a wrong verdict).
_SNAKE_ENDINGS = (b'_config"', b'_instruction"', b'_data"', b'_type"', b'_settings"', b'_declarations"',
                  b'_tokens"', b'_schema"')


def fallbacks(raw: bytes, refused: int) -> tuple[int, ...]:
    """The decoders (indexes into :data:`FAMILIES`) to try on a line after decoder ``refused`` refused
    it: the general variant of the spelling the line seems written in, then of the other spelling
    (each accepts all its plain sibling accepts)."""
    snake = any(ending in raw for ending in _SNAKE_ENDINGS)
    order = (3, 1) if snake else (1, 3)
    return tuple(index for index in order if index != refused)


#: What the line itself may hold besides ``request`` in the schema (the rest only names things).
_ROOT_KEYWORDS = frozenset({"$schema", "$id", "title", "description", "x-discovery-revisions", "type", "required",
                            "properties", "$defs"})

#: An empty object in raw bytes must look like this outside strings; no match means none anywhere.
_EMPTY_OBJECT = re.compile(rb"\{[ \t\r\n]*\}")


@functools.cache
def _schema() -> dict[str, Any]:
    return notes_schema(load_request_schema())


@functools.cache
def _builders() -> tuple[StructBuilder, ...]:
    """One builder per entry of :data:`FAMILIES`, each with the request's Structs built."""
    schema = _schema()
    builders = tuple(
        StructBuilder(schema, snake=family.snake, only=_PLAIN_ONLY, omit=_PLAIN_OMITS) if family.plain else
        StructBuilder(schema, snake=family.snake, repeated=_REPEATED)
        for family in FAMILIES
    )
    for builder in builders:
        try:
            builder.field(schema["properties"]["request"], 1)
        except Untranslatable as err:
            builder.left_out[("", "request")] = str(err)
    return builders


def _request_type(builder: StructBuilder) -> Any:
    """The request's Struct of one family, or ``None`` if the line's schema says more than Structs can."""
    schema = _schema()
    if set(schema) - _ROOT_KEYWORDS or schema.get("type") != "object" or schema.get("required") != ["request"] or \
            set(schema.get("properties", {})) != {"request"}:
        return None
    try:
        return builder.field(schema["properties"]["request"], 1)
    except Untranslatable:
        return None


@functools.cache
def line_decoders(key_fields: tuple[str, ...]) -> tuple[msgspec.json.Decoder[Any], ...]:
    """Return the decoders of one input line, to try in order (:data:`FAMILIES`).

    A line is ``request`` and, optionally, each of ``key_fields`` as a string; the decoded value has an
    attribute per field (:data:`msgspec.UNSET` when the line lacks it). A line with any other top-level
    key is refused (it goes to the next tier). None of them checks for empty objects:
    :func:`may_hold_empty_object` does.

    :param key_fields: top-level string fields allowed beside ``request``, each a valid column name.
    """
    fields: list[tuple[str, Any, Any]] = [(name, str | UnsetType, UNSET) for name in key_fields]
    decoders = []
    for builder in _builders():
        request = _request_type(builder)
        if request is not None:
            line = msgspec.defstruct("Line", [("request", request), *fields], kw_only=True, forbid_unknown_fields=True,
                                     gc=False)
            decoders.append(msgspec.json.Decoder(line))
    return tuple(decoders)


def may_hold_empty_object(data: bytes) -> bool:
    """Whether raw JSON lines may hold an empty object (``False``: surely none, not even in a string)."""
    return _EMPTY_OBJECT.search(data) is not None


def left_to_next_tier() -> dict[tuple[str, str], str]:
    """What the general Structs (every kind of part) do not declare: ``(message, field)`` -> why, in
    either spelling; ``(message, "")`` when the whole message is left out. Lines using them take the
    next tier."""
    left: dict[tuple[str, str], str] = {}
    for builder, family in zip(_builders(), FAMILIES, strict=True):
        if not family.plain:
            left.update(builder.left_out)
    return left


def built_messages() -> set[str]:
    """The messages the general Structs describe (at one depth at least), in both spellings."""
    general = [builder for builder, family in zip(_builders(), FAMILIES, strict=True) if not family.plain]
    return set.intersection(*(builder.built_messages for builder in general))


#: What a refusing decoder raises: a line that is not JSON, not UTF-8, or not of the shape above.
DecodeRefusal = (msgspec.DecodeError, UnicodeDecodeError)
