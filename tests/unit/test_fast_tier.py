"""The first tier of validation, the msgspec Structs made from the schema: a line they accept must be
valid for the reference (jsonschema and the importer checks) and draw no note, every kind of shape must
take them, and a scan with them must report exactly what a scan without them reports: the same invalid
lines, problems, notes, files, warnings and uploaded bytes."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from airflow_batch_gemini.fieldnames import snake_case
from airflow_batch_gemini.input.fast_tier import (
    FAMILIES,
    DecodeRefusal,
    built_messages,
    left_to_next_tier,
    line_decoders,
)
from airflow_batch_gemini.input.line_checks import line_notes, validate_line
from airflow_batch_gemini.input.scanner import GROUP_LINES, InputScan, scan_blocks, scan_lines
from airflow_batch_gemini.input.schema import LineValidator, default_validator, line_schema, load_request_schema
from airflow_batch_gemini.lines import iter_line_blocks
from tests.faults.malformed_lines import MALFORMED
from tests.seed import SEED_INPUT

#: The same schema with the first tier switched off: the second tier and the reference decide alone.
WITHOUT_STRUCTS = LineValidator(line_schema())


def decodes(decoder: Any, raw: bytes) -> bool:
    try:
        decoder.decode(raw)
    except DecodeRefusal:
        return False
    return True


def first_tier_accepts(raw: bytes) -> bool:
    decoders = line_decoders(("key",))
    verdicts = [decodes(decoder, raw) for decoder in decoders]
    for index, family in enumerate(FAMILIES):
        if family.variant != "general" and verdicts[index]:  # a variant accepts only what the next one accepts
            assert verdicts[index + 1], f"the variant {family} accepts what the next one refuses"
    return any(verdicts) and utf8(raw)


def utf8(raw: bytes) -> bool:
    """The scanner's own check beside the decoders: msgspec keeps some values undecoded."""
    try:
        raw.decode()
    except UnicodeDecodeError:
        return False
    return True


def reference_accepts(raw: bytes) -> bool:
    return validate_line(raw, 1) == []


def reference_clean(raw: bytes) -> bool:
    """Valid for the reference, and no note."""
    return reference_accepts(raw) and line_notes(json.loads(raw), 1, default_validator()) == []


def line(request: Any, **extra: Any) -> bytes:
    return json.dumps({"request": request, **extra}).encode() + b"\n"


def text_request(**fields: Any) -> dict[str, Any]:
    return {"contents": [{"role": "user", "parts": [{"text": "hi"}]}], **fields}


def respelled(value: Any, free: frozenset[str] = frozenset({"args", "response", "responseJsonSchema", "labels",
                                                            "parametersJsonSchema", "properties"})) -> Any:
    """``value`` with every field name in snake_case (not the keys of maps and free-form JSON)."""
    if isinstance(value, list):
        return [respelled(item) for item in value]
    if not isinstance(value, dict):
        return value
    return {snake_case(key): item if key in free - {"properties"} else
            {name: respelled(schema) for name, schema in item.items()} if key == "properties" and isinstance(item, dict)
            else respelled(item)
            for key, item in value.items()}


WEATHER = {"name": "get_weather", "description": "The weather in a city.", "parameters": {
    "type": "OBJECT", "properties": {"city": {"type": "STRING", "description": "a city"},
                                     "days": {"type": "INTEGER", "minimum": 1, "maximum": 7}},
    "required": ["city"]}}
RECIPE = {"type": "ARRAY", "items": {"type": "OBJECT", "propertyOrdering": ["name", "steps"], "properties": {
    "name": {"type": "STRING"}, "steps": {"type": "ARRAY", "items": {"type": "OBJECT", "properties": {
        "text": {"type": "STRING", "nullable": True}, "minutes": {"type": "NUMBER", "format": "float"}}}},
    "kind": {"type": "STRING", "enum": ["soup", "cake"]}, "either": {"anyOf": [{"type": "STRING"},
                                                                               {"type": "INTEGER"}]}}}}
