"""Synthetic batch files, generated on the fly (pure, deterministic): input lines and output rows."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

#: One output row in ten failed, as the service reports it.
FAILURE_EVERY = 10
QUOTA_FAILURE = 'Too Many Requests: {"error": {"code": 429, "message": "quota", "status": "RESOURCE_EXHAUSTED"}}'
_WORDS = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet")


def _text(index: int, chars: int) -> str:
    words: list[str] = []
    length = 0
    position = index
    while length < chars:
        word = _WORDS[position % len(_WORDS)]
        words.append(word)
        length += len(word) + 1
        position = position * 7 + 3
    return " ".join(words)[:chars]


def input_line(index: int, text_chars: int = 200) -> bytes:
    """A valid input line with a ``key`` and a text prompt of about ``text_chars`` characters."""
    line = {
        "key": f"row-{index:08d}",
        "request": {
            "contents": [{"role": "user", "parts": [{"text": _text(index, text_chars)}]}],
            "generationConfig": {"temperature": 0.2, "maxOutputTokens": 256},
        },
    }
    return json.dumps(line, separators=(",", ":")).encode() + b"\n"


def output_row(index: int, text_chars: int = 200) -> bytes:
    """An output row as the service writes it: a success, or (one in ten) a 429 failure."""
    request = {"contents": [{"role": "user", "parts": [{"text": _text(index, text_chars)}]}]}
    row: dict[str, object] = {"status": "", "processed_time": "2026-01-01T00:00:00.000+00:00", "request": request}
    if index % FAILURE_EVERY == FAILURE_EVERY - 1:
        row["status"] = QUOTA_FAILURE
        row["response"] = {}
    else:
        row["response"] = {
            "candidates": [{"content": {"parts": [{"text": _text(index + 1, text_chars)}], "role": "model"},
                            "finishReason": "STOP"}],
            "modelVersion": "gemini-2.5-flash@default",
            "usageMetadata": {"promptTokenCount": 50, "candidatesTokenCount": 50, "totalTokenCount": 100},
        }
    row["key"] = f"row-{index:08d}"
    return json.dumps(row, separators=(",", ":")).encode() + b"\n"


LineMaker = Callable[[int, int], bytes]
Lines = Iterator[bytes]


def lines(make: LineMaker, count: int, text_chars: int = 200) -> list[bytes]:
    """``count`` lines made by ``make`` (:func:`input_line` or :func:`output_row`)."""
    return [make(index, text_chars) for index in range(count)]


def sized_lines(make: LineMaker, total_bytes: int, text_chars: int) -> Iterator[bytes]:
    """Lines made by ``make`` until they add up to at least ``total_bytes``."""
    written = 0
    index = 0
    while written < total_bytes:
        line = make(index, text_chars)
        written += len(line)
        index += 1
        yield line


def write_file(path: Path, content: Iterator[bytes] | list[bytes]) -> tuple[int, int]:
    """Write lines to ``path``; return ``(rows, bytes)``."""
    rows = size = 0
    with path.open("wb") as handle:
        for line in content:
            handle.write(line)
            rows += 1
            size += len(line)
    return rows, size


def _snake(value: object) -> object:
    """Field names in snake_case (the keys of ``properties`` and free-form values left alone)."""
    if isinstance(value, list):
        return [_snake(item) for item in value]
    if not isinstance(value, dict):
        return value
    return {"".join(f"_{c.lower()}" if c.isupper() else c for c in key):
            item if key in ("args", "parametersJsonSchema", "responseJsonSchema") else
            {name: _snake(schema) for name, schema in item.items()} if key == "properties" else _snake(item)
            for key, item in value.items()}


_FUNCTION = {"name": "get_weather", "description": "The current weather in a city.", "parameters": {
    "type": "OBJECT", "properties": {"city": {"type": "STRING", "description": "the city"},
                                     "unit": {"type": "STRING", "enum": ["celsius", "fahrenheit"]}},
    "required": ["city"]}}
_JSON_SCHEMA = {"type": "object", "properties": {"answer": {"type": "string"}, "confidence": {"type": "number"}},
                "required": ["answer"]}
_RESPONSE_SCHEMA = {"type": "OBJECT", "properties": {
    "title": {"type": "STRING"}, "tags": {"type": "ARRAY", "items": {"type": "STRING"}},
    "steps": {"type": "ARRAY", "items": {"type": "OBJECT", "properties": {"text": {"type": "STRING"},
                                                                          "minutes": {"type": "INTEGER"}}}}},
    "propertyOrdering": ["title", "tags", "steps"]}


def mix_line(index: int, text_chars: int = 200) -> bytes:
    """A valid input line of a realistic mix, by ``index``: of every 20 lines, 7 carry tools (function
    declarations, their parameters as a Schema or a JSON Schema), 4 a response schema (3 ``responseSchema``,
    1 ``responseJsonSchema``), 4 multimodal parts (a video with its metadata, an image), the rest text; one
    in 3 thinks, and one in 10 is written in snake_case."""
    kind = index % 20
    parts: list[dict[str, object]] = [{"text": _text(index, text_chars)}]
    request: dict[str, object] = {}
    config: dict[str, object] = {"temperature": 0.2, "maxOutputTokens": 1024}
    if kind < 7:
        function = dict(_FUNCTION) if kind % 2 else {"name": "lookup", "description": "Looks a word up.",
                                                       "parametersJsonSchema": _JSON_SCHEMA}
        request["tools"] = [{"functionDeclarations": [function]}]
        request["toolConfig"] = {"functionCallingConfig": {"mode": "AUTO"}}
    elif kind < 11:
        config["responseMimeType"] = "application/json"
        config["responseJsonSchema" if kind == 10 else "responseSchema"] = (
            _JSON_SCHEMA if kind == 10 else _RESPONSE_SCHEMA)
    elif kind < 15:
        parts.insert(0, {"fileData": {"mimeType": "video/mp4", "fileUri": f"gs://bench-media/clip-{index}.mp4"},
                         "videoMetadata": {"startOffset": "0s", "endOffset": "30s"}} if kind % 2 else
                     {"inlineData": {"mimeType": "image/png", "data": "iVBORw0KGgoAAAANSUhEUgAAAAEAAAAB"}})
    if index % 3 == 0:
        config["thinkingConfig"] = {"thinkingBudget": 512, "includeThoughts": False}
    request = {"contents": [{"role": "user", "parts": parts}], **request, "generationConfig": config}
    if index % 10 == 3:
        request = _snake(request)  # type: ignore[assignment]
        request["system_instruction"] = {"parts": [{"text": "Answer briefly."}]}
    line = {"key": f"row-{index:08d}", "request": request}
    return json.dumps(line, separators=(",", ":")).encode() + b"\n"
