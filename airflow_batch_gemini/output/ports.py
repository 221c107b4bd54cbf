"""The output stage's seams: where rows come from and where results go, as Protocols. Pure.

The split and the resubmission rounds read and write only through these, so they never know the
storage: Cloud Storage objects of JSON Lines today
(:class:`~airflow_batch_gemini.hooks.storage_rows.CloudStorageRows`), e.g. a BigQuery table later.

A row travels as one JSON object per line, as bytes: how a job's output files hold it, and what a
source that is no file (rows of a table) encodes each row as, so that ``succeeded.jsonl`` keeps a
row exactly as the source gave it. Locations (a job's output, a part of it, an input, a result) are
strings the source and the sink understand: ``gs://`` URIs here, table names for a table.

Everything a sink writes is marked as a file of the package, of a kind (:mod:`airflow_batch_gemini.package_files`):
``result`` for results, ``input`` for a round's input. A source tells a part's marks, so that a result is
never read as a job's input.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Protocol

from airflow_batch_gemini.lines import OverlongLine
from airflow_batch_gemini.package_files import RESULT_KIND


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

    def read_rows(self, part: str) -> Iterable[bytes | OverlongLine]:
        """The rows of one part of an output or of an input, each one JSON line as bytes with its line
        break (the last one may have none), in order, blank lines too (the reader skips them). Streamed: rows
        are not kept. A row longer than the source's limit (``max_row_bytes``) comes as an
        :class:`~airflow_batch_gemini.lines.OverlongLine` at its place: it is never held."""
        ...

    def part_metadata(self, part: str) -> Mapping[str, str]:
        """The custom metadata of a part or an input (an object's; empty when it has none, or for a table): it
        tells the files the package wrote (:func:`~airflow_batch_gemini.package_files.package_file_kind`)."""
        ...


class ResultSink(Protocol):
    """Where results go: succeeded, failed and missing rows, a round's input."""

    def require_destinations(self, destinations: Sequence[str]) -> None:
        """Check, before anything is read or written, that results can go to ``destinations``.

        :raises GeminiBatchConfigurationError: they cannot (e.g. their bucket does not exist); the message
            names what is missing and what to change.
        :raises GeminiBatchUploadConflictError: a destination holds a result another run wrote.
        """
        ...

    def open_writer(self, destination: str, kind: str = RESULT_KIND) -> AbstractContextManager[RowWriter]:
        """Open a result for writing: it appears whole when the block ends, or not at all if it raises
        (an earlier version then stays); an existing one is replaced only if this sink's writer (the same
        task of the same run) wrote it, else :class:`~airflow_batch_gemini.exceptions.GeminiBatchUploadConflictError`
        is raised. It is marked as a package file of ``kind``: ``result``, or ``input`` for what a job is to
        read (a round's input)."""
        ...

    def concatenate(self, sources: Sequence[str], destination: str) -> None:
        """Write the rows of ``sources``, one after the other, into the result ``destination`` (the final
        files of a resubmission are the rounds' results put together), marked as a ``result``; replacing an
        existing one as :meth:`open_writer` does."""
        ...
