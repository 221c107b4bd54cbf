"""Cloud Storage side of Gemini batch prediction: upload validated input, read and write JSON Lines.

Everything streams: no method holds a whole object in memory, only a chunk and a line at a time.
"""

from __future__ import annotations

import contextlib
import posixpath
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import IO, Any, cast, overload

from airflow.providers.google.cloud.hooks.gcs import GCSHook
from google.api_core.exceptions import Forbidden, NotFound, PreconditionFailed

from airflow_batch_gemini.bounds import compressed_object_refusal
from airflow_batch_gemini.exceptions import (
    GeminiBatchConfigurationError,
    GeminiBatchInputChangedError,
    GeminiBatchUploadConflictError,
)
from airflow_batch_gemini.hooks.background_upload import DEFAULT_QUEUE_BYTES, BackgroundUpload
from airflow_batch_gemini.hooks.stored_object import StoredObject, stored_object
from airflow_batch_gemini.hooks.upload_result import UploadResult
from airflow_batch_gemini.input.digest import ContentDigest
from airflow_batch_gemini.job.preflight import BucketState, InputLookup
from airflow_batch_gemini.lines import OverlongLine, iter_line_blocks, iter_lines, stream_lines
from airflow_batch_gemini.output.prediction_files import select_prediction_files
from airflow_batch_gemini.uris import parse_gs_uri, wildcard_regex

#: Bytes sent or fetched per request; a multiple of 256 KiB as resumable uploads require.
DEFAULT_CHUNK_SIZE = 2 * 1024 * 1024
JSONL_CONTENT_TYPE = "application/jsonl"


class _DestinationChanged(Exception):
    """The destination changed while an upload was under way (seen before the upload completed)."""


#: What an upload fails with when another writer created or replaced its destination meanwhile: the
#: service's precondition, or the hook's own look right before completing.
_CHANGED_MEANWHILE = (PreconditionFailed, _DestinationChanged)


