"""Shared fixtures: the local stack (fake-gcs-server + the Vertex AI batch emulator) on loopback."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from airflow_batch_gemini.local_stack import LocalStack, running_stack

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