JSON_SCHEMA = {"type": "object", "properties": {"answer": {"type": "string"}, "score": {"type": "number"}},
               "required": ["answer"], "additionalProperties": False}
MULTIMODAL = {"contents": [{"role": "user", "parts": [
    {"fileData": {"mimeType": "video/mp4", "fileUri": "gs://bucket/clip.mp4"},
     "videoMetadata": {"startOffset": "1.5s", "endOffset": "10s", "fps": 2}},
    {"inlineData": {"mimeType": "image/png", "data": "iVBORw0KGgo="}}, {"text": "What happens?"}]}]}
TOOLS = text_request(
    tools=[{"functionDeclarations": [WEATHER, {"name": "now", "parametersJsonSchema": JSON_SCHEMA}]}],
    toolConfig={"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["get_weather"]}})
RESPONSE_SCHEMA = text_request(generationConfig={"responseMimeType": "application/json", "responseSchema": RECIPE})
RESPONSE_JSON_SCHEMA = text_request(generationConfig={"responseMimeType": "application/json",
                                                      "responseJsonSchema": JSON_SCHEMA, "temperature": 0})
THINKING = text_request(generationConfig={"thinkingConfig": {"thinkingBudget": 1024, "includeThoughts": True}},
                        systemInstruction={"parts": [{"text": "be brief"}]},
                        safetySettings=[{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_NONE"}],
                        labels={"team": "ml", "run": "2026-01"})
CONVERSATION = {"contents": [
    {"role": "user", "parts": [{"text": "weather in Paris?"}]},
    {"role": "model", "parts": [{"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}}]},
    {"role": "user", "parts": [{"functionResponse": {"name": "get_weather", "response": {"celsius": 21}}}]}],
    "tools": [{"functionDeclarations": [WEATHER]}]}

COMMON_SHAPES = [
    SEED_INPUT.read_bytes().splitlines()[0],
    line(text_request(), key="row-1"),
    line({"contents": [{"parts": [{"inlineData": {"mimeType": "image/png", "data": "AA=="}}, {"text": "what?"}]}]}),
    line({"contents": [{"role": "user", "parts": [{"text": "a"}]}, {"role": "model", "parts": [{"text": "b"}]}]}),
    line(text_request(systemInstruction={"parts": [{"text": "be brief"}], "role": "user"})),
    line(text_request(safetySettings=[{"category": "HARM_CATEGORY_HATE_SPEECH", "threshold": "BLOCK_NONE",
                                       "method": "SEVERITY"}])),
    line(text_request(generationConfig={
        "temperature": 2, "topP": 0, "topK": 40, "candidateCount": 8, "maxOutputTokens": 1, "seed": -3,
        "stopSequences": ["a"] * 5, "presencePenalty": -2, "frequencyPenalty": 1.99, "logprobs": 20,
        "responseMimeType": "application/json", "responseModalities": ["TEXT"], "responseLogprobs": True,
        "audioTimestamp": False, "mediaResolution": "MEDIA_RESOLUTION_LOW",
        "thinkingConfig": {"thinkingBudget": -1, "includeThoughts": True, "thinkingLevel": "HIGH"},
    })),
    line(text_request(generationConfig={"seed": 1}, labels={"team": "ml"}, cachedContent="projects/p/c/1")),
    line({"contents": [{"parts": [{"text": "x", "thought": True, "thoughtSignature": "c2ln"}]}]}),
    b'{ "request" : { "contents" : [ { "parts" : [ { "text" : "{ x }" } ] } ] } }  \r\n',
    line(text_request(generationConfig={"seed": 2**31 - 1}), key=""),
]
#: Every kind of shape a realistic input mixes, each in both spellings.
MIX_SHAPES = [line(request, key="k") for request in (MULTIMODAL, TOOLS, RESPONSE_SCHEMA, RESPONSE_JSON_SCHEMA,
                                                      THINKING, CONVERSATION)]
MIX_SHAPES += [line(respelled(json.loads(raw)["request"]), key="k") for raw in MIX_SHAPES]


@pytest.mark.parametrize("raw", COMMON_SHAPES + MIX_SHAPES)
def test_every_kind_of_shape_takes_the_first_tier(raw: bytes) -> None:
    assert first_tier_accepts(raw)
    assert reference_clean(raw)
    scan = scan_lines([raw] * 3)
    assert scan.row_count == 3 and scan.note_count == 0


def test_the_structs_cover_every_message_but_those_listed() -> None:
    """Every message of the schema has Structs, but those only v1beta1 knows: a line using them draws a note.
    Each field left out is one whose every value draws a note, or a Schema field at the deepest level."""
    messages = set(load_request_schema()["$defs"])
    assert messages - built_messages() == {"GenerationConfigModelConfig", "RagRetrievalConfigHybridSearch"}
    for (message, field), why in left_to_next_tier().items():
        assert field, f"the message {message} is left out: {why}"
        assert why.startswith(("any value draws a note", "at the deepest level only")), (message, field, why)


#: Lines the first tier hands on, each with the reference's verdict: valid ones it does not describe, and
#: invalid ones, among them every kind of empty object it can meet.
HANDED_ON = [
    (line(text_request(generation_config={"temperature": 1}, safetySettings=[
        {"category": "HARM_CATEGORY_HARASSMENT", "threshold": "OFF"}])), True),  # mixed spellings
    (line(text_request(generationConfig={"responseMimeType": "application/json", "responseSchema": None})), True),
    (line(text_request(generationConfig={"seed": "7"})), True),  # an int32 as a string
    (line(text_request(safetySettings=[{"category": 7, "threshold": "OFF"}])), True),  # an enum number
    (line(text_request(), key=7), True),
    (line(text_request(), id="a"), True),
    (line(text_request(generationConfig={"maxOutputTokens": 256.0})), True),
    (line(text_request(generationConfig={"stopSequences": ["a"] * 6})), True),  # valid, with a note
    (line(text_request(generationConfig={"candidateCount": 9})), True),  # valid, with a note
    (line({"contents": [{"parts": [{"text": "a", "mediaProcessing": "STATIC"}]}]}), True),  # v1beta1 only: a note
    (line(text_request(tools=[{"functionDeclarations": [{"name": "f", "parametersJsonSchema": {
        "a": {"b": {"c": {"d": {"e": {"f": {"g": {"h": {"i": {"j": {"k": {"l": {"m": 1}}}}}}}}}}}}}}]}])), True),
    (line(text_request(generationConfig={})), False),
    (line(text_request(generationConfig={"thinkingConfig": {}})), False),
    (line(text_request(labels={})), False),
    (line(text_request(labels={"team": "ML"})), False),
    (line({"contents": [{"parts": [{}]}]}), False),
    (line(text_request(tools=[{"functionDeclarations": [{"name": "f", "parametersJsonSchema": {"a": {}}}]}])),
     False),
    (line(text_request(tools=[{"functionDeclarations": [{"name": "f", "parameters": {"type": "OBJECT"},
                                                         "parametersJsonSchema": {"type": "object"}}]}])), False),
    (line(text_request(generationConfig={"responseSchema": {"type": "OBJECT"}})), False),
    (line(text_request(generationConfig={"responseMimeType": "text/plain", "responseJsonSchema": True})), False),
    (line({"contents": [{"parts": [{"text": "a", "fileData": {"fileUri": "gs://b/o", "mimeType": "a/b"}}]}]}), False),
    (line({"contents": [{"parts": [{"thought": True}]}]}), False),
    (line({"contents": [{"role": "tester", "parts": [{"text": "a"}]}]}), False),
    (line({"contents": []}), False),
    (line(text_request(generationConfig={"temperature": 2.01})), False),
    (line(text_request(generationConfig={"presencePenalty": 2.5})), False),
    (line(text_request(generationConfig={"seed": 2**31})), False),
    (line(text_request(generationConfig={"responseLogprobs": 1})), False),
    (line(text_request(labels={"a": "x" * 64})), False),
    (line({"contents": [{"parts": [{"inlineData": {"mimeType": "image/png\n", "data": "AA=="}}]}]}), False),
    (line({"contents": [{"parts": [{"inlineData": {"mimeType": "image/png", "data": "A"}}]}]}), False),
    (line({"contents": [{"parts": [{"videoMetadata": {"fps": 25}, "text": "a"}]}]}), False),
    (b'{"request": {"contents": [{"parts": [{"text": "a"}]}]}, "request": 5}\n', False),
    (b'{"request": 5, "request": {"contents": [{"parts": [{"text": "a"}]}]}}\n', True),
    (b'{"request": {"contents": [{"parts": [{"functionCall": {"name": "f", "args": {"a": "\xff"}}}]}]}}\n', False),
    # a key given twice: msgspec skips the first copy of a value it keeps undecoded, without looking at its UTF-8
    (b'{"request": {"contents": [{"parts": [{"functionCall": {"name": "f", "args": {"a": "\xff"}, '
     b'"args": {"a": 1}}}]}]}}\n', False),
    (b'{"request": {"contents": [{"parts": [{"text": "a"}]}], '
     b'"tools": [{"googleSearch": {"excludeDomains": ["\xff"]}}], '
     b'"tools": [{"googleSearch": {"excludeDomains": ["a"]}}]}}\n', False),
]


@pytest.mark.parametrize(("raw", "valid"), HANDED_ON)
def test_lines_the_first_tier_hands_on_get_the_references_verdict(raw: bytes, valid: bool) -> None:
    assert reference_accepts(raw) is valid
    assert not first_tier_accepts(raw)
    assert (scan_lines([raw]).row_count == 1) is valid


@pytest.mark.parametrize("case", MALFORMED, ids=[case.kind for case in MALFORMED])
def test_no_malformed_kind_passes_the_first_tier(case: Any) -> None:
    assert not first_tier_accepts(case.raw) or reference_clean(case.raw)  # some are valid for the new schema


# camelCase lines around the first tier's shape, with a wrong value, an unknown or empty field now and then
WRONG = st.one_of(st.none(), st.booleans(), st.integers(-3, 300), st.floats(-3, 3, allow_nan=False),
                  st.sampled_from(["", "x", "1", "{}", "user", "image/png", "gs://b/o"]), st.just({}), st.just([]))


def rarely(odd: st.SearchStrategy[Any], usual: st.SearchStrategy[Any], one_in: int = 40) -> st.SearchStrategy[Any]:
    """``usual``, and one time in ``one_in`` ``odd``."""
    return st.integers(1, one_in).flatmap(lambda draw: odd if draw == 1 else usual)


def maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly a plausible value, rarely a wrong one."""
    return rarely(WRONG, strategy)


def loose(fields: dict[str, st.SearchStrategy[Any]], required: tuple[str, ...] = ()) -> st.SearchStrategy[Any]:
    """An object with some of ``fields`` (the ``required`` ones mostly there); rarely empty, or with an
    unknown field."""
    optional = {name: maybe(value) for name, value in fields.items() if name not in required}
    base = st.fixed_dictionaries({name: maybe(fields[name]) for name in required}, optional=optional).filter(bool)
    unknown = st.tuples(base, WRONG).map(lambda pair: {**pair[0], "unknownField": pair[1]})
    return rarely(st.just({}), rarely(unknown, base))


def edge(good: st.SearchStrategy[Any], *bad: Any) -> st.SearchStrategy[Any]:
    """Values within bounds (their edges included), and one time in eight a value just beyond."""
    return rarely(st.sampled_from(bad), good, 8)


MIME = rarely(st.sampled_from(["png", "image/png\n", "a/b/c", ""]), st.sampled_from(["image/png", "video/mp4"]), 5)
PART = st.one_of(
    loose({"text": st.text(max_size=4), "thought": st.booleans(), "thoughtSignature": edge(st.just("c2ln"), "")},
          ("text",)),
    loose({"inlineData": loose({"mimeType": MIME, "data": edge(st.just("AA=="), "")}, ("mimeType", "data"))},
          ("inlineData",)),
    loose({"fileData": loose({"mimeType": MIME, "fileUri": edge(st.sampled_from(["gs://b/o.png", "https://e.com/x"]),
                                                                 "http://e.com", "gs://", "gs://B/o")},
                             ("mimeType", "fileUri"))},
        ("fileData",)),
)
PART = rarely(st.just({"text": "a", "fileData": {"mimeType": "a/b", "fileUri": "gs://b/o"}}), PART)
PARTS = rarely(st.just([]), st.lists(PART, min_size=1, max_size=3))
CONTENT = loose({"parts": PARTS, "role": rarely(st.just("tester"), st.sampled_from(["user", "model"]), 10)}, ("parts",))
GENERATION_CONFIG = loose({
    "temperature": edge(st.sampled_from([0, 2, 0.7]) | st.floats(0, 2), -0.01, 2.01),
    "topP": edge(st.floats(0, 1), -0.5, 1.5), "topK": edge(st.integers(1, 3) | st.just(1.5), 0, 0.99),
    "candidateCount": edge(st.integers(1, 8), 0, 9, 1.5), "maxOutputTokens": edge(st.integers(1, 3), 0, 2.0, True),
    "stopSequences": edge(st.lists(st.just("a"), max_size=5), ["a"] * 6, [""]), "seed": edge(st.integers(-2, 2), "1"),
    "presencePenalty": edge(st.floats(-2, 1.99), 2, -2.01), "frequencyPenalty": edge(st.sampled_from([-2, 1.99]), 2),
    "logprobs": edge(st.integers(1, 20), 0, 21), "responseMimeType": edge(st.just("application/json"), "text/csv"),
    "responseModalities": edge(st.lists(st.just("TEXT"), max_size=2), ["VIDEO"]),
    "responseLogprobs": edge(st.booleans(), 1), "mediaResolution": edge(st.just("MEDIA_RESOLUTION_LOW"), "LOW"),
    "thinkingConfig": loose({"thinkingBudget": edge(st.integers(-1, 2), -2), "includeThoughts": st.booleans(),
                             "thinkingLevel": edge(st.just("LOW"), "LOUD")}),
})
NAME = edge(st.sampled_from(["f", "get_weather", "a.b:c-d"]), "1f", "", "x" * 129)
SCHEMA = st.deferred(lambda: loose({
    "type": edge(st.sampled_from(["OBJECT", "STRING", "ARRAY", "NUMBER"]), "object", 3),
    "description": st.text(max_size=3), "nullable": st.booleans(), "enum": st.lists(st.just("a"), max_size=2),
    "format": st.just("float"), "minimum": edge(st.integers(0, 3), "1", "x"), "maxItems": st.just(3),
    "propertyOrdering": st.lists(st.just("a"), max_size=2), "default": rarely(st.just({"a": {}}), st.just({"a": 1})),
    "items": SCHEMA, "anyOf": st.lists(SCHEMA, min_size=1, max_size=2),
    "properties": st.dictionaries(rarely(st.just("1x"), st.sampled_from(["a", "b_c"])), SCHEMA, min_size=1,
                                  max_size=2),
}))
JSON_VALUE = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=3),
                          lambda inner: st.lists(inner, max_size=2) | st.dictionaries(st.text(max_size=2), inner,
                                                                                     max_size=2), max_leaves=12)
FUNCTION = loose({"name": NAME, "description": st.text(max_size=3), "parameters": SCHEMA,
                  "parametersJsonSchema": JSON_VALUE, "behavior": edge(st.just("BLOCKING"), "SOON", 1)}, ("name",))
TOOL = loose({"functionDeclarations": st.lists(FUNCTION, max_size=2),
              "googleSearch": loose({"excludeDomains": st.lists(st.just("x.com"), max_size=1)})})
PART = st.one_of(PART, loose({"functionCall": loose({"name": NAME, "args": st.dictionaries(st.text(max_size=2),
                                                                                          JSON_VALUE, max_size=2)}),
                              "thoughtSignature": st.just("c2ln")}, ("functionCall",)),
                 loose({"text": st.just("see"), "videoMetadata": loose({
                     "fps": edge(st.sampled_from([1, 24, 0.5]), 0, 25, "2"),
                     "startOffset": edge(st.sampled_from(["1s", "1.5s"]), "1", "1.5 s")})}, ("text",)))
PARTS = rarely(st.just([]), st.lists(PART, min_size=1, max_size=3))
CONTENT = loose({"parts": PARTS, "role": rarely(st.just("tester"), st.sampled_from(["user", "model"]), 10)}, ("parts",))
JSON_CONFIG = st.fixed_dictionaries({"responseMimeType": edge(st.just("application/json"), "text/plain")},
                                    optional={"responseSchema": SCHEMA, "responseJsonSchema": JSON_VALUE,
                                              "temperature": st.floats(0, 2)})
REQUEST = loose({
    "contents": rarely(st.just([]), st.lists(CONTENT, min_size=1, max_size=2)),
    "systemInstruction": loose({"parts": PARTS, "role": st.sampled_from(["user", "system"])}, ("parts",)),
    "safetySettings": st.lists(loose({
        "category": edge(st.just("HARM_CATEGORY_HARASSMENT"), "HARASSMENT", 2),
        "threshold": edge(st.just("BLOCK_NONE"), "HIGH"), "method": edge(st.just("SEVERITY"), "X")},
        ("category", "threshold")), max_size=2),
    "generationConfig": st.one_of(GENERATION_CONFIG, JSON_CONFIG),
    "labels": edge(st.dictionaries(st.sampled_from(["team", "a" * 63]), st.sampled_from(["x", "y" * 63]), min_size=1,
                                   max_size=2),
                   {"": "x"}, {"a" * 64: "x"}, {"team": "y" * 64}, {"Team": "x"}, {"team": "ML"}),
    "cachedContent": edge(st.just("c"), ""),
    "tools": st.lists(TOOL, max_size=2),
    "toolConfig": loose({"functionCallingConfig": loose({"mode": edge(st.just("ANY"), "ALL"),
                                                         "allowedFunctionNames": st.lists(NAME, max_size=1)})}),
}, ("contents",))
KEY = st.sampled_from(["a1", "r00000001", "1", " 2.5", "", "-x"]) | rarely(st.integers(0, 9), st.just("b2"), 4)
CAMEL_LINE = rarely(st.fixed_dictionaries({"request": REQUEST}, optional={"key": KEY, "id": KEY}),
                    st.fixed_dictionaries({"request": maybe(REQUEST)}, optional={"key": KEY}), 10)
def spelled(value: dict[str, Any], choice: int) -> dict[str, Any]:
    """``value`` as drawn (choice > 1), in snake_case (1), or with one snake_case field added (0)."""
    request = value["request"]
    if choice > 1 or not isinstance(request, dict):
        return value
    if choice == 1:
        return {**value, "request": respelled(request)}
    return {**value, "request": {**request, "generation_config": {"top_k": 2}}}


#: Requests of the mix shapes, their tools, schema or config redrawn (which keeps most of them valid).
MIX_REQUEST = st.builds(lambda base, tools, config: {**base, **tools, **config},
                        st.sampled_from([MULTIMODAL, TOOLS, RESPONSE_SCHEMA, THINKING, CONVERSATION]),
                        st.just({}) | st.builds(lambda tools: {"tools": tools}, st.lists(TOOL, min_size=1, max_size=2)),
                        st.just({}) | st.builds(lambda config: {"generationConfig": config}, JSON_CONFIG))
CAMEL_LINE = st.one_of(CAMEL_LINE, st.fixed_dictionaries({"request": MIX_REQUEST}, optional={"key": KEY}))
#: Lines mostly lowerCamel, about one in four snake_case (its request respelled), now and then mixed.
LINE = st.builds(spelled, CAMEL_LINE, st.integers(0, 7))


def encoded(value: dict[str, Any], spaced: bool) -> bytes:
    return json.dumps(value, separators=(", ", ": ") if spaced else (",", ":")).encode() + b"\n"


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(LINE, st.booleans())
def test_a_line_the_first_tier_accepts_is_valid(value: dict[str, Any], spaced: bool) -> None:
    raw = encoded(value, spaced)
    if first_tier_accepts(raw):
        assert reference_clean(raw), f"the first tier accepts a line the reference refuses or notes: {raw[:400]!r}"


def scan_report(scan: InputScan) -> tuple[Any, ...]:
    return (scan.line_count, list(scan.invalid_lines), [str(p) for p in scan.problems], scan.problem_count,
            [(s.first_line, s.last_line, s.row_count, s.digest.size, s.digest.crc32c, s.digest.md5)
             for s in scan.shards], scan.columns.warnings(), [str(note) for note in scan.notes], scan.note_count)


def scan_both(lines: list[bytes], blocks: list[bytes] | None = None,
              **options: Any) -> tuple[tuple[Any, ...], tuple[Any, ...], list[bytes], list[bytes]]:
    """The reports (rejects records included) and uploaded bytes of a scan with and without the first tier
    (which reads ``blocks``, by default all lines in one block)."""
    with_tier: list[bytes] = []
    without: list[bytes] = []
    rejects: tuple[list[bytes], list[bytes]] = ([], [])
    fast = scan_blocks(blocks or [b"".join(lines)], default_validator(), 10_000, digest=True,
                       on_reject=rejects[0].append,
                       on_rows=lambda index, data: with_tier.append(b"%d:" % index + data), **options)
    slow = scan_lines(lines, WITHOUT_STRUCTS, 10_000, digest=True, on_reject=rejects[1].append,
                      on_rows=lambda index, data: without.append(b"%d:" % index + data), **options)
    return (*scan_report(fast), rejects[0]), (*scan_report(slow), rejects[1]), with_tier, without


def by_file(chunks: list[bytes]) -> dict[bytes, bytes]:
    files: dict[bytes, bytes] = {}
    for chunk in chunks:
        index, _, data = chunk.partition(b":")
        files[index] = files.get(index, b"") + data
    return files


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(st.tuples(LINE, st.booleans()), min_size=1, max_size=40), st.integers(0, 2 * GROUP_LINES),
       st.sampled_from([None, "key", "id"]), st.sampled_from([3, 1000]), st.booleans())
def test_a_scan_reports_the_same_with_and_without_the_first_tier(
    values: list[tuple[dict[str, Any], bool]], common: int, row_key_field: str | None, max_rows: int, one_by_one: bool
) -> None:
    lines = [encoded(value, spaced) for value, spaced in values]
    lines += [line(text_request(), key=f"k{index}") for index in range(common)]  # whole groups of the common shape
    blocks = lines if one_by_one else None  # one line per group: every line's types checked by the first tier
    fast, slow, fast_bytes, slow_bytes = scan_both(lines, blocks, row_key_field=row_key_field,
                                                   max_rows_per_file=max_rows)
    assert fast == slow
    assert by_file(fast_bytes) == by_file(slow_bytes)


@pytest.mark.parametrize(("first", "problems", "warned"), [
    (line(text_request(), key=7), GROUP_LINES, False),  # every string key after an integer one
    (line(text_request(), key="12"), 1, True),  # the integer key at the end; "12" looks numeric
    (b'{"request": "x"}\n', GROUP_LINES + 3, False),  # "x" is no object, and no later request is a string
])
def test_types_across_lines_and_groups_are_followed_by_both_tiers(first: bytes, problems: int, warned: bool) -> None:
    common = [line(text_request(), key=f"k{index}") for index in range(GROUP_LINES)]
    fast, slow, _, _ = scan_both([first, *common, line(text_request(), key=8)])
    assert fast == slow
    assert fast[3] == problems and bool(fast[5]) is warned


def test_row_keys_are_given_in_the_first_tier_as_in_the_second() -> None:
    lines = [line(text_request()) for _ in range(GROUP_LINES + 3)]
    lines[5] = line(text_request(), key="own")
    fast, slow, fast_bytes, slow_bytes = scan_both(lines, row_key_field="key")
    assert fast == slow and by_file(fast_bytes) == by_file(slow_bytes)
    uploaded = by_file(fast_bytes)[b"0"].splitlines()
    assert uploaded[0].startswith(b'{"key":"r00000001",') and b'"key": "own"' in uploaded[5]
    assert uploaded[-1].startswith(b'{"key":"r%08d",' % (GROUP_LINES + 3))


def test_blocks_cut_anywhere_give_the_same_scan() -> None:
    lines = [line(text_request(), key=f"k{index}") for index in range(3 * GROUP_LINES)]
    lines[400] = line(text_request(generationConfig={}))
    data = b"".join(lines)
    reference = scan_report(scan_lines(lines, WITHOUT_STRUCTS, digest=True))
    for cut in (1, 4096, 65536, len(data) // 2):
        chunks = [data[start : start + cut] for start in range(0, len(data), cut)]
        assert scan_report(scan_blocks(iter_line_blocks(chunks), digest=True)) == reference


VALID_LINE = b'{"request":{"contents":[{"parts":[{"text":"hi"}]}]}'


def test_a_group_refused_for_a_type_change_is_rejected_as_written() -> None:
    lines = [b'{"request":"s"}\n', VALID_LINE + b"}\n"]  # line 2 decodes, but "request" was a string before
    fast, slow, _, _ = scan_both(lines, lines, row_key_field="key", rejects_content="full")
    assert fast == slow
    rejected = [json.loads(record) for record in fast[-1]]
    assert rejected[1]["original"] == VALID_LINE.decode() + "}", "no row key in what the user wrote"


def test_numeric_keys_are_counted_once_when_another_key_field_changes_type() -> None:
    lines = [VALID_LINE + b',"id":5}\n', VALID_LINE + b',"key":"123","id":"a"}\n',
             VALID_LINE + b',"key":"7","id":"b"}\n']
    fast, slow, _, _ = scan_both(lines, [lines[0], lines[1] + lines[2]], row_key_field="id")
    assert fast == slow
    assert "on 2 line(s)" in fast[5][0]


def test_a_row_key_field_that_is_no_column_name_is_refused() -> None:
    for validator in (default_validator(), WITHOUT_STRUCTS):
        with pytest.raises(ValueError, match="row_key_field must be a valid column name"):
            scan_lines([VALID_LINE + b"}\n"], validator, row_key_field="my-id")


def test_a_line_only_the_reference_parses_gets_its_row_key_too() -> None:
    raw = b'{"request":{"contents":[{"parts":[{"text":"\\ud800"}]}]}}\n'  # a lone surrogate escape
    uploaded: list[bytes] = []
    scan = scan_lines([raw], row_key_field="key", on_rows=lambda index, data: uploaded.append(data))
    assert scan.row_count == 1 and uploaded == [b'{"key":"r00000001",' + raw[1:]]
