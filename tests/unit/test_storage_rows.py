"""CloudStorageRows, the Cloud Storage shell of the output stage, on a stand-in for the storage hook."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from airflow_batch_gemini.hooks.storage_rows import MAX_COMPOSE_SOURCES, CloudStorageRows, ComposePlan, compose_plan
from tests.memory_rows import MemoryRows


class StandInHook(MemoryRows):
    """The hook's reads and writes on objects in a dict; composes are recorded, not done."""

    def __init__(self, objects: dict[str, bytes]) -> None:
        super().__init__(objects)
        self.objects = self.parts
        self.composed: list[tuple[str, list[str], str]] = []

    def list_prediction_files(self, directory_uri: str) -> list[str]:
        return sorted(uri for uri in self.objects if uri.startswith(directory_uri + "/"))

    def read_lines(self, uri: str) -> Iterator[bytes]:
        return self.read_rows(uri)

    def compose(self, bucket: str, sources: list[str], destination: str) -> None:
        self.composed.append((bucket, sources, destination))


def rows_of(hook: StandInHook) -> CloudStorageRows:
    stand_in: Any = hook  # the shell only calls the methods above
    return CloudStorageRows(stand_in)


def test_parts_rows_and_results_are_the_hooks_objects_and_lines() -> None:
    hook = StandInHook({"gs://b/out/1.jsonl": b"a\nb", "gs://b/in.jsonl": b"c\n"})
    rows = rows_of(hook)
    assert rows.output_parts("gs://b/out") == ["gs://b/out/1.jsonl"]
    assert list(rows.read_rows("gs://b/out/1.jsonl")) == [b"a\n", b"b"]
    with rows.open_writer("gs://b/r/succeeded.jsonl") as writer:
        writer.write(b"a\n")
    assert hook.objects["gs://b/r/succeeded.jsonl"] == b"a\n"


def test_sources_in_the_bucket_are_composed_others_streamed() -> None:
    hook = StandInHook({"gs://b/1.jsonl": b"a\n", "gs://other/2.jsonl": b"b\n"})
    rows = rows_of(hook)
    rows.concatenate(["gs://b/1.jsonl"], "gs://b/final.jsonl")
    assert hook.composed == [("b", ["1.jsonl"], "final.jsonl")] and "gs://b/final.jsonl" not in hook.objects
    rows.concatenate(["gs://b/1.jsonl", "gs://other/2.jsonl"], "gs://b/mixed.jsonl")
    rows.concatenate(["gs://b/1.jsonl"] * (MAX_COMPOSE_SOURCES + 1), "gs://b/many.jsonl")
    assert len(hook.composed) == 1
    assert hook.objects["gs://b/mixed.jsonl"] == b"a\nb\n"
    assert hook.objects["gs://b/many.jsonl"] == b"a\n" * (MAX_COMPOSE_SOURCES + 1)


def test_sources_in_one_bucket_are_composed_others_streamed() -> None:
    assert compose_plan(["gs://b/x/1.jsonl", "gs://b/2.jsonl"], "gs://b/out.jsonl") == ComposePlan(
        "b", ["x/1.jsonl", "2.jsonl"], "out.jsonl")
    assert compose_plan(["gs://b/1.jsonl", "gs://other/2.jsonl"], "gs://b/out.jsonl") is None
    many = [f"gs://b/{index}.jsonl" for index in range(MAX_COMPOSE_SOURCES + 1)]
    assert compose_plan(many, "gs://b/out.jsonl") is None
    assert compose_plan(many[:-1], "gs://b/out.jsonl") is not None
