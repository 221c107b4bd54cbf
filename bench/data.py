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
