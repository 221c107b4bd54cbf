"""A streamed upload to an absent Cloud Storage object whose network writes run in a background thread.

The thread only sends; the caller computes the content's digest and decides, with the hook, what the
upload ends with. Nothing of an upload appears unless it is committed: a cancel, an error on either
side, or another writer's object at the destination cancels the resumable upload.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Mapping
from contextlib import AbstractContextManager
from typing import IO, Protocol

from airflow_batch_gemini.hooks.upload_result import UploadResult
from airflow_batch_gemini.input.digest import ContentDigest

#: Bytes a :class:`BackgroundUpload` lets its caller queue ahead of the network writes.
DEFAULT_QUEUE_BYTES = 4 * 1024 * 1024
#: A :class:`BackgroundUpload` hands its thread the written pieces in blocks of about this many bytes.
QUEUE_BLOCK_BYTES = 1024 * 1024


class _UploadCancelled(Exception):
    """Raised in a background upload's writer block to cancel the resumable upload."""


class UploadTarget(Protocol):
    """What a background upload needs of the storage hook
    (:class:`~airflow_batch_gemini.hooks.storage.GeminiBatchStorageHook`)."""

    def open_writer(
        self, uri: str, if_generation_match: int | None = None, metadata: Mapping[str, str] | None = None
    ) -> AbstractContextManager[IO[bytes]]:
        """Open an object for streamed writing (with this custom metadata); it appears whole when the block
        ends, or not at all."""
        ...

    def check_unchanged(self, uri: str, generation: int) -> None:
        """Raise unless ``uri`` is still at ``generation``; called right before the upload completes."""
        ...

    def changed_meanwhile(self, error: BaseException) -> bool:
        """Whether ``error`` says another writer created or replaced the destination meanwhile."""
        ...

    def resolve_written_meanwhile(self, uri: str, content: ContentDigest) -> UploadResult:
        """The outcome of an upload cancelled because another writer changed ``uri`` meanwhile."""
        ...

    def confirm_uploaded(self, uri: str, content: ContentDigest) -> UploadResult:
        """The outcome of a completed upload."""
        ...


class BackgroundUpload:
    """A streamed upload to an absent object whose network writes run in a background thread.

    :meth:`write` queues the bytes for the thread (at most about ``queue_bytes`` ahead; then it waits),
    so that the caller's work, e.g. validating the next lines, overlaps the upload. The object appears
    only when :meth:`commit` completes; :meth:`cancel`, or an error on either side, cancels the
    resumable upload and nothing appears. An error in the thread is raised in the caller, by the next
    :meth:`write` or by :meth:`commit`. Open one with :meth:`GeminiBatchStorageHook.background_upload`.

    :param hook: the hook that writes, and looks at the destination.
    :param uri: destination ``gs://bucket/path.jsonl``, absent.
    :param queue_bytes: how many bytes the caller may write ahead of the network writes.
    :param metadata: custom metadata of the new object
        (:func:`~airflow_batch_gemini.package_files.package_file_metadata`).
    """

    def __init__(
        self, hook: UploadTarget, uri: str, queue_bytes: int = DEFAULT_QUEUE_BYTES,
        metadata: Mapping[str, str] | None = None,
    ) -> None:
        self.uri = uri
        self._hook = hook
        self._metadata = dict(metadata) if metadata else None
        self._queue: queue.Queue[list[bytes] | None] = queue.Queue(maxsize=max(1, queue_bytes // QUEUE_BLOCK_BYTES))
        self._pending: list[bytes] = []
        self._pending_size = 0
        self._ended = False
        self._cancelled = False
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=f"upload to {uri}", daemon=True)
        self._thread.start()

    @property
    def open(self) -> bool:
        """Whether bytes may still be written (neither committed nor cancelled)."""
        return not self._ended

    def write(self, data: bytes) -> None:
        """Queue the next bytes of the object.

        :raises ValueError: the upload was already committed or cancelled.
        :raises Exception: whatever the thread failed with (the upload is cancelled), but for another
            writer's object at the destination: :meth:`commit` decides about that, once it has every byte.
        """
        if self._ended:
            raise ValueError(f"the upload to {self.uri} has ended")
        self._raise_error()
        self._pending.append(data)
        self._pending_size += len(data)
        if self._pending_size >= QUEUE_BLOCK_BYTES:
            self._hand_over()

    def cancel(self) -> None:
        """Cancel the upload, so that nothing appears, and wait for the thread; no-op once ended.

        The bytes still queued are not sent. An error of the thread is not raised: nothing of the upload
        is kept either way.
        """
        if self._ended:
            return
        self._ended = self._cancelled = True
        self._pending, self._pending_size = [], 0  # never sent
        self._queue.put(None)
        self._thread.join()

    def commit(self, content: ContentDigest) -> UploadResult:
        """Send the rest and complete the upload, if the destination is still absent.

        If another writer created the destination meanwhile, the upload is cancelled and that object
        is re-used when it holds exactly the bytes written here.

        :param content: the size and checksums of every byte written (the caller computes them, so that
            this thread only sends).

        :raises GeminiBatchUploadConflictError: the destination was given other content meanwhile.
        :raises ValueError: the upload was already committed or cancelled.
        :raises Exception: whatever the thread failed with (the upload is cancelled).
        """
        if self._ended:
            raise ValueError(f"the upload to {self.uri} has ended")
        self._hand_over()
        self._ended = True
        self._queue.put(None)
        self._thread.join()
        if self._error is not None and self._hook.changed_meanwhile(self._error):
            return self._hook.resolve_written_meanwhile(self.uri, content)
        self._raise_error()
        return self._hook.confirm_uploaded(self.uri, content)

    def _raise_error(self) -> None:
        if self._error is not None and not self._hook.changed_meanwhile(self._error):
            raise self._error

    def _hand_over(self) -> None:
        """Queue the pieces written since the last hand-over as one block (waits while the queue is full)."""
        if self._pending:
            self._queue.put(self._pending)
            self._pending = []
            self._pending_size = 0

    def _run(self) -> None:
        """The thread: write the queued blocks until the end mark (``None``), then complete or cancel.

        After an error it goes on taking blocks until the end mark, so that the caller never waits on a
        full queue.
        """
        ended = False
        try:
            with self._hook.open_writer(self.uri, if_generation_match=0, metadata=self._metadata) as writer:
                for block in iter(self._queue.get, None):
                    if not self._cancelled:
                        for data in block:
                            writer.write(data)
                ended = True
                if self._cancelled:
                    raise _UploadCancelled(self.uri)
                self._hook.check_unchanged(self.uri, 0)
        except BaseException as error:
            self._error = error
            if not ended:
                for _ in iter(self._queue.get, None):
                    pass