class GeminiBatchStorageHook(GCSHook):
    """Cloud Storage hook for Gemini batch input and output files, on the Google Cloud connection.

    Works against the real service and, with a connection whose extra has ``is_anonymous`` and with
    ``STORAGE_EMULATOR_HOST`` set, against fake-gcs-server.

    :param gcp_conn_id: the Airflow connection to Google Cloud.
    :param impersonation_chain: a service account (or a chain of them) to impersonate.
    :param chunk_size: bytes per upload or download request, a multiple of 256 KiB.
    """

    def __init__(
        self,
        gcp_conn_id: str = "google_cloud_default",
        impersonation_chain: str | Sequence[str] | None = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        **kwargs: Any,
    ) -> None:
        super().__init__(gcp_conn_id=gcp_conn_id, impersonation_chain=impersonation_chain, **kwargs)
        self.chunk_size = chunk_size

    def stat(self, uri: str) -> StoredObject | None:
        """Return the current generation, size, checksums and custom metadata of an object, or ``None`` if it
        is absent."""
        bucket, name = parse_gs_uri(uri)
        blob = self.get_conn().bucket(bucket).get_blob(name)
        return None if blob is None else stored_object(uri, blob)

    def upload_lines(
        self,
        uri: str,
        lines: Iterable[bytes],
        expected: ContentDigest,
        overwrite: bool = False,
        metadata: Mapping[str, str] | None = None,
    ) -> UploadResult:
        """Stream lines to a new object, never replacing other content by accident.

        The object is written only if absent (``if_generation_match=0``). If it exists with exactly the
        expected content (size, CRC32C, MD5) it is reused and nothing is sent. If it exists with other
        content, :class:`GeminiBatchUploadConflictError` is raised, unless ``overwrite`` is set: then
        it is replaced on condition that it is still the generation seen (``if_generation_match=G``).
        The upload is cancelled, and nothing of it appears, if the lines turn out to differ from
        ``expected`` or if another writer changed the destination meanwhile (then its object is kept,
        and re-used if it holds the same bytes).

        :param uri: destination ``gs://bucket/path.jsonl``.
        :param lines: the bytes to write, line by line (each with its line break).
        :param expected: the digest of exactly these bytes, computed while validating them.
        :param overwrite: replace an existing object that holds other content.
        :param metadata: custom metadata of the object written
            (:func:`~airflow_batch_gemini.package_files.package_file_metadata`); an object re-used keeps its own.
        :raises GeminiBatchUploadConflictError: the destination holds, or was given meanwhile, other content.
        :raises GeminiBatchInputChangedError: ``lines`` differ from what ``expected`` was computed on.
        """
        existing = self.stat(uri)
        if existing is not None:
            if existing.holds(expected):
                self.log.info("%s already holds this input (%s); re-using it", uri, existing.describe())
                return UploadResult(uri=uri, generation=existing.generation, reused=True)
            if not overwrite:
                raise GeminiBatchUploadConflictError(
                    f"{uri} already exists with other content ({existing.describe()}) than the validated "
                    f"input ({expected.describe()}); nothing was uploaded. Write to a new destination_uri "
                    "(e.g. one with {{ run_id }} in it), delete the object, or set overwrite=True."
                )
        precondition = existing.generation if existing is not None else 0
        try:
            self._stream_to_object(uri, lines, expected, if_generation_match=precondition, metadata=metadata)
        except _CHANGED_MEANWHILE:
            return self.resolve_written_meanwhile(uri, expected)
        return self.confirm_uploaded(uri, expected)

    def _stream_to_object(
        self, uri: str, lines: Iterable[bytes], expected: ContentDigest, if_generation_match: int,
        metadata: Mapping[str, str] | None = None,
    ) -> None:
        sent = ContentDigest()
        with self.open_writer(uri, if_generation_match=if_generation_match, metadata=metadata) as writer:
            for line in lines:
                sent.update(line)
                writer.write(line)
            if not expected.matches(sent.size, sent.crc32c, sent.md5):
                raise GeminiBatchInputChangedError(
                    f"The input for {uri} changed between validation ({expected.describe()}) and upload "
                    f"({sent.describe()}); the upload was cancelled and nothing kept. Run the task again "
                    "once the source file is no longer being written."
                )
            self.check_unchanged(uri, if_generation_match)

    def check_unchanged(self, uri: str, generation: int) -> None:
        """Raise an error :meth:`changed_meanwhile` recognises unless ``uri`` is still at ``generation``
        (``0``: absent); called inside a writer block, right before the upload completes, to cancel it."""
        # Cloud Storage checks the precondition again when the upload completes; looking first as
        # well cancels the upload early, and keeps servers that check only simple uploads honest
        # (fake-gcs-server ignores preconditions of resumable uploads)
        before = self.stat(uri)
        if (before.generation if before else 0) != generation:
            raise _DestinationChanged(uri)

    @staticmethod
    def changed_meanwhile(error: BaseException) -> bool:
        """Whether an upload failed because another writer created or replaced its destination meanwhile:
        the service's precondition failed, or :meth:`check_unchanged` saw it before completing."""
        return isinstance(error, _CHANGED_MEANWHILE)

    def resolve_written_meanwhile(self, uri: str, content: ContentDigest) -> UploadResult:
        """The outcome of an upload of ``content`` cancelled because another writer changed ``uri``
        meanwhile: its object is re-used if it holds the same bytes.

        :raises GeminiBatchUploadConflictError: it holds other content (or is gone).
        """
        current = self.stat(uri)
        if current is not None and current.holds(content):
            self.log.info("%s was written meanwhile with this same input; re-using it", uri)
            return UploadResult(uri=uri, generation=current.generation, reused=True)
        found = current.describe() if current else "now absent"
        raise GeminiBatchUploadConflictError(
            f"{uri} changed while uploading ({found}); another writer uses the same destination. "
            "Nothing of this upload was kept: give each run its own destination_uri and retry."
        ) from None

    def confirm_uploaded(self, uri: str, content: ContentDigest) -> UploadResult:
        """The outcome of a completed upload of ``content``: the generation it created."""
        current = self.stat(uri)
        if current is None:
            raise GeminiBatchUploadConflictError(f"{uri} vanished right after upload; run the task again",
                                                 retryable=True)
        self.log.info("Uploaded %s (%s, generation %s)", uri, content.describe(), current.generation)
        return UploadResult(uri=uri, generation=current.generation, reused=False)

    @contextlib.contextmanager
    def background_upload(
        self, uri: str, queue_bytes: int = DEFAULT_QUEUE_BYTES, metadata: Mapping[str, str] | None = None
    ) -> Iterator[BackgroundUpload]:
        """Start a streamed upload to an absent object, its network writes in a background thread.

        Write to the :class:`BackgroundUpload` given, then :meth:`~BackgroundUpload.commit` it; the
        upload is cancelled, and nothing appears, if the block ends without a commit or raises.

        :param uri: destination ``gs://bucket/path.jsonl``, absent (``if_generation_match=0``).
        :param queue_bytes: how many bytes the caller may write ahead of the network writes.
        :param metadata: custom metadata of the new object
            (:func:`~airflow_batch_gemini.package_files.package_file_metadata`).
        """
        upload = BackgroundUpload(self, uri, queue_bytes, metadata)
        try:
            yield upload
        finally:
            upload.cancel()

    @contextlib.contextmanager
    def open_writer(
        self, uri: str, if_generation_match: int | None = None, metadata: Mapping[str, str] | None = None
    ) -> Iterator[IO[bytes]]:
        """Open an object for streamed writing; it appears whole when the block ends, or not at all.

        If the block raises, the resumable upload is cancelled and the object is left as it was (absent,
        or its previous content). An existing object is replaced atomically when the block completes.

        :param uri: the object's ``gs://`` URI.
        :param if_generation_match: write only if the object is at this generation (``0``: absent).
        :param metadata: custom metadata of the new object
            (:func:`~airflow_batch_gemini.package_files.package_file_metadata`).
        """
        bucket, name = parse_gs_uri(uri)
        blob = self.get_conn().bucket(bucket).blob(name)
        if metadata:
            blob.metadata = dict(metadata)
        options: dict[str, object] = {"content_type": JSONL_CONTENT_TYPE, "checksum": "crc32c"}
        if if_generation_match is not None:
            options["if_generation_match"] = if_generation_match
        writer = blob.open("wb", chunk_size=self.chunk_size, **options)
        with writer:  # BlobWriter: finalizes on success, cancels the upload on an exception
            yield cast("IO[bytes]", writer)

    def compose(
        self,
        bucket_name: str,
        source_objects: list[str],
        destination_object: str,
        metadata: Mapping[str, str] | None = None,
        if_generation_match: int | None = None,
    ) -> None:
        """Put objects of one bucket one after the other into a new object there, server-side, in one call.

        :param bucket_name: the bucket of the sources and of the destination.
        :param source_objects: the names of the sources, in order (at most 32).
        :param destination_object: the name of the destination; an existing object is replaced.
        :param metadata: custom metadata of the destination
            (:func:`~airflow_batch_gemini.package_files.package_file_metadata`).
        :param if_generation_match: compose only if the destination is at this generation (``0``: absent); the
            service then refuses with :class:`~google.api_core.exceptions.PreconditionFailed`
            (:meth:`changed_meanwhile` recognises it).
        """
        if not source_objects or not bucket_name or not destination_object:
            raise ValueError("compose needs a bucket, one source at least and a destination")
        bucket = self.get_conn().bucket(bucket_name)
        destination = bucket.blob(destination_object)
        destination.content_type = JSONL_CONTENT_TYPE
        if metadata:
            destination.metadata = dict(metadata)
        destination.compose([bucket.blob(name) for name in source_objects], if_generation_match=if_generation_match)

    def read_chunks(self, uri: str, generation: int | None = None) -> Iterator[bytes]:
        """Yield the bytes of an object as stored, in chunks of ``chunk_size`` (the last one shorter).

        The object is looked up first, then read at that generation as stored (``raw_download``): one stored
        compressed (``Content-Encoding: gzip``) is refused, never inflated
        (:func:`~airflow_batch_gemini.bounds.compressed_object_refusal`).

        :param uri: the object's ``gs://`` URI.
        :param generation: read this generation (so that two passes see the same bytes); default: the current.
        :raises google.api_core.exceptions.NotFound: the object is absent.
        :raises GeminiBatchConfigurationError: the object is stored compressed.
        :raises GeminiBatchInputChangedError: the generation was replaced or deleted, before or while being read.
        """
        bucket, name = parse_gs_uri(uri)
        blob = self.get_conn().bucket(bucket).get_blob(name, generation=generation)
        if blob is None:
            if generation is None:
                raise NotFound(f"{uri} does not exist")
            raise _generation_gone(uri, generation)
        if refusal := compressed_object_refusal(uri, blob.content_encoding):
            raise GeminiBatchConfigurationError(f"{refusal}; then run the task again")
        try:
            with blob.open("rb", chunk_size=self.chunk_size, raw_download=True) as reader:
                yield from iter(lambda: reader.read(self.chunk_size), b"")
        except NotFound:
            raise _generation_gone(uri, blob.generation) from None

    @overload
    def read_lines(self, uri: str, generation: int | None = None, max_line_bytes: None = None) -> Iterator[bytes]: ...
    @overload
    def read_lines(
        self, uri: str, generation: int | None = None, *, max_line_bytes: int
    ) -> Iterator[bytes | OverlongLine]: ...

    def read_lines(
        self, uri: str, generation: int | None = None, max_line_bytes: int | None = None
    ) -> Iterator[bytes] | Iterator[bytes | OverlongLine]:
        """Yield the lines of an object, each with its line break, fetching it chunk by chunk (see
        :meth:`read_chunks`: an object stored compressed is refused).

        :param max_line_bytes: the longest line held (its line break included): a longer one comes as an
            :class:`~airflow_batch_gemini.lines.OverlongLine` at its place, never held; ``None``: every line is
            held, however long (only for objects this package wrote).
        """
        if max_line_bytes is None:
            return iter_lines(self.read_chunks(uri, generation))
        return stream_lines(iter_line_blocks(self.read_chunks(uri, generation), max_line_bytes))

    def delete_if_present(self, uri: str, if_generation_match: int | None = None) -> bool:
        """Delete an object if it exists (at ``if_generation_match``, when given); return whether it did.

        :raises google.api_core.exceptions.PreconditionFailed: it is at another generation
            (:meth:`changed_meanwhile` recognises it).
        """
        bucket, name = parse_gs_uri(uri)
        try:
            self.get_conn().bucket(bucket).blob(name).delete(if_generation_match=if_generation_match)
        except NotFound:
            return False
        return True

    def expand_uris(self, uris: Iterable[str]) -> list[str]:
        """The objects that batch input URIs name: each URI without wildcards as it is, each with them
        (``*`` within one path level, ``**`` across) replaced by the objects it matches now, sorted.

        :param uris: ``gs://`` URIs, with or without wildcards in the object name.
        """
        objects: list[str] = []
        for uri in uris:
            if "*" not in parse_gs_uri(uri)[1]:
                objects.append(uri)
            else:
                objects.extend(item.uri for item in self.list_matching(uri))
        return objects

    def list_matching(self, pattern: str) -> list[StoredObject]:
        """The objects a URI with wildcards in its object name matches now, sorted by name, with their
        size, checksums and custom metadata (from the listing: no request per object).

        :raises google.api_core.exceptions.NotFound: the bucket does not exist.
        :raises google.api_core.exceptions.Forbidden: the connection may not list it.
        """
        bucket, name = parse_gs_uri(pattern)
        regex = wildcard_regex(name)
        blobs = self.get_conn().list_blobs(bucket, prefix=name.split("*", 1)[0])
        found = sorted((blob for blob in blobs if regex.fullmatch(blob.name)), key=lambda blob: blob.name)
        return [stored_object(f"gs://{bucket}/{blob.name}", blob) for blob in found]

    def lookup_input(self, uri: str) -> InputLookup:
        """What a batch input URI names now, for the checks before a job is created
        (:func:`~airflow_batch_gemini.job.preflight.input_problems`): the object, or the objects its
        wildcard matches, with their checksums and metadata; or that the bucket is missing, or that the
        connection was refused (403) the permission it needs."""
        bucket, name = parse_gs_uri(uri)
        wildcard = "*" in name
        try:
            if wildcard:
                return InputLookup(uri, tuple(self.list_matching(uri)))
            stored = self.stat(uri)
        except NotFound:
            return InputLookup(uri, bucket_missing=True)
        except Forbidden:
            return InputLookup(uri, denied="storage.objects.list" if wildcard else "storage.objects.get")
        if stored is None:
            return InputLookup(uri, bucket_missing=self.bucket_state(bucket) == "missing")
        return InputLookup(uri, (stored,))

    def bucket_state(self, bucket: str) -> BucketState:
        """Whether a bucket exists: ``exists``, ``missing``, or ``forbidden`` when the connection may not look
        it up (403: no ``storage.buckets.get``, which a service account that may write objects can lack)."""
        try:
            self.get_conn().get_bucket(bucket)
        except NotFound:
            return "missing"
        except Forbidden:
            return "forbidden"
        return "exists"

    def list_prediction_files(self, directory_uri: str) -> list[str]:
        """Return the ``gs://`` URIs of the ``*.jsonl`` files under a job's output directory, sorted.

        Files under ``incremental_predictions`` are left out once a final file exists
        (see :func:`select_prediction_files`).
        """
        bucket, path = parse_gs_uri(directory_uri)
        prefix = posixpath.join(path, "") if path else ""
        names = (blob.name[len(prefix) :] for blob in self.get_conn().list_blobs(bucket, prefix=prefix))
        return [f"gs://{bucket}/{prefix}{name}" for name in select_prediction_files(names)]


def _generation_gone(uri: str, generation: int) -> GeminiBatchInputChangedError:
    return GeminiBatchInputChangedError(
        f"{uri} generation {generation} is gone: the object was replaced or deleted while being read. Run the "
        "task again once nothing writes to it."
    )
