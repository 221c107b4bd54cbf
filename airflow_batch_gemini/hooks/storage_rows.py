"""Cloud Storage as the output stage's row source and result sink: a thin shell over the storage hook.

A job's output parts are the ``*.jsonl`` files under its output directory
(:meth:`~airflow_batch_gemini.hooks.storage.GeminiBatchStorageHook.list_prediction_files`); rows are
the objects' lines, streamed chunk by chunk; a result is an object that appears whole or not at all, with the
custom metadata of its kind (:mod:`airflow_batch_gemini.package_files`); results in one bucket are put
together by a server-side compose (:func:`compose_plan`).

One run never silently overwrites another run's files: each result is marked with its writer and written with a
precondition, by the rule of :mod:`airflow_batch_gemini.hooks.owned_objects`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from typing import IO, NamedTuple

from airflow_batch_gemini.bounds import DEFAULT_MAX_ROW_BYTES
from airflow_batch_gemini.exceptions import GeminiBatchConfigurationError
from airflow_batch_gemini.hooks.owned_objects import OwnedObjects
from airflow_batch_gemini.hooks.storage import GeminiBatchStorageHook
from airflow_batch_gemini.lines import OverlongLine
from airflow_batch_gemini.package_files import RESULT_KIND
from airflow_batch_gemini.uris import parse_gs_uri

#: Cloud Storage composes at most this many objects in one call.
MAX_COMPOSE_SOURCES = 32


class ComposePlan(NamedTuple):
    """One server-side compose: the bucket, the source object names in order, the destination's name."""

    bucket: str
    sources: list[str]
    destination: str


def compose_plan(sources: Sequence[str], destination: str) -> ComposePlan | None:
    """How Cloud Storage puts ``sources`` one after the other into ``destination`` in one compose call;
    ``None`` when it cannot (more than ``MAX_COMPOSE_SOURCES``, or another bucket): then they are streamed."""
    bucket, name = parse_gs_uri(destination)
    located = [parse_gs_uri(source) for source in sources]
    if len(located) <= MAX_COMPOSE_SOURCES and all(source_bucket == bucket for source_bucket, _ in located):
        return ComposePlan(bucket, [source_name for _, source_name in located], name)
    return None


class CloudStorageRows:
    """The :class:`~airflow_batch_gemini.output.ports.RowSource` and
    :class:`~airflow_batch_gemini.output.ports.ResultSink` of ``gs://`` objects of JSON Lines.

    :param storage: the hook that reads and writes the objects.
    :param writer: who writes the results (``dag_id/run_id/task_id``): it may replace the results it wrote
        before, and no others; ``None`` (no task instance) creates results only where none exist.
    :param max_row_bytes: the longest row read (its line break included); a longer one is never held, it comes
        as an :class:`~airflow_batch_gemini.lines.OverlongLine`.
    """

    def __init__(
        self, storage: GeminiBatchStorageHook, writer: str | None = None, *,
        max_row_bytes: int = DEFAULT_MAX_ROW_BYTES,
    ) -> None:
        self.storage = storage
        self.writer = writer
        self.max_row_bytes = max_row_bytes

    def output_parts(self, output: str) -> list[str]:
        """The ``gs://`` URIs of the ``*.jsonl`` files under a job's output directory, sorted."""
        return self.storage.list_prediction_files(output)

    def read_rows(self, part: str) -> Iterator[bytes | OverlongLine]:
        """The lines of one object, each with its line break; one longer than ``max_row_bytes`` as an
        :class:`~airflow_batch_gemini.lines.OverlongLine`, never held."""
        return self.storage.read_lines(part, max_line_bytes=self.max_row_bytes)

    def part_metadata(self, part: str) -> Mapping[str, str]:
        """The custom metadata of an object (empty when it is absent)."""
        found = self.storage.stat(part)
        return found.metadata if found is not None else {}

    def require_destinations(self, destinations: Sequence[str]) -> None:
        """Check that the bucket of each destination exists (a bucket this connection may not look at is taken
        on trust: writing to it will tell), and that no destination object was written by another writer.

        :raises GeminiBatchConfigurationError: a bucket is missing.
        :raises GeminiBatchUploadConflictError: a destination holds another run's file (:meth:`write_precondition`).
        """
        for bucket in sorted({parse_gs_uri(destination)[0] for destination in destinations}):
            if self.storage.bucket_state(bucket) == "missing":  # "forbidden": objects may still be writable
                raise GeminiBatchConfigurationError(
                    f"Bucket {bucket!r} of the results ({', '.join(destinations)}) does not exist; nothing was "
                    "read or written. Create the bucket, or set destination_prefix to a folder of an existing "
                    "bucket the connection can write to."
                )
        for destination in destinations:
            self.write_precondition(destination)

    def _results(self, kind: str = RESULT_KIND) -> OwnedObjects:
        """The files of ``kind`` of this writer, by the rule of :mod:`~airflow_batch_gemini.hooks.owned_objects`."""
        return OwnedObjects(self.storage, self.writer, kind)

    def write_precondition(self, destination: str) -> int:
        """The generation a result may be written on: ``0`` when it is absent, the one seen when this writer wrote it.

        :raises GeminiBatchUploadConflictError: it exists and another writer (or none) wrote it.
        """
        return self._results().precondition(destination)

    @contextlib.contextmanager
    def open_writer(self, destination: str, kind: str = RESULT_KIND) -> Iterator[IO[bytes]]:
        """Open a file for streamed writing, marked as a package file of ``kind`` and with this writer; it appears
        whole when the block ends, or not at all; only on the precondition :meth:`write_precondition` gives.

        :raises GeminiBatchUploadConflictError: another writer's object is there, or appeared meanwhile.
        """
        with self._results(kind).open_writer(destination) as writer:
            yield writer

    def concatenate(self, sources: Sequence[str], destination: str) -> None:
        """Write the sources one after the other into the result ``destination`` (server-side compose within
        one bucket), on the precondition :meth:`write_precondition` gives.

        :raises GeminiBatchUploadConflictError: another writer's object is there, or appeared meanwhile.
        """
        plan = compose_plan(sources, destination)
        if plan is None:
            with self.open_writer(destination) as writer:
                for source in sources:  # copied chunk by chunk: no line is held, however long
                    for chunk in self.storage.read_chunks(source):
                        writer.write(chunk)
            return
        results = self._results()
        generation = results.precondition(destination)
        with results.refused_if_changed_meanwhile(destination):
            self.storage.check_unchanged(destination, generation)  # fake-gcs-server ignores a compose's precondition
            self.storage.compose(plan.bucket, plan.sources, plan.destination, results.metadata(),
                                 if_generation_match=generation)
