"""An in-memory row source and result sink for the output stage's pure tests: plain values, no servers."""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from airflow_batch_gemini.bounds import DEFAULT_MAX_ROW_BYTES
from airflow_batch_gemini.exceptions import GeminiBatchConfigurationError
from airflow_batch_gemini.lines import OverlongLine, iter_line_blocks, stream_lines
from airflow_batch_gemini.package_files import RESULT_KIND


class MemoryRows:
    """Parts and results as byte strings in a dict; a result appears only when its block completes.

    :param parts: what each location holds (output parts, inputs), as the bytes of its lines.
    :param outputs: the parts of each job output, in reading order.
    :param metadata: the custom metadata of parts (none by default).
    :param unwritable: destinations (a prefix of them) results cannot go to.
    :param max_row_bytes: the longest row read; a longer one comes as an ``OverlongLine``.
    """

    def __init__(
        self,
        parts: dict[str, bytes],
        outputs: dict[str, list[str]] | None = None,
        metadata: dict[str, dict[str, str]] | None = None,
        unwritable: Sequence[str] = (),
        max_row_bytes: int = DEFAULT_MAX_ROW_BYTES,
    ) -> None:
        self.max_row_bytes = max_row_bytes
        self.parts = dict(parts)
        self.outputs = outputs or {}
        self.metadata = metadata or {}
        self.unwritable = tuple(unwritable)
        self.reads: list[str] = []
        #: the kind each result was written as
        self.kinds: dict[str, str] = {}

    def output_parts(self, output: str) -> list[str]:
        return list(self.outputs.get(output, []))

    def read_rows(self, part: str) -> Iterator[bytes | OverlongLine]:
        self.reads.append(part)
        yield from stream_lines(iter_line_blocks([self.parts[part]], self.max_row_bytes))

    def part_metadata(self, part: str) -> Mapping[str, str]:
        return self.metadata.get(part, {})

    def require_destinations(self, destinations: Sequence[str]) -> None:
        refused = [uri for uri in destinations if uri.startswith(self.unwritable)] if self.unwritable else []
        if refused:
            raise GeminiBatchConfigurationError(f"cannot write {refused}")

    @contextlib.contextmanager
    def open_writer(self, destination: str, kind: str = RESULT_KIND) -> Iterator[io.BytesIO]:
        buffer = io.BytesIO()
        yield buffer
        self.parts[destination] = buffer.getvalue()
        self.kinds[destination] = kind

    def rows(self, location: str) -> list[Any]:
        """The rows a result holds, parsed."""
        return [json.loads(line) for line in self.parts[location].splitlines()]


def lines(*rows: Any) -> bytes:
    """Rows as the bytes of a JSON Lines file."""
    return b"".join(json.dumps(row).encode() + b"\n" for row in rows)
