"""The common shape of a batch input line as msgspec Structs: the first, fastest tier of validation.

msgspec decodes a line straight into these Structs, checking types, enums and bounds in C, in about
the time orjson takes only to parse it. They describe a **subset** of what the packaged JSON Schema
accepts: text, inline and file parts, system instructions, safety settings, the generation config
(thinking included) and labels, in lowerCamelCase, with a string row key. A line they accept is valid
for the schema; a line they refuse may still be valid (snake_case names, tools, a response schema,
an integer key, ...) and goes to the next tier (jsonschema-rs), then to the reference (jsonschema),
which writes the messages. ``tests/unit/test_fast_tier.py`` holds the rule "accepted here
implies accepted by the reference" over a generated corpus.

The Structs refuse empty objects too, and their nesting stays far below the importer's limit of 15
(no free-form object). What they cannot see, the cross-line type of the top-level keys, the caller
checks.
"""

from __future__ import annotations

import functools
from typing import Annotated, Any, Generic, Literal, TypeVar

import msgspec
from msgspec import UNSET, Meta, Struct, UnsetType

#: The JSON Schema's MIME type and file URI patterns (Python's ``re``, as the reference uses, searched).
_MIME_TYPE = Meta(pattern=r"^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*$(?!\n)")
_FILE_URI = Meta(pattern=r"^(gs://[a-z0-9][a-z0-9._-]*/.|https://[^/?#]+)")
_NON_EMPTY = Meta(min_length=1)

NonEmptyText = Annotated[str, _NON_EMPTY]


class _Strict(Struct, forbid_unknown_fields=True, rename="camel", gc=False):
    """Every Struct here: unknown fields refused (the schema may constrain them), camelCase names,
    and no garbage-collector tracking (they hold no cycles)."""


class Blob(_Strict):
    mime_type: Annotated[str, _MIME_TYPE]
    data: NonEmptyText


class FileData(_Strict):
    mime_type: Annotated[str, _MIME_TYPE]
    file_uri: Annotated[str, _FILE_URI]


class TextPart(_Strict):
    """A text part: the common case, decoded without :class:`Part`'s Python check."""

    text: str
    thought: bool | UnsetType = UNSET
    thought_signature: NonEmptyText | UnsetType = UNSET


class Part(_Strict):
    """Any part these Structs know; exactly one of ``text``, ``inlineData`` and ``fileData``."""

    text: str | UnsetType = UNSET
    inline_data: Blob | UnsetType = UNSET
    file_data: FileData | UnsetType = UNSET
    thought: bool | UnsetType = UNSET
    thought_signature: NonEmptyText | UnsetType = UNSET

    def __post_init__(self) -> None:
        given = (self.text is not UNSET) + (self.inline_data is not UNSET) + (self.file_data is not UNSET)
        if given != 1:
            raise ValueError("a part needs exactly one of text, inlineData, fileData")


#: The kind of part a request is decoded with: :class:`TextPart` or :class:`Part`.
P = TypeVar("P", TextPart, Part)


class Content(_Strict, Generic[P]):
    parts: Annotated[list[P], _NON_EMPTY]
    role: Literal["user", "model"] | UnsetType = UNSET


class SystemInstruction(_Strict, Generic[P]):
    parts: Annotated[list[P], _NON_EMPTY]
    role: str | UnsetType = UNSET


class SafetySetting(_Strict):
    category: Literal[
        "HARM_CATEGORY_UNSPECIFIED", "HARM_CATEGORY_HATE_SPEECH", "HARM_CATEGORY_DANGEROUS_CONTENT",
        "HARM_CATEGORY_HARASSMENT", "HARM_CATEGORY_SEXUALLY_EXPLICIT", "HARM_CATEGORY_CIVIC_INTEGRITY",
        "HARM_CATEGORY_IMAGE_HATE", "HARM_CATEGORY_IMAGE_DANGEROUS_CONTENT", "HARM_CATEGORY_IMAGE_HARASSMENT",
        "HARM_CATEGORY_IMAGE_SEXUALLY_EXPLICIT", "HARM_CATEGORY_JAILBREAK",
    ]
    threshold: Literal[
        "HARM_BLOCK_THRESHOLD_UNSPECIFIED", "BLOCK_LOW_AND_ABOVE", "BLOCK_MEDIUM_AND_ABOVE", "BLOCK_ONLY_HIGH",
        "BLOCK_NONE", "OFF",
    ]
    method: Literal["HARM_BLOCK_METHOD_UNSPECIFIED", "SEVERITY", "PROBABILITY"] | UnsetType = UNSET


EMPTY_OBJECT = "an empty object fails the batch importer"


