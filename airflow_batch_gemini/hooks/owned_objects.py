"""The files of one task on Cloud Storage, written and deleted so that one run never silently overwrites or
deletes another run's files: a thin shell over the storage hook.

Each file is marked with its kind (:func:`~airflow_batch_gemini.package_files.package_file_metadata`) and its
writer (custom metadata :data:`~airflow_batch_gemini.package_files.WRITER_KEY`, ``dag_id/run_id/task_id`` of the
task that wrote it, :func:`~airflow_batch_gemini.operators.writer_identity.result_writer`), and written or deleted
on a precondition (:meth:`OwnedObjects.precondition`):

- an absent object is created only if still absent (``if_generation_match=0``);
- an existing one is replaced or deleted only if the same writer wrote it (a retry of that task, or a re-run of
  that run after a clear), or, when the DAG author sets ``overwrite``, if it is a file of the same kind another
  run of the package wrote; and only if it is still the generation seen;
- an object the package did not write is never replaced nor deleted.

Anything else is refused with :class:`~airflow_batch_gemini.exceptions.GeminiBatchUploadConflictError`, and the
object is left as it was.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import IO

from airflow_batch_gemini.exceptions import GeminiBatchUploadConflictError
from airflow_batch_gemini.hooks.storage import GeminiBatchStorageHook
from airflow_batch_gemini.package_files import WRITER_KEY, package_file_kind, package_file_metadata


class OwnedObjects:
    """Where a task writes its files of one kind, by the writer rule of this module.

    :param storage: the hook that reads, writes and deletes the objects.
    :param writer: who writes them (``dag_id/run_id/task_id``): it may replace the files it wrote before;
        ``None`` (no task instance) writes only where no object is.
    :param kind: the kind of the files (``result``, ``rejects``), as their custom metadata names it.
    :param overwrite: also replace or delete a file of that kind another writer of the package wrote.
    """

    def __init__(
        self, storage: GeminiBatchStorageHook, writer: str | None, kind: str, *, overwrite: bool = False
    ) -> None:
        self.storage = storage
        self.writer = writer
        self.kind = kind
        self.overwrite = overwrite

    def precondition(self, uri: str) -> int:
        """The generation a file may be written or deleted on: ``0`` when it is absent, the one seen when it may
        be replaced.

        :raises GeminiBatchUploadConflictError: it exists and may not be replaced.
        """
        found = self.storage.stat(uri)
        if found is None:
            return 0
        owner = found.metadata.get(WRITER_KEY)
        if self.writer is not None and owner == self.writer:
            return found.generation
        ours = package_file_kind(found.metadata) == self.kind
        if ours and self.overwrite:
            return found.generation
        if not ours:
            raise GeminiBatchUploadConflictError(
                f"{uri} already exists and is not {'an' if self.kind[:1] in 'aeiou' else 'a'} {self.kind} file of "
                "this package (no such mark in its metadata), so this task never writes over it nor deletes it. "
                "Name a folder of this run's own (e.g. with {{ run_id }} in it)."
            )
        written_by = f"by {owner!r}" if owner else f"without a {WRITER_KEY} mark"
        raise GeminiBatchUploadConflictError(
            f"{uri} already exists, written {written_by}; this task ({self.writer or 'no task instance'}) "
            "replaces only the files it wrote itself, so nothing was written over it. Name a folder of this "
            "run's own (e.g. with {{ run_id }} in it), delete the earlier file if it may go, or set "
            "overwrite=True to replace the earlier runs' files."
        )

    def metadata(self) -> dict[str, str]:
        """The custom metadata of a file this writer writes."""
        return {**package_file_metadata(self.kind), **({WRITER_KEY: self.writer} if self.writer else {})}

    @contextlib.contextmanager
    def refused_if_changed_meanwhile(self, uri: str) -> Iterator[None]:
        """Turn the failed precondition of a write to ``uri`` into the error a user can act on."""
        try:
            yield
        except Exception as err:
            if self.storage.changed_meanwhile(err):
                raise GeminiBatchUploadConflictError(
                    f"{uri} was created or replaced by another writer while this task wrote it; nothing of this "
                    "write was kept. Give each run its own folder (e.g. with {{ run_id }} in it)."
                ) from None
            raise

    @contextlib.contextmanager
    def open_writer(self, uri: str, generation: int | None = None) -> Iterator[IO[bytes]]:
        """Open a file for streamed writing, marked with its kind and writer; it appears whole when the block
        ends, or not at all; only on ``generation``, by default the one :meth:`precondition` gives.

        :raises GeminiBatchUploadConflictError: the file may not be replaced, or it changed meanwhile.
        """
        expected = self.precondition(uri) if generation is None else generation
        with (
            self.refused_if_changed_meanwhile(uri),
            self.storage.open_writer(uri, if_generation_match=expected, metadata=self.metadata()) as writer,
        ):
            yield writer
            # fake-gcs-server ignores preconditions of resumable uploads: look before completing too
            self.storage.check_unchanged(uri, expected)

    def delete(self, uri: str, generation: int) -> bool:
        """Delete the file at ``generation`` (from :meth:`precondition`); ``False`` when there was none
        (``0``), or it was deleted meanwhile.

        :raises GeminiBatchUploadConflictError: another writer replaced it meanwhile.
        """
        if generation == 0:
            return False
        with self.refused_if_changed_meanwhile(uri):
            return self.storage.delete_if_present(uri, if_generation_match=generation)
