"""Shared fixtures: the local stack (fake-gcs-server + the Vertex AI batch emulator) on loopback."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from gemini_batch_local.local_stack import LocalStack, running_stack

TEST_BUCKET = "gemini-batch-test"


@pytest.fixture(scope="session")
def stack() -> Iterator[LocalStack]:
    """One fake-gcs-server and one emulator for the whole session; ``STORAGE_EMULATOR_HOST`` is set."""
    with running_stack(buckets=[TEST_BUCKET], log_dir=None) as local_stack:
        yield local_stack


@pytest.fixture(scope="session")
def gcs_client(stack: LocalStack):
    """A real google-cloud-storage client talking to fake-gcs-server."""
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage

    assert os.environ["STORAGE_EMULATOR_HOST"] == stack.gcs_url
    return storage.Client(project="local-project", credentials=AnonymousCredentials())


@pytest.fixture(scope="session")
def google_connection(stack: LocalStack) -> Iterator[str]:
    """``google_cloud_default`` as an env-var connection to the stack (anonymous, emulator endpoint)."""
    saved = os.environ.get("AIRFLOW_CONN_GOOGLE_CLOUD_DEFAULT")
    os.environ["AIRFLOW_CONN_GOOGLE_CLOUD_DEFAULT"] = stack.connection_uri()
    yield "google_cloud_default"
    if saved is None:
        os.environ.pop("AIRFLOW_CONN_GOOGLE_CLOUD_DEFAULT", None)
    else:
        os.environ["AIRFLOW_CONN_GOOGLE_CLOUD_DEFAULT"] = saved


@pytest.fixture
def upload_lines(gcs_client):
    """Write JSON lines to ``gs://TEST_BUCKET/<name>`` and return the URI."""
    import json

    def _upload(name: str, lines: list[dict]) -> str:
        blob = gcs_client.bucket(TEST_BUCKET).blob(name)
        blob.upload_from_string("".join(json.dumps(line) + "\n" for line in lines))
        return f"gs://{TEST_BUCKET}/{name}"

    return _upload


class EmulatorAdmin:
    """The emulator's test endpoints (``/emulator/...``): call counts, resuming paused jobs."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    def _call(self, method: str, path: str) -> dict:
        import json
        import urllib.request

        request = urllib.request.Request(f"{self.base_url}/emulator/{path}", method=method, data=None)
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read() or b"{}")

    def stats(self) -> dict:
        return self._call("GET", "stats")

    def calls(self, method: str) -> int:
        return int(self.stats()["calls"].get(method, 0))

    def resume(self, job_name: str) -> dict:
        return self._call("POST", f"jobs/{job_name.rsplit('/', 1)[-1]}:resume")


@pytest.fixture(scope="session")
def emulator(stack: LocalStack) -> EmulatorAdmin:
    return EmulatorAdmin(stack.vertex_url)


def request_line(text: str, **extra: object) -> dict:
    """One valid input line asking ``text``."""
    return {"request": {"contents": [{"role": "user", "parts": [{"text": text}]}]}, **extra}
