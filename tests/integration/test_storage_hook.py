"""GeminiBatchStorageHook against fake-gcs-server through the real google-cloud-storage client."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from google.cloud import storage

from airflow_batch_gemini.exceptions import (
    GeminiBatchConfigurationError,
    GeminiBatchInputChangedError,
    GeminiBatchUploadConflictError,
)
from airflow_batch_gemini.hooks.storage import GeminiBatchStorageHook
from airflow_batch_gemini.input.digest import ContentDigest
from airflow_batch_gemini.uris import parse_gs_uri
from tests.conftest import TEST_BUCKET

#: the smallest chunk resumable uploads allow, so that a few hundred KiB span several requests
SMALL_CHUNK = 256 * 1024


@pytest.fixture
def hook(google_connection: str) -> GeminiBatchStorageHook:
    return GeminiBatchStorageHook(gcp_conn_id=google_connection, chunk_size=SMALL_CHUNK)


@pytest.fixture
def uri() -> str:
    return f"gs://{TEST_BUCKET}/hook/{uuid.uuid4().hex}.jsonl"


def content(uri: str, gcs_client: storage.Client) -> bytes | None:
    bucket, name = parse_gs_uri(uri)
    blob = gcs_client.bucket(bucket).get_blob(name)
    return None if blob is None else blob.download_as_bytes()


def digest_of(lines: list[bytes]) -> ContentDigest:
    digest = ContentDigest()
    for line in lines:
        digest.update(line)
    return digest


def numbered(count: int, width: int = 60) -> list[bytes]:
    return [b'{"n": %d, "pad": "%s"}\n' % (i, b"x" * width) for i in range(count)]


def test_upload_streams_a_new_object_in_several_chunks(hook, uri, gcs_client) -> None:
    lines = numbered(20_000)  # ~1.6 MB: several 256 KiB chunks
    result = hook.upload_lines(uri, iter(lines), digest_of(lines))
    assert not result.reused
    assert content(uri, gcs_client) == b"".join(lines)
    stored = hook.stat(uri)
    assert stored is not None and stored.generation == result.generation
    assert digest_of(lines).matches(stored.size, stored.crc32c, stored.md5)


def test_identical_content_is_reused_without_writing(hook, uri) -> None:
    lines = numbered(3)
    first = hook.upload_lines(uri, lines, digest_of(lines))
    again = hook.upload_lines(uri, lines, digest_of(lines))
    assert again.reused and again.generation == first.generation


def test_other_content_is_a_conflict_and_stays_untouched(hook, uri, gcs_client) -> None:
    hook.upload_lines(uri, numbered(3), digest_of(numbered(3)))
    other = numbered(4)
    with pytest.raises(GeminiBatchUploadConflictError) as caught:
        hook.upload_lines(uri, other, digest_of(other))
    message = str(caught.value)
    assert uri in message and "overwrite=True" in message and "nothing was uploaded" in message
    assert content(uri, gcs_client) == b"".join(numbered(3))


def test_overwrite_replaces_other_content(hook, uri, gcs_client) -> None:
    first = hook.upload_lines(uri, numbered(3), digest_of(numbered(3)))
    other = numbered(4)
    result = hook.upload_lines(uri, other, digest_of(other), overwrite=True)
    assert not result.reused and result.generation != first.generation
    assert content(uri, gcs_client) == b"".join(other)


def test_lines_that_differ_from_the_digest_cancel_the_upload(hook, uri, gcs_client) -> None:
    validated = numbered(30_000)
    changed = [*validated[:-1], b'{"n": "changed"}\n']
    with pytest.raises(GeminiBatchInputChangedError, match="changed between validation"):
        hook.upload_lines(uri, changed, digest_of(validated))
    assert content(uri, gcs_client) is None


def test_a_failing_writer_leaves_the_previous_content(hook, uri, gcs_client) -> None:
    with hook.open_writer(uri) as writer:
        writer.write(b"old\n")

    def lines() -> Iterator[bytes]:
        yield from numbered(10_000)
        raise RuntimeError("the source broke")

    with pytest.raises(RuntimeError), hook.open_writer(uri) as writer:
        for line in lines():
            writer.write(line)
    assert content(uri, gcs_client) == b"old\n"

    with hook.open_writer(uri) as writer:
        writer.write(b"new\n")
    assert content(uri, gcs_client) == b"new\n"


def test_a_failing_writer_creates_nothing(hook, uri, gcs_client) -> None:
    with pytest.raises(RuntimeError), hook.open_writer(uri) as writer:
        writer.write(b"x" * (3 * SMALL_CHUNK))
        raise RuntimeError("stop")
    assert content(uri, gcs_client) is None


def test_read_lines_across_chunk_boundaries(hook, uri) -> None:
    lines = numbered(10_000, width=97)  # lines straddle every 256 KiB boundary
    lines[-1] = lines[-1].rstrip(b"\n")
    hook.upload_lines(uri, lines, digest_of(lines))
    assert list(hook.read_lines(uri)) == lines


def test_read_lines_of_a_pinned_generation(hook, uri) -> None:
    first = hook.upload_lines(uri, [b"one\n"], digest_of([b"one\n"]))
    assert list(hook.read_lines(uri, generation=first.generation)) == [b"one\n"]
    second = hook.upload_lines(uri, [b"two\n"], digest_of([b"two\n"]), overwrite=True)
    assert list(hook.read_lines(uri, generation=second.generation)) == [b"two\n"]
    with pytest.raises(GeminiBatchInputChangedError, match=f"generation {first.generation} is gone"):
        list(hook.read_lines(uri, generation=first.generation))


def test_an_object_stored_compressed_is_refused_by_the_readers_never_inflated(hook, uri, gcs_client) -> None:
    import gzip

    bucket, name = parse_gs_uri(uri)
    blob = gcs_client.bucket(bucket).blob(name)
    blob.content_encoding = "gzip"
    blob.upload_from_string(gzip.compress(b"[" * 1_000_000))
    refusal = f"^{uri} is stored compressed \\(Content-Encoding: gzip\\), which is refused, not decompressed"
    for read in (hook.read_chunks, hook.read_lines):
        with pytest.raises(GeminiBatchConfigurationError, match=refusal):
            next(iter(read(uri)))


def test_stat_of_an_absent_object(hook, uri) -> None:
    assert hook.stat(uri) is None


def test_listing_takes_jsonl_files_and_skips_incremental_copies(hook) -> None:
    directory = f"gs://{TEST_BUCKET}/hook-list/{uuid.uuid4().hex}/prediction-model-2026-01-01T00:00:00.000000Z"
    for name in ("incremental_predictions/predictions_0001.jsonl", "notes.txt"):
        with hook.open_writer(f"{directory}/{name}") as writer:
            writer.write(b"{}\n")
    assert hook.list_prediction_files(directory) == [
        f"{directory}/incremental_predictions/predictions_0001.jsonl"
    ], "only incremental files yet: read them"
    for name in ("predictions_2.jsonl", "predictions.jsonl"):
        with hook.open_writer(f"{directory}/{name}") as writer:
            writer.write(b"{}\n")
    assert hook.list_prediction_files(directory + "/") == [
        f"{directory}/predictions.jsonl",
        f"{directory}/predictions_2.jsonl",
    ]
    with hook.open_writer(f"{directory}-sibling/predictions.jsonl") as writer:
        writer.write(b"{}\n")
    assert len(hook.list_prediction_files(directory)) == 2, "a sibling folder with the same prefix is not read"


@pytest.mark.parametrize("bad", ["bucket/path", "s3://bucket/x", "gs://", "bq://p.d.t"])
def test_parse_gs_uri_refuses_other_uris(bad: str) -> None:
    with pytest.raises(ValueError, match="not a Cloud Storage URI"):
        parse_gs_uri(bad)


def test_parse_gs_uri() -> None:
    assert parse_gs_uri("gs://b/p/q.jsonl") == ("b", "p/q.jsonl")
    assert parse_gs_uri("gs://b") == ("b", "")


def test_streaming_copy_holds_a_few_chunks_in_memory_not_the_object(hook, uri, gcs_client) -> None:
    import tracemalloc

    line = b'{"status": "", "response": {"text": "%s"}}\n' % (b"y" * 200)
    count = 60_000  # ~14 MB
    with hook.open_writer(uri) as writer:
        for _ in range(count):
            writer.write(line)
    copy_uri = uri.replace(".jsonl", "-copy.jsonl")
    tracemalloc.start()
    try:
        with hook.open_writer(copy_uri) as writer:
            for read in hook.read_lines(uri):
                writer.write(read)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    size = len(line) * count
    assert hook.stat(copy_uri).size == size  # type: ignore[union-attr]
    assert peak < 8 * SMALL_CHUNK < size / 5, f"peak {peak:,} bytes for a {size:,} byte object"


@pytest.mark.parametrize("racer_writes_the_same", [False, True])
def test_a_writer_racing_the_upload_wins_and_nothing_of_ours_is_kept(
    hook, uri, gcs_client, racer_writes_the_same: bool
) -> None:
    lines = numbered(5_000)
    racer = b"".join(lines) if racer_writes_the_same else b'{"other": "writer"}\n'

    def racing() -> Iterator[bytes]:
        for index, line in enumerate(lines):
            if index == 2_500:
                gcs_client.bucket(TEST_BUCKET).blob(parse_gs_uri(uri)[1]).upload_from_string(racer)
            yield line

    if racer_writes_the_same:
        assert hook.upload_lines(uri, racing(), digest_of(lines)).reused
    else:
        with pytest.raises(GeminiBatchUploadConflictError, match="changed while uploading"):
            hook.upload_lines(uri, racing(), digest_of(lines))
    assert content(uri, gcs_client) == racer
