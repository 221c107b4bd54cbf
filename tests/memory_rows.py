"""An in-memory row source and result sink for the output stage's pure tests: plain values, no servers."""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Iterator
from typing import Any


class MemoryRows:
    """Parts and results as byte strings in a dict; a result appears only when its block completes.

    :param parts: what each location holds (output parts, inputs), as the bytes of its lines.
    :param outputs: the parts of each job output, in reading order.
    """

    def __init__(self, parts: dict[str, bytes], outputs: dict[str, list[str]] | None = None) -> None:
        self.parts = dict(parts)
        self.outputs = outputs or {}
        self.reads: list[str] = []

    def output_parts(self, output: str) -> list[str]:
        return list(self.outputs.get(output, []))

    def read_rows(self, part: str) -> Iterator[bytes]:
        self.reads.append(part)
        yield from io.BytesIO(self.parts[part])

    @contextlib.contextmanager
    def open_writer(self, destination: str) -> Iterator[io.BytesIO]:
        buffer = io.BytesIO()
        yield buffer
        self.parts[destination] = buffer.getvalue()

    def rows(self, location: str) -> list[Any]:
        """The rows a result holds, parsed."""
        return [json.loads(line) for line in self.parts[location].splitlines()]


def lines(*rows: Any) -> bytes:
    """Rows as the bytes of a JSON Lines file."""
    return b"".join(json.dumps(row).encode() + b"\n" for row in rows)