class _NonEmpty(_Strict):
    """A Struct whose fields are all optional, refusing ``{}`` as the importer does (an empty object
    fails the whole job)."""

    def __post_init__(self) -> None:
        if msgspec.structs.astuple(self) == _ALL_UNSET.get(type(self)):
            raise ValueError(EMPTY_OBJECT)


class ThinkingConfig(_NonEmpty):
    include_thoughts: bool | UnsetType = UNSET
    thinking_budget: Annotated[int, Meta(ge=-1)] | UnsetType = UNSET
    thinking_level: Literal["THINKING_LEVEL_UNSPECIFIED", "LOW", "MEDIUM", "HIGH", "MINIMAL"] | UnsetType = UNSET


Penalty = Annotated[float, Meta(ge=-2, lt=2)]


class GenerationConfig(_NonEmpty):
    temperature: Annotated[float, Meta(ge=0, le=2)] | UnsetType = UNSET
    top_p: Annotated[float, Meta(ge=0, le=1)] | UnsetType = UNSET
    top_k: Annotated[float, Meta(ge=1)] | UnsetType = UNSET
    candidate_count: Annotated[int, Meta(ge=1, le=8)] | UnsetType = UNSET
    max_output_tokens: Annotated[int, Meta(ge=1)] | UnsetType = UNSET
    stop_sequences: Annotated[list[NonEmptyText], Meta(max_length=5)] | UnsetType = UNSET
    presence_penalty: Penalty | UnsetType = UNSET
    frequency_penalty: Penalty | UnsetType = UNSET
    seed: int | UnsetType = UNSET
    response_mime_type: Literal["text/plain", "application/json", "text/x.enum"] | UnsetType = UNSET
    response_modalities: list[Literal["MODALITY_UNSPECIFIED", "TEXT", "IMAGE", "AUDIO"]] | UnsetType = UNSET
    response_logprobs: bool | UnsetType = UNSET
    logprobs: Annotated[int, Meta(ge=1, le=20)] | UnsetType = UNSET
    audio_timestamp: bool | UnsetType = UNSET
    media_resolution: Literal[
        "MEDIA_RESOLUTION_UNSPECIFIED", "MEDIA_RESOLUTION_LOW", "MEDIA_RESOLUTION_MEDIUM", "MEDIA_RESOLUTION_HIGH",
    ] | UnsetType = UNSET
    thinking_config: ThinkingConfig | UnsetType = UNSET

    def __post_init__(self) -> None:
        # most configs set one of these two: the whole tuple is looked at only when neither is
        if self.temperature is UNSET and self.max_output_tokens is UNSET:
            super().__post_init__()


#: ``astuple`` of an empty instance of each :class:`_NonEmpty` Struct.
_ALL_UNSET: dict[type[Struct], tuple[UnsetType, ...]] = {
    kind: (UNSET,) * len(kind.__struct_fields__) for kind in (ThinkingConfig, GenerationConfig)
}

Labels = Annotated[
    dict[Annotated[str, Meta(min_length=1, max_length=63)], Annotated[str, Meta(max_length=63)]], _NON_EMPTY
]


class GenerateContentRequest(_Strict, Generic[P]):
    contents: Annotated[list[Content[P]], _NON_EMPTY]
    system_instruction: SystemInstruction[P] | UnsetType = UNSET
    safety_settings: list[SafetySetting] | UnsetType = UNSET
    generation_config: GenerationConfig | UnsetType = UNSET
    labels: Labels | UnsetType = UNSET
    cached_content: NonEmptyText | UnsetType = UNSET


@functools.cache
def line_decoders(key_fields: tuple[str, ...]) -> tuple[msgspec.json.Decoder[Any], ...]:
    """Return the decoders of one input line, to try in order: text parts only, then every part known here.

    A line is ``request`` and, optionally, each of ``key_fields`` as a string; the decoded value has an
    attribute per field (:data:`msgspec.UNSET` when the line lacks it). A line with any other top-level
    key is refused (it goes to the next tier). Text-only requests, the common case, skip :class:`Part`'s
    check in Python.

    :param key_fields: top-level string fields allowed beside ``request``, each a valid column name.
    """
    fields: list[tuple[str, Any, Any]] = [(name, str | UnsetType, UNSET) for name in key_fields]
    return tuple(
        msgspec.json.Decoder(msgspec.defstruct("Line", [("request", request), *fields], forbid_unknown_fields=True,
                                               gc=False))
        for request in (GenerateContentRequest[TextPart], GenerateContentRequest[Part])
    )


#: What a refusing decoder raises: a line that is not JSON, not UTF-8, or not of the shape above.
DecodeRefusal = (msgspec.DecodeError, UnicodeDecodeError)
