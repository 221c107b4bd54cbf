"""Cloud Storage I/O for the emulator: google-cloud-storage calls run in worker threads.

Nothing here blocks the event loop: every call to the (synchronous) client library goes through
``loop.run_in_executor``. One client per worker thread, pointed at the emulated Cloud Storage
endpoint with anonymous credentials.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from google.api_core import exceptions as gexc
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage

from airflow_batch_gemini.uris import parse_gs_uri, wildcard_regex

T = TypeVar("T")


class StorageError(Exception):
    """A Cloud Storage object or bucket cannot be read or written."""


def split_uri(uri: str) -> tuple[str, str]:
    """``gs://bucket/path/obj`` -> ``("bucket", "path/obj")``, by the provider's one ``gs://`` parser.

    :raises StorageError: if ``uri`` is not a Cloud Storage URI.
    """
    try:
        return parse_gs_uri(uri)
    except ValueError as err:
        raise StorageError(str(err)) from err


class Storage:
    """Async facade over google-cloud-storage for one endpoint (``None``: ``STORAGE_EMULATOR_HOST``)."""

    def __init__(self, endpoint: str | None, max_workers: int = 16) -> None:
        self.endpoint = endpoint
        self._executor = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="emulator-gcs")
        self._local = threading.local()

    def close(self) -> None:
        """Stop the worker threads."""
        self._executor.shutdown(wait=False, cancel_futures=True)

    def _client(self) -> storage.Client:
        client = getattr(self._local, "client", None)
        if client is None:
            options = {"api_endpoint": self.endpoint} if self.endpoint else None
            client = storage.Client(
                project="emulator", credentials=AnonymousCredentials(), client_options=options
            )
            self._local.client = client
        return client

    async def _run(self, func: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, func, *args)

    # -- blocking parts, run in the executor ------------------------------------------------------
    def _expand(self, uri: str) -> list[str]:
        bucket_name, name = split_uri(uri)
        if "*" not in name:
            return [uri]
        prefix = name.split("*", 1)[0]
        regex = wildcard_regex(name)
        try:
            blobs = self._client().list_blobs(bucket_name, prefix=prefix)
            matches = sorted(blob.name for blob in blobs if regex.fullmatch(blob.name))
        except gexc.NotFound as err:
            raise StorageError(f"bucket gs://{bucket_name} does not exist") from err
        except gexc.GoogleAPIError as err:
            raise StorageError(f"cannot list {uri}: {err}") from err
        if not matches:
            raise StorageError(f"no object matches {uri}")
        return [f"gs://{bucket_name}/{match}" for match in matches]

    def _read_all(self, uris: list[str]) -> list[tuple[str, bytes]]:
        files: list[tuple[str, bytes]] = []
        for pattern in uris:
            for uri in self._expand(pattern):
                bucket_name, name = split_uri(uri)
                try:
                    files.append((uri, self._client().bucket(bucket_name).blob(name).download_as_bytes()))
                except gexc.NotFound as err:
                    raise StorageError(f"{uri} does not exist") from err
                except gexc.GoogleAPIError as err:
                    raise StorageError(f"cannot read {uri}: {err}") from err
        return files

    def _bucket_exists(self, bucket_name: str) -> bool:
        try:
            return bool(self._client().bucket(bucket_name).exists())
        except gexc.GoogleAPIError as err:
            raise StorageError(f"cannot reach bucket gs://{bucket_name}: {err}") from err

    def _write(self, uri: str, data: bytes) -> None:
        bucket_name, name = split_uri(uri)
        try:
            blob = self._client().bucket(bucket_name).blob(name)
            blob.upload_from_string(data, content_type="application/jsonl")
        except gexc.GoogleAPIError as err:
            raise StorageError(f"cannot write {uri}: {err}") from err

    # -- async API ---------------------------------------------------------------------------------
    async def read_inputs(self, uris: list[str]) -> list[tuple[str, bytes]]:
        """The content of every object the URIs (wildcards allowed) name, in order."""
        return await self._run(self._read_all, uris)

    async def bucket_exists(self, bucket_name: str) -> bool:
        """Does the bucket exist?"""
        return await self._run(self._bucket_exists, bucket_name)

    async def write(self, uri: str, data: bytes) -> None:
        """Create or replace an object."""
        await self._run(self._write, uri, data)
