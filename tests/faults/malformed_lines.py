"""A registry of malformed input lines, one per distinct kind of mistake (pure data).

Each must be reported by validation with its line number. Add a kind by appending a
:class:`Malformed`; ``pending`` names what validation does not catch yet (the case is then an
expected failure with that reason, never a silent pass). :data:`NOTED` holds lines that are valid by
Google's schema but draw a note (a limit Google does not document, a field only v1beta1 knows, nesting
deeper than the importer is thought to allow): uploaded, and reported with their line number.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

#: A valid line; the malformed ones are variations of it.
VALID: dict[str, Any] = {"key": "ok", "request": {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}}


@dataclass(frozen=True)
class Malformed:
    """One kind of malformed line: ``kind`` names it, ``raw`` is the line without its line break."""

    kind: str
    raw: bytes
    pending: str = ""


def _line(value: Any) -> bytes:
    return json.dumps(value).encode()


def _request(**fields: Any) -> bytes:
    """A line whose request is the valid one with ``fields`` replaced."""
    return _line({"key": "m", "request": {**VALID["request"], **fields}})


def _parts(*parts: Any) -> bytes:
    return _request(contents=[{"role": "user", "parts": list(parts)}])


def _config(**fields: Any) -> bytes:
    return _request(generationConfig=fields)


def _nested(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {"type": "STRING"}
    for _ in range(depth):
        value = {"type": "OBJECT", "properties": {"field": value}}
    return value


_VALID_TEXT = json.dumps(VALID)

MALFORMED: tuple[Malformed, ...] = (
    # -- not a JSON object at all
    Malformed("blank-line", b""),
    Malformed("whitespace-only", b"   \t  "),
    Malformed("byte-order-mark", "\ufeff".encode() + _VALID_TEXT.encode()),
    Malformed("invalid-utf8", b'{"request": "\xff\xfe"}'),
    Malformed("latin1-text", '{"key": "café", "request": {}}'.encode("latin-1")),
    Malformed("plain-text", b"please summarise this"),
    Malformed("truncated-json", _VALID_TEXT[: len(_VALID_TEXT) // 2].encode()),
    Malformed("trailing-comma", b'{"request": {"contents": []},}'),
    Malformed("single-quotes", b"{'request': {'contents': []}}"),
    Malformed("nan-literal", _VALID_TEXT[:-1].encode() + b', "score": NaN}'),
    Malformed("infinity-literal", _VALID_TEXT[:-1].encode() + b', "score": Infinity}'),
    Malformed("two-objects-on-one-line", (_VALID_TEXT + " " + _VALID_TEXT).encode()),
    Malformed("json-array", _line([VALID])),
    Malformed("json-string", b'"request"'),
    Malformed("json-number", b"42"),
    Malformed("json-null", b"null"),
    Malformed("json-true", b"true"),
    # -- the wrapper
    Malformed("missing-request", _line({"key": "m"})),
    Malformed("request-is-string", _line({"request": "hello"})),
    Malformed("request-is-array", _line({"request": []})),
    Malformed("request-is-null", _line({"request": None})),
    Malformed("top-level-key-not-a-column-name", _line({**VALID, "my key": "x"})),
    Malformed("top-level-key-changes-type", _line({**VALID, "key": 5})),
    # -- contents and parts
    Malformed("missing-contents", _line({"request": {}})),
    Malformed("contents-empty", _request(contents=[])),
    Malformed("contents-is-object", _request(contents={"role": "user"})),
    Malformed("contents-is-string", _request(contents="hello")),
    Malformed("content-is-string", _request(contents=["hello"])),
    Malformed("content-without-parts", _request(contents=[{"role": "user"}])),
    Malformed("parts-empty", _request(contents=[{"role": "user", "parts": []}])),
    Malformed("parts-is-string", _request(contents=[{"role": "user", "parts": "hello"}])),
    Malformed("role-tester", _request(contents=[{"role": "tester", "parts": [{"text": "x"}]}])),
    Malformed("role-system", _request(contents=[{"role": "system", "parts": [{"text": "x"}]}])),
    Malformed("part-is-string", _parts("hello")),
    Malformed("part-empty-object", _parts({})),
    Malformed("part-two-kinds", _parts({"text": "a", "fileData": {"mimeType": "image/png", "fileUri": "gs://b/o"}})),
    Malformed("text-is-number", _parts({"text": 5})),
    Malformed("thought-not-boolean", _parts({"text": "x", "thought": "yes"})),
    Malformed("inline-data-without-mime-type", _parts({"inlineData": {"data": "aGk="}})),
    Malformed("inline-data-empty", _parts({"inlineData": {"mimeType": "image/png", "data": ""}})),
    Malformed("mime-type-without-slash", _parts({"inlineData": {"mimeType": "png", "data": "aGk="}})),
    Malformed("file-data-without-uri", _parts({"fileData": {"mimeType": "image/png"}})),
    Malformed("file-uri-empty", _parts({"fileData": {"mimeType": "image/png", "fileUri": ""}})),
    Malformed("function-declaration-without-name",
              _request(tools=[{"functionDeclarations": [{"description": "looks a word up"}]}])),
    Malformed("function-name-too-long", _request(tools=[{"functionDeclarations": [{"name": "f" * 129}]}])),
    Malformed("video-fps-zero", _parts({"fileData": {"mimeType": "video/mp4", "fileUri": "gs://b/v.mp4"},
                                        "videoMetadata": {"fps": 0}})),
    Malformed("duration-without-unit", _parts({"fileData": {"mimeType": "video/mp4", "fileUri": "gs://b/v.mp4"},
                                               "videoMetadata": {"startOffset": "10"}})),
    Malformed("base64-with-spaces", _parts({"inlineData": {"mimeType": "image/png", "data": "aGk gaGk="}})),
    Malformed("function-response-without-response", _parts({"functionResponse": {"name": "f"}})),
    Malformed("system-instruction-without-parts", _request(systemInstruction={"role": "system"})),
    # -- generation config
    Malformed("generation-config-is-string", _request(generationConfig="fast")),
    Malformed("temperature-above-2", _config(temperature=3)),
    Malformed("temperature-is-string", _config(temperature="hot")),
    Malformed("max-output-tokens-fraction", _config(maxOutputTokens=10.5)),
    Malformed("stop-sequences-numbers", _config(stopSequences=[1, 2])),
    Malformed("seed-fraction", _config(seed=1.5)),
    Malformed("response-logprobs-not-boolean", _config(responseLogprobs="yes")),
    Malformed("presence-penalty-above-2", _config(presencePenalty=2.5)),
    Malformed("response-schema-without-json-mime-type", _config(responseSchema={"type": "STRING"})),
    Malformed("response-schema-and-json-schema", _config(responseMimeType="application/json",
                                                          responseSchema={"type": "STRING"},
                                                          responseJsonSchema={"type": "string"})),
    Malformed("response-schema-lowercase-type", _config(responseMimeType="application/json",
                                                         responseSchema={"type": "string"})),
    Malformed("field-name-misspelled", _request(generationConfg={"temperature": 1})),
    Malformed("nested-field-name-misspelled", _config(thinkingConfig={"thinkingBudgt": 10})),
    Malformed("camel-and-snake-twins", _request(generationConfig={"seed": 1}, generation_config={"seed": 2})),
    Malformed("snake-case-field-wrong-type", _request(generation_config={"max_output_tokens": "many"})),
    # -- safety, tools, labels, cache
    Malformed("safety-setting-without-threshold", _request(safetySettings=[{"category": "HARM_CATEGORY_HATE_SPEECH"}])),
    Malformed("safety-settings-is-object", _request(safetySettings={"category": "x", "threshold": "y"})),
    Malformed("tool-empty-object", _request(tools=[{}])),
    Malformed("tools-is-object", _request(tools={"googleSearch": {"x": 1}})),
    Malformed("empty-object-in-tool", _request(tools=[{"googleSearch": {}}])),
    Malformed("labels-number-value", _request(labels={"team": 1})),
    Malformed("empty-tool-config", _request(toolConfig={})),
)

#: Valid lines that draw a note: uploaded, each reported with its line number.
NOTED: tuple[Malformed, ...] = (
    Malformed("top-p-above-1", _config(topP=1.5)),
    Malformed("top-k-zero", _config(topK=0)),
    Malformed("max-output-tokens-zero", _config(maxOutputTokens=0)),
    Malformed("candidate-count-negative", _config(candidateCount=-1)),
    Malformed("logprobs-negative", _config(logprobs=-1)),
    Malformed("stop-sequences-six", _config(stopSequences=["a", "b", "c", "d", "e", "f"])),
    Malformed("v1beta1-only-field", _config(modelConfig={"featureSelectionPreference": "BALANCED"})),
    Malformed("nesting-deeper-than-15", _config(responseMimeType="application/json", responseSchema=_nested(16))),
)
