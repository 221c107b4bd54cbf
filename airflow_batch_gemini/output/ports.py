"""The output stage's seams: where rows come from and where results go, as Protocols. Pure.

The split and the resubmission rounds read and write only through these, so they never know the
storage: Cloud Storage objects of JSON Lines today
(:class:`~airflow_batch_gemini.hooks.storage_rows.CloudStorageRows`), e.g. a BigQuery table later.

A row travels as one JSON object per line, as bytes: how a job's output files hold it, and what a
source that is no file (rows of a table) encodes each row as, so that ``succeeded.jsonl`` keeps a
row exactly as the source gave it. Locations (a job's output, a part of it, an input, a result) are
strings the source and the sink understand: ``gs://`` URIs here, table names for a table.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from typing import Protocol


class RowWriter(Protocol):
    """A result being written: takes rows, each a JSON line with its line break."""

    def write(self, data: bytes, /) -> object:
        """Append bytes (whole lines) to the result."""
        ...


class RowSource(Protocol):
    """A job's rows: its output, in parts (e.g. files), and any input to reconcile with."""

    def output_parts(self, output: str) -> list[str]:
        """The parts, in reading order, that hold the output rows of a job whose output is at ``output``
        (e.g. the ``*.jsonl`` files under a ``gs://`` directory; one table is one part)."""
        ...

    def read_rows(self, part: str) -> Iterable[bytes]:
        """The rows of one part of an output or of an input, each one JSON line as bytes with its line
        break (the last one may have none); blank lines are skipped by the reader. Streamed: rows are not
        kept."""
        ...


class ResultSink(Protocol):
    """Where results go: succeeded, failed and missing rows, a round's input."""

    def open_writer(self, destination: str) -> AbstractContextManager[RowWriter]:
        """Open a result for writing: it appears whole when the block ends, or not at all if it raises
        (an earlier version then stays); an existing one is replaced."""
        ...

    def concatenate(self, sources: Sequence[str], destination: str) -> None:
        """Write the rows of ``sources``, one after the other, into the result ``destination`` (the final
        files of a resubmission are the rounds' results put together)."""
        ...
