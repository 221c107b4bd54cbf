"""Fixtures of the emulator's own tests: uploads, Google's clients on the session stack."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from gemini_batch_local.local_stack import LocalStack
from tests.emulator.helpers import BUCKET, LOCATION, PROJECT, RawApi


@pytest.fixture(scope="session")
def emulator_stack(stack: LocalStack) -> LocalStack:
    """The session stack with this suite's bucket."""
    stack.create_bucket(BUCKET)
    return stack


@pytest.fixture(scope="session")
def api(emulator_stack: LocalStack) -> RawApi:
    return RawApi(emulator_stack.vertex_url)


@pytest.fixture(scope="session")
def storage_client(emulator_stack: LocalStack) -> Any:
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage

    return storage.Client(project=PROJECT, credentials=AnonymousCredentials(),
                          client_options={"api_endpoint": emulator_stack.gcs_url})


@pytest.fixture
def prefix() -> str:
    """A fresh ``gs://`` folder for one test."""
    return f"gs://{BUCKET}/{uuid.uuid4().hex}"


@pytest.fixture
def upload(storage_client: Any) -> Callable[[str, str | bytes | list[dict[str, Any]]], str]:
    """Write an object (lines are JSON-encoded one per line) and return its ``gs://`` URI."""

    def _upload(uri: str, content: str | bytes | list[dict[str, Any]]) -> str:
        bucket, _, name = uri[len("gs://"):].partition("/")
        if isinstance(content, list):
            content = "".join(json.dumps(line) + "\n" for line in content)
        storage_client.bucket(bucket).blob(name).upload_from_string(content)
        return uri

    return _upload


@pytest.fixture
def read_rows(storage_client: Any) -> Callable[[str], list[dict[str, Any]]]:
    """The rows of ``{directory}/predictions.jsonl``."""

    def _read(directory: str) -> list[dict[str, Any]]:
        bucket, _, name = directory[len("gs://"):].partition("/")
        text = storage_client.bucket(bucket).blob(f"{name}/predictions.jsonl").download_as_text()
        return [json.loads(line) for line in text.splitlines() if line.strip()]

    return _read


@pytest.fixture(scope="session")
def genai_client_factory(emulator_stack: LocalStack) -> Callable[[str | None], Any]:
    """google-genai in Vertex mode, unchanged, pointed at the emulator (``None``: its default version)."""
    import google.oauth2.credentials
    from google import genai
    from google.genai.types import HttpOptions

    def _client(api_version: str | None) -> Any:
        options = HttpOptions(base_url=emulator_stack.vertex_url, api_version=api_version)
        return genai.Client(vertexai=True, project=PROJECT, location=LOCATION,
                            credentials=google.oauth2.credentials.Credentials(token="x"), http_options=options)

    return _client


@pytest.fixture(scope="session")
def job_service_client(emulator_stack: LocalStack) -> Any:
    """google-cloud-aiplatform's JobServiceClient over REST, unchanged, pointed at the emulator."""
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import aiplatform_v1

    return aiplatform_v1.JobServiceClient(transport="rest", credentials=AnonymousCredentials(),
                                          client_options={"api_endpoint": emulator_stack.vertex_url})
