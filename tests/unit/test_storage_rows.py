"""CloudStorageRows, the Cloud Storage shell of the output stage, on a stand-in for the storage hook."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from google.api_core.exceptions import PreconditionFailed

from airflow_batch_gemini.exceptions import GeminiBatchConfigurationError, GeminiBatchUploadConflictError
from airflow_batch_gemini.hooks.storage import StoredObject
from airflow_batch_gemini.hooks.storage_rows import MAX_COMPOSE_SOURCES, CloudStorageRows, ComposePlan, compose_plan
from airflow_batch_gemini.lines import OverlongLine, iter_line_blocks, stream_lines
from airflow_batch_gemini.package_files import INPUT_KIND, WRITER_KEY, package_file_metadata
from tests.memory_rows import MemoryRows

RESULT = package_file_metadata("result")


class StandInHook(MemoryRows):
    """The hook's reads and writes on objects in a dict, with their metadata; composes are recorded, not done;
    the buckets are those of ``buckets`` (a bucket of ``forbidden`` may not be looked at)."""

    def __init__(self, objects: dict[str, bytes], buckets: tuple[str, ...] = ("b",),
                 forbidden: tuple[str, ...] = ()) -> None:
        super().__init__(objects)
        self.objects = self.parts
        self.composed: list[tuple[str, list[str], str, Mapping[str, str] | None, int | None]] = []
        self.buckets = buckets
        self.forbidden = forbidden
        self.generations = dict.fromkeys(objects, 1)
        #: called right before a write completes (another writer's move)
        self.meanwhile: Any = None

    def list_prediction_files(self, directory_uri: str) -> list[str]:
        return sorted(uri for uri in self.objects if uri.startswith(directory_uri + "/"))

    def read_lines(self, uri: str, max_line_bytes: int | None = None) -> Iterator[bytes | OverlongLine]:
        return stream_lines(iter_line_blocks(self.read_chunks(uri), max_line_bytes))

    def read_chunks(self, uri: str) -> Iterator[bytes]:
        data = self.objects[uri]
        yield from (data[start:start + 3] for start in range(0, len(data), 3))

    def stat(self, uri: str) -> StoredObject | None:
        if uri not in self.objects:
            return None
        return StoredObject(uri, self.generations[uri], len(self.objects[uri]), None, None,
                            self.metadata.get(uri, {}))

    def check_unchanged(self, uri: str, generation: int) -> None:
        if self.meanwhile is not None:
            self.meanwhile()
        if self.generations.get(uri, 0) != generation:
            raise PreconditionFailed(uri)

    @staticmethod
    def changed_meanwhile(error: BaseException) -> bool:
        return isinstance(error, PreconditionFailed)

    def put(self, uri: str, data: bytes, metadata: Mapping[str, str] | None) -> None:
        self.objects[uri] = data
        self.metadata[uri] = dict(metadata or {})
        self.generations[uri] = self.generations.get(uri, 0) + 1

    @contextlib.contextmanager
    def open_writer(self, uri: str, if_generation_match: int | None = None,  # type: ignore[override]
                    metadata: Mapping[str, str] | None = None) -> Iterator[io.BytesIO]:
        buffer = io.BytesIO()
        yield buffer
        if if_generation_match is not None and self.generations.get(uri, 0) != if_generation_match:
            raise PreconditionFailed(uri)
        self.put(uri, buffer.getvalue(), metadata)

    def compose(self, bucket: str, sources: list[str], destination: str,
                metadata: Mapping[str, str] | None = None, if_generation_match: int | None = None) -> None:
        self.composed.append((bucket, sources, destination, metadata, if_generation_match))

    def bucket_state(self, name: str) -> str:
        if name in self.forbidden:
            return "forbidden"
        return "exists" if name in self.buckets else "missing"


def rows_of(hook: StandInHook, writer: str | None = None) -> CloudStorageRows:
    stand_in: Any = hook  # the shell only calls the methods above
    return CloudStorageRows(stand_in, writer)


def test_parts_rows_and_results_are_the_hooks_objects_and_lines() -> None:
    hook = StandInHook({"gs://b/out/1.jsonl": b"a\nb", "gs://b/in.jsonl": b"c\n"})
    rows = rows_of(hook)
    assert rows.output_parts("gs://b/out") == ["gs://b/out/1.jsonl"]
    assert list(rows.read_rows("gs://b/out/1.jsonl")) == [b"a\n", b"b"]
    with rows.open_writer("gs://b/r/succeeded.jsonl") as writer:
        writer.write(b"a\n")
    assert hook.objects["gs://b/r/succeeded.jsonl"] == b"a\n"
    assert hook.metadata["gs://b/r/succeeded.jsonl"] == RESULT, "a result by default"
    with rows.open_writer("gs://b/rounds/1/input.jsonl", INPUT_KIND):
        pass
    assert hook.metadata["gs://b/rounds/1/input.jsonl"] == package_file_metadata(INPUT_KIND)
    assert rows.part_metadata("gs://b/rounds/1/input.jsonl") == package_file_metadata(INPUT_KIND)
    assert rows.part_metadata("gs://b/in.jsonl") == {} and rows.part_metadata("gs://b/absent.jsonl") == {}


def test_sources_in_the_bucket_are_composed_others_streamed() -> None:
    hook = StandInHook({"gs://b/1.jsonl": b"a\n", "gs://other/2.jsonl": b"b\n"})
    rows = rows_of(hook)
    rows.concatenate(["gs://b/1.jsonl"], "gs://b/final.jsonl")
    assert hook.composed == [("b", ["1.jsonl"], "final.jsonl", RESULT, 0)] and "gs://b/final.jsonl" not in hook.objects
    rows.concatenate(["gs://b/1.jsonl", "gs://other/2.jsonl"], "gs://b/mixed.jsonl")
    rows.concatenate(["gs://b/1.jsonl"] * (MAX_COMPOSE_SOURCES + 1), "gs://b/many.jsonl")
    assert len(hook.composed) == 1
    assert hook.objects["gs://b/mixed.jsonl"] == b"a\nb\n"
    assert hook.objects["gs://b/many.jsonl"] == b"a\n" * (MAX_COMPOSE_SOURCES + 1)
    assert hook.metadata["gs://b/mixed.jsonl"] == hook.metadata["gs://b/many.jsonl"] == RESULT, "streamed, marked too"


def test_sources_in_one_bucket_are_composed_others_streamed() -> None:
    assert compose_plan(["gs://b/x/1.jsonl", "gs://b/2.jsonl"], "gs://b/out.jsonl") == ComposePlan(
        "b", ["x/1.jsonl", "2.jsonl"], "out.jsonl")
    assert compose_plan(["gs://b/1.jsonl", "gs://other/2.jsonl"], "gs://b/out.jsonl") is None
    many = [f"gs://b/{index}.jsonl" for index in range(MAX_COMPOSE_SOURCES + 1)]
    assert compose_plan(many, "gs://b/out.jsonl") is None
    assert compose_plan(many[:-1], "gs://b/out.jsonl") is not None


def test_destinations_in_existing_buckets_pass_and_a_missing_bucket_is_named() -> None:
    rows = rows_of(StandInHook({}, buckets=("b", "c"), forbidden=("locked",)))
    rows.require_destinations(["gs://b/r/succeeded.jsonl", "gs://c/r/failed.jsonl", "gs://locked/r"])
    with pytest.raises(GeminiBatchConfigurationError, match=r"Bucket 'nope' of the results .*does not exist") as raised:
        rows.require_destinations(["gs://b/r/succeeded.jsonl", "gs://nope/r/failed.jsonl"])
    assert "Create the bucket, or set destination_prefix" in str(raised.value)


RUN_1, RUN_2 = "dag/manual__1/split", "dag/manual__2/split"


def write(rows: CloudStorageRows, uri: str, data: bytes) -> None:
    with rows.open_writer(uri) as writer:
        writer.write(data)


def test_a_result_is_marked_with_its_writer_who_alone_may_replace_it() -> None:
    hook = StandInHook({})
    write(rows_of(hook, RUN_1), "gs://b/r/succeeded.jsonl", b"first\n")
    assert hook.metadata["gs://b/r/succeeded.jsonl"] == {**RESULT, WRITER_KEY: RUN_1}
    write(rows_of(hook, RUN_1), "gs://b/r/succeeded.jsonl", b"retry\n")
    assert (hook.objects["gs://b/r/succeeded.jsonl"], hook.generations["gs://b/r/succeeded.jsonl"]) == (b"retry\n", 2)
    other = rows_of(hook, RUN_2)
    for refused in (lambda: write(other, "gs://b/r/succeeded.jsonl", b"other\n"),
                    lambda: other.require_destinations(["gs://b/r/succeeded.jsonl"]),
                    lambda: other.concatenate(["gs://b/x.jsonl"], "gs://b/r/succeeded.jsonl")):
        with pytest.raises(GeminiBatchUploadConflictError, match="written by 'dag/manual__1/split'") as raised:
            refused()
        assert "{{ run_id }}" in str(raised.value) and not raised.value.is_retryable()
    assert hook.objects["gs://b/r/succeeded.jsonl"] == b"retry\n" and hook.composed == []


@pytest.mark.parametrize("writer", [None, RUN_1])
def test_an_object_no_writer_marked_is_never_replaced(writer: str | None) -> None:
    hook = StandInHook({"gs://b/r/failed.jsonl": b"theirs\n"})
    with pytest.raises(GeminiBatchUploadConflictError, match="is not a result file of this package"):
        write(rows_of(hook, writer), "gs://b/r/failed.jsonl", b"ours\n")
    assert hook.objects["gs://b/r/failed.jsonl"] == b"theirs\n"


def test_an_object_created_meanwhile_by_another_writer_is_kept() -> None:
    hook = StandInHook({})
    hook.meanwhile = lambda: hook.put("gs://b/r/missing.jsonl", b"theirs\n", {WRITER_KEY: RUN_2})
    with pytest.raises(GeminiBatchUploadConflictError, match="created or replaced by another writer"):
        write(rows_of(hook, RUN_1), "gs://b/r/missing.jsonl", b"ours\n")
    assert hook.objects["gs://b/r/missing.jsonl"] == b"theirs\n"
    hook.meanwhile = lambda: hook.put("gs://b/final.jsonl", b"theirs\n", {WRITER_KEY: RUN_2})
    with pytest.raises(GeminiBatchUploadConflictError, match="created or replaced by another writer"):
        rows_of(hook, RUN_1).concatenate(["gs://b/r/missing.jsonl"], "gs://b/final.jsonl")
    assert hook.composed == []
