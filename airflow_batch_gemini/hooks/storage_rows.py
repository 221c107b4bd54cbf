"""Cloud Storage as the output stage's row source and result sink: a thin shell over the storage hook.

A job's output parts are the ``*.jsonl`` files under its output directory
(:meth:`~airflow_batch_gemini.hooks.storage.GeminiBatchStorageHook.list_prediction_files`); rows are
the objects' lines, streamed chunk by chunk; a result is an object that appears whole or not at all.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from typing import IO

from airflow_batch_gemini.hooks.storage import GeminiBatchStorageHook
from airflow_batch_gemini.output.merge import compose_plan


class CloudStorageRows:
    """The :class:`~airflow_batch_gemini.output.ports.RowSource` and
    :class:`~airflow_batch_gemini.output.ports.ResultSink` of ``gs://`` objects of JSON Lines.

    :param storage: the hook that reads and writes the objects.
    """

    def __init__(self, storage: GeminiBatchStorageHook) -> None:
        self.storage = storage

    def output_parts(self, output: str) -> list[str]:
        """The ``gs://`` URIs of the ``*.jsonl`` files under a job's output directory, sorted."""
        return self.storage.list_prediction_files(output)

    def read_rows(self, part: str) -> Iterator[bytes]:
        """The lines of one object, each with its line break."""
        return self.storage.read_lines(part)

    def open_writer(self, destination: str) -> AbstractContextManager[IO[bytes]]:
        """Open an object for streamed writing; it appears whole when the block ends, or not at all."""
        return self.storage.open_writer(destination)

    def concatenate(self, sources: Sequence[str], destination: str) -> None:
        """Write the sources one after the other into ``destination`` (server-side compose within one bucket)."""
        plan = compose_plan(sources, destination)
        if plan is not None:
            self.storage.compose(plan.bucket, plan.sources, plan.destination)
            return
        with self.storage.open_writer(destination) as writer:
            for source in sources:
                for line in self.storage.read_lines(source):
                    writer.write(line)
