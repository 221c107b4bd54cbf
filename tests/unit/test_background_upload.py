"""BackgroundUpload, the hook's threaded streaming writer, against an in-memory stand-in for Cloud Storage:
what is committed, what a cancel or an error leaves (nothing), the bounded queue, another writer's object."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator, Mapping
from typing import IO, cast

import pytest
from google.api_core.exceptions import PreconditionFailed

from airflow_batch_gemini.exceptions import GeminiBatchUploadConflictError
from airflow_batch_gemini.hooks.background_upload import QUEUE_BLOCK_BYTES, BackgroundUpload
from airflow_batch_gemini.hooks.storage import GeminiBatchStorageHook, StoredObject
from airflow_batch_gemini.input.digest import ContentDigest

URI = "gs://bucket/requests.jsonl"


class Writer:
    """A resumable upload: what it received, and whether it completed or was cancelled."""

    def __init__(self, store: MemoryHook, uri: str) -> None:
        self.store = store
        self.uri = uri
        self.received: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.store.before_write(len(self.received))
        self.received.append(bytes(data))
        return len(data)


class MemoryHook(GeminiBatchStorageHook):
    """The hook with objects kept in a dict: ``open_writer`` and ``stat`` replaced, the rest real."""

    def __init__(self) -> None:
        super().__init__(gcp_conn_id="memory")
        self.objects: dict[str, bytes] = {}
        self.generations: dict[str, int] = {}
        self.metadata: dict[str, dict[str, str]] = {}
        self.writers: list[Writer] = []
        self.cancelled = 0
        self.before_write = lambda count: None

    def put(self, uri: str, data: bytes) -> None:
        self.objects[uri] = data
        self.generations[uri] = self.generations.get(uri, 0) + 1

    def stat(self, uri: str) -> StoredObject | None:
        if uri not in self.objects:
            return None
        digest = ContentDigest()
        digest.update(self.objects[uri])
        return StoredObject(uri, self.generations[uri], digest.size, digest.crc32c, digest.md5,
                            self.metadata.get(uri, {}))

    @contextlib.contextmanager
    def open_writer(self, uri: str, if_generation_match: int | None = None,
                    metadata: Mapping[str, str] | None = None) -> Iterator[IO[bytes]]:
        writer = Writer(self, uri)
        self.writers.append(writer)
        try:
            yield cast("IO[bytes]", writer)
        except BaseException:
            self.cancelled += 1
            raise
        self.put(uri, b"".join(writer.received))
        self.metadata[uri] = dict(metadata or {})


@pytest.fixture
def hook(monkeypatch: pytest.MonkeyPatch) -> MemoryHook:
    connection = {"conn_type": "google_cloud_platform", "extra": {"project": "p", "is_anonymous": True}}
    monkeypatch.setenv("AIRFLOW_CONN_MEMORY", json.dumps(connection))
    return MemoryHook()


def pieces(count: int, size: int = 1000) -> list[bytes]:
    return [b"%06d" % index + b"x" * (size - 7) + b"\n" for index in range(count)]


def digest_of(data: list[bytes]) -> ContentDigest:
    digest = ContentDigest()
    digest.update(b"".join(data))
    return digest


def test_written_pieces_appear_on_commit(hook: MemoryHook) -> None:
    data = pieces(3000)  # ~3 MB: several blocks through the queue
    with hook.background_upload(URI) as upload:
        for piece in data:
            upload.write(piece)
        assert URI not in hook.objects, "nothing appears before the commit"
        result = upload.commit(digest_of(data))
    assert (result.uri, result.reused, result.generation) == (URI, False, 1)
    assert hook.objects[URI] == b"".join(data)
    assert not upload.open and hook.cancelled == 0


def test_cancel_leaves_nothing(hook: MemoryHook) -> None:
    data = pieces(2500)
    with hook.background_upload(URI) as upload:
        for piece in data:
            upload.write(piece)
        upload.cancel()
        assert not upload.open
        upload.cancel()  # a second cancel does nothing
        with pytest.raises(ValueError, match="has ended"):
            upload.write(b"more\n")
        with pytest.raises(ValueError, match="has ended"):
            upload.commit(digest_of(data))
    assert URI not in hook.objects and hook.cancelled == 1


def test_the_object_gets_the_metadata_given(hook: MemoryHook) -> None:
    """What the prepare operator marks its files with (package_files) reaches the object written."""
    with hook.background_upload(URI, metadata={"airflow-batch-gemini-file": "input"}) as upload:
        upload.write(b"line\n")
        upload.commit(digest_of([b"line\n"]))
    assert hook.stat(URI).metadata == {"airflow-batch-gemini-file": "input"}  # type: ignore[union-attr]


@pytest.mark.parametrize("how", ["no commit", "exception"])
def test_leaving_the_block_without_a_commit_cancels(hook: MemoryHook, how: str) -> None:
    with contextlib.suppress(RuntimeError), hook.background_upload(URI) as upload:
        upload.write(b"x" * (2 * QUEUE_BLOCK_BYTES))
        if how == "exception":
            raise RuntimeError("the caller failed")
    assert URI not in hook.objects and hook.cancelled == 1


def test_an_error_in_the_thread_surfaces_in_write_and_nothing_appears(hook: MemoryHook) -> None:
    def fail(count: int) -> None:
        if count == 1:
            raise ConnectionError("the network went away")

    hook.before_write = fail
    with pytest.raises(ConnectionError, match="went away"), hook.background_upload(URI) as upload:
        for piece in pieces(100_000):  # ~100 MB: far more than the queue holds, so write must see it
            upload.write(piece)
    assert URI not in hook.objects and hook.cancelled == 1


def test_an_error_in_the_thread_surfaces_in_commit(hook: MemoryHook) -> None:
    def fail(count: int) -> None:
        raise ConnectionError("refused")

    hook.before_write = fail
    with pytest.raises(ConnectionError, match="refused"), hook.background_upload(URI) as upload:
        upload.write(b"one line\n")
        upload.commit(digest_of([b"one line\n"]))
    assert URI not in hook.objects


def test_the_caller_waits_when_the_queue_is_full(hook: MemoryHook) -> None:
    gate = threading.Event()
    hook.before_write = lambda count: gate.wait()
    queue_bytes = 2 * QUEUE_BLOCK_BYTES
    written = 0

    def writing(upload: BackgroundUpload) -> None:
        nonlocal written
        for piece in pieces(20_000):  # ~20 MB
            upload.write(piece)
            written += len(piece)

    with hook.background_upload(URI, queue_bytes=queue_bytes) as upload:
        caller = threading.Thread(target=writing, args=(upload,))
        caller.start()
        caller.join(timeout=1.0)
        assert caller.is_alive(), "the caller waits on the full queue"
        # the block the thread holds, the queue and the block being handed over
        assert written <= queue_bytes + 3 * QUEUE_BLOCK_BYTES
        gate.set()
        caller.join()
        upload.commit(digest_of(pieces(20_000)))
    assert len(hook.objects[URI]) == written == 20_000 * 1000


@pytest.mark.parametrize("refused", [False, True], ids=["seen-before-completing", "precondition-failed"])
@pytest.mark.parametrize("same", [False, True], ids=["other-bytes", "same-bytes"])
def test_an_object_created_meanwhile_is_re_used_or_a_conflict(hook: MemoryHook, same: bool, refused: bool) -> None:
    data = pieces(1500)
    theirs = b"".join(data) if same else b"someone else\n"

    def racing(count: int) -> None:
        if count == 1:
            hook.put(URI, theirs)
            if refused:  # what Cloud Storage answers an upload with if_generation_match=0 then
                raise PreconditionFailed("At least one of the pre-conditions you specified did not hold.")

    hook.before_write = racing
    with hook.background_upload(URI) as upload:
        for piece in data:
            upload.write(piece)
        if same:
            result = upload.commit(digest_of(data))
            assert result.reused and result.generation == 1
        else:
            with pytest.raises(GeminiBatchUploadConflictError, match="changed while uploading"):
                upload.commit(digest_of(data))
    assert hook.objects[URI] == theirs, "their object stays, nothing of ours was completed"
    assert hook.cancelled == 1


def test_the_thread_is_gone_after_the_block(hook: MemoryHook) -> None:
    before = threading.active_count()
    for commit in (True, False):
        with hook.background_upload(URI) as upload:
            upload.write(b"a\n")
            if commit:
                upload.commit(digest_of([b"a\n"]))
    assert threading.active_count() == before
