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

The Structs refuse empty objects too (a message whose fields are all optional checks it in
``__post_init__``; a map needs an entry; free-form JSON is searched for ``{}``). What they cannot
see, the caller checks: the top-level keys keep their JSON type across lines.
``tests/unit/test_fast_tier.py`` holds the rule "accepted here implies accepted by the reference, with
no note" over a generated corpus and every kind of shape.
"""

from __future__ import annotations

import functools
from typing import Any, NamedTuple

import msgspec
from msgspec import UNSET, UnsetType

from airflow_batch_gemini.input.schema import load_request_schema
from airflow_batch_gemini.input.schema_variants import notes_schema
from airflow_batch_gemini.input.struct_builder import StructBuilder, Untranslatable
from airflow_batch_gemini.input.struct_types import family_names


class Family(NamedTuple):
    """The Structs one decoder is made of.

    :param snake: the snake_case spelling (else lowerCamel).
    :param variant: ``"plain"``: the common shape only (text parts, and no field that needs a check in
        Python, so that for such a line the only Python code is the empty-object check of a message
        whose fields are all optional, such as ``generationConfig``); ``"common"``: every kind of part, tools and
        response schemas, but only the fields most requests use in the largest messages (a Struct's
        decode costs more with each field it declares); ``"general"``: every field. Each accepts all
        the one before accepts.
    """

    snake: bool
    variant: str


#: The decoders: a group's first line tries the plain one of the spelling the last group ended in, and
#: each line then the decoder that accepted the line before (:func:`fallbacks` when it refuses).
VARIANTS = ("plain", "common", "general")
FAMILIES: tuple[Family, ...] = tuple(Family(snake, variant) for snake in (False, True) for variant in VARIANTS)
_PLAIN_ONLY = {"Part": "text"}
_PLAIN_CONFIG = frozenset({"temperature", "topP", "topK", "candidateCount", "maxOutputTokens", "stopSequences",
                           "presencePenalty", "frequencyPenalty", "seed", "responseMimeType", "responseModalities",
                           "responseLogprobs", "logprobs", "thinkingConfig", "mediaResolution"})
_PLAIN_REQUEST = frozenset({"contents", "systemInstruction", "generationConfig", "safetySettings", "labels",
                            "cachedContent"})
#: The fields each variant keeps of the messages listed (it keeps every field of the others).
_KEPT = {
    "plain": {"GenerateContentRequest": _PLAIN_REQUEST, "GenerationConfig": _PLAIN_CONFIG,
              "Part": frozenset({"text", "thought", "thoughtSignature"})},
    "common": {"GenerateContentRequest": _PLAIN_REQUEST | {"tools", "toolConfig"},
               "GenerationConfig": _PLAIN_CONFIG | {"responseSchema", "responseJsonSchema"},
               "Part": frozenset({"text", "inlineData", "fileData", "functionCall", "functionResponse",
                                  "executableCode", "codeExecutionResult", "thought", "thoughtSignature",
                                  "videoMetadata"})},
    "general": {},
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
    it: the common, then the general variant of the spelling the line seems written in, then of the
    other spelling."""
    snake = any(ending in raw for ending in _SNAKE_ENDINGS)
    return tuple(index for index in (_FALLBACKS_SNAKE if snake else _FALLBACKS_CAMEL) if index != refused)


_FALLBACKS_CAMEL = (1, 2, 4, 5)
_FALLBACKS_SNAKE = (4, 5, 1, 2)


def plain_decoder(index: int) -> int:
    """The plain variant of the spelling of decoder ``index``."""
    return index - index % len(VARIANTS)


def same_spelling(index: int, other: int) -> bool:
    """Whether decoders ``index`` and ``other`` are of the same spelling."""
    return index // len(VARIANTS) == other // len(VARIANTS)


#: What the line itself may hold besides ``request`` in the schema (the rest only names things).
_ROOT_KEYWORDS = frozenset({"$schema", "$id", "title", "description", "x-discovery-revisions", "type", "required",
                            "properties", "$defs"})


@functools.cache
def _schema() -> dict[str, Any]:
    return notes_schema(load_request_schema())


@functools.cache
def _builders() -> tuple[StructBuilder, ...]:
    """One builder per entry of :data:`FAMILIES`, each with the request's Structs built."""
    schema = _schema()

    def omitted(variant: str) -> dict[str, frozenset[str]]:
        return {message: frozenset(family_names(schema["$defs"][message]["properties"], snake=False).values()) - kept
                for message, kept in _KEPT[variant].items()}

    builders = tuple(
        StructBuilder(schema, snake=family.snake, only=_PLAIN_ONLY, omit=omitted("plain")) if family.variant == "plain"
        else StructBuilder(schema, snake=family.snake, omit=omitted(family.variant), repeated=_REPEATED)
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
    """Return the decoders of one input line, one per entry of :data:`FAMILIES` (the scanner's order of
    tries relies on that), or none at all when a family's request cannot be Structs.

    A line is ``request`` and, optionally, each of ``key_fields`` as a string; the decoded value has an
    attribute per field (:data:`msgspec.UNSET` when the line lacks it). A line with any other top-level
    key is refused (it goes to the next tier). They refuse empty objects too.

    :param key_fields: top-level string fields allowed beside ``request``, each a valid column name.
    """
    fields: list[tuple[str, Any, Any]] = [(name, str | UnsetType, UNSET) for name in key_fields]
    decoders = []
    for builder in _builders():
        request = _request_type(builder)
        if request is None:
            return ()
        line = msgspec.defstruct("Line", [("request", request), *fields], kw_only=True, forbid_unknown_fields=True,
                                 gc=False)
        decoders.append(msgspec.json.Decoder(line))
    return tuple(decoders)


def left_to_next_tier() -> dict[tuple[str, str], str]:
    """What the general Structs (every kind of part) do not declare: ``(message, field)`` -> why, in
    either spelling; ``(message, "")`` when the whole message is left out. Lines using them take the
    next tier."""
    left: dict[tuple[str, str], str] = {}
    for builder, family in zip(_builders(), FAMILIES, strict=True):
        if family.variant == "general":
            left.update(builder.left_out)
    return left


def built_messages() -> set[str]:
    """The messages the general Structs describe (at one depth at least), in both spellings."""
    general = [builder for builder, family in zip(_builders(), FAMILIES, strict=True) if family.variant == "general"]
    return set.intersection(*(builder.built_messages for builder in general))


#: What a refusing decoder raises: a line that is not JSON, not UTF-8, or not of the shape above.
DecodeRefusal = (msgspec.DecodeError, UnicodeDecodeError)
