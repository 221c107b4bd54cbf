"""The storage hook's lookups for the checks before a create, against a stand-in client: what a 403 and a 404
become (fake-gcs-server answers neither for permissions, so these are checked here)."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest
from google.api_core.exceptions import Forbidden, NotFound

from airflow_batch_gemini.hooks.storage import GeminiBatchStorageHook
from airflow_batch_gemini.job.preflight import InputLookup


def blob(name: str, **metadata: str) -> SimpleNamespace:
    return SimpleNamespace(name=name, generation=7, size=12, crc32c="CRC=", md5_hash="MD5=", metadata=metadata)


class Bucket:
    def __init__(self, client: Client, name: str) -> None:
        self.client, self.name = client, name

    def get_blob(self, name: str) -> Any:
        if self.client.objects_forbidden:
            raise Forbidden("storage.objects.get denied")
        return self.client.blobs.get(name)


class Client:
    """Buckets and objects as ``google.cloud.storage.Client`` shows them: ``get_bucket``, ``bucket().get_blob``,
    ``list_blobs``; each can answer 403."""

    def __init__(self, buckets: dict[str, str], blobs: dict[str, SimpleNamespace], objects_forbidden: bool = False):
        self.buckets, self.blobs, self.objects_forbidden = buckets, blobs, objects_forbidden

    def get_bucket(self, name: str) -> Bucket:
        state = self.buckets.get(name, "missing")
        if state == "missing":
            raise NotFound(f"bucket {name}")
        if state == "forbidden":
            raise Forbidden("storage.buckets.get denied")
        return Bucket(self, name)

    def bucket(self, name: str) -> Bucket:
        return Bucket(self, name)

    def list_blobs(self, bucket: str, prefix: str = "") -> list[SimpleNamespace]:
        if self.buckets.get(bucket, "missing") == "missing":
            raise NotFound(f"bucket {bucket}")
        if self.objects_forbidden:
            raise Forbidden("storage.objects.list denied")
        return [item for name, item in self.blobs.items() if name.startswith(prefix)]


@pytest.fixture
def hook(monkeypatch: pytest.MonkeyPatch) -> GeminiBatchStorageHook:
    connection = {"conn_type": "google_cloud_platform", "extra": {"project": "p", "is_anonymous": True}}
    monkeypatch.setenv("AIRFLOW_CONN_LOOKUPS", json.dumps(connection))
    return GeminiBatchStorageHook(gcp_conn_id="lookups")


def use(monkeypatch: pytest.MonkeyPatch, hook: GeminiBatchStorageHook, client: Client) -> None:
    monkeypatch.setattr(hook, "get_conn", lambda: client)


def test_bucket_states(monkeypatch: pytest.MonkeyPatch, hook: GeminiBatchStorageHook) -> None:
    use(monkeypatch, hook, Client({"there": "exists", "locked": "forbidden"}, {}))
    assert [hook.bucket_state(name) for name in ("there", "locked", "gone")] == ["exists", "forbidden", "missing"]


def test_an_object_and_a_wildcards_matches_with_their_content_and_metadata(monkeypatch, hook) -> None:
    blobs = {"in/a.jsonl": blob("in/a.jsonl"), "in/b.jsonl": blob("in/b.jsonl", **{"airflow-batch-gemini-file": "x"}),
             "in/sub/c.jsonl": blob("in/sub/c.jsonl")}
    use(monkeypatch, hook, Client({"b": "exists"}, blobs))
    one = hook.lookup_input("gs://b/in/a.jsonl")
    assert [(item.uri, item.size, item.crc32c, item.md5) for item in one.objects] == [
        ("gs://b/in/a.jsonl", 12, "CRC=", "MD5=")]
    wild = hook.lookup_input("gs://b/in/*.jsonl")
    assert [item.uri for item in wild.objects] == ["gs://b/in/a.jsonl", "gs://b/in/b.jsonl"]
    assert wild.objects[1].metadata == {"airflow-batch-gemini-file": "x"}
    assert hook.lookup_input("gs://b/in/absent.jsonl") == InputLookup("gs://b/in/absent.jsonl")


def test_a_missing_bucket_and_a_refused_read_are_told_apart(monkeypatch, hook) -> None:
    use(monkeypatch, hook, Client({}, {}))
    assert hook.lookup_input("gs://gone/in.jsonl").bucket_missing
    assert hook.lookup_input("gs://gone/in/*.jsonl").bucket_missing
    use(monkeypatch, hook, Client({"b": "exists"}, {}, objects_forbidden=True))
    assert hook.lookup_input("gs://b/in.jsonl").denied == "storage.objects.get"
    assert hook.lookup_input("gs://b/in/*.jsonl").denied == "storage.objects.list"
