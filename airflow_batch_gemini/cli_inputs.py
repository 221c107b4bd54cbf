"""What ``gemini-batch validate`` reads: local files, the ``*.jsonl`` files of a folder, standard input (``-``) and
Cloud Storage objects (``gs://``; a ``*`` wildcard, or a name ending in ``/`` for its ``*.jsonl`` objects).

Every argument is resolved before any line is checked, so that one that leads nowhere (a missing file, an
object that is not there, a folder or wildcard that holds no input) is a usage error (:class:`InputNotFound`,
exit status 2) and not an invalid input. ``gs://`` is read with google-cloud-storage: anonymous credentials
when ``STORAGE_EMULATOR_HOST`` points at an emulator, Application Default Credentials otherwise; an object is
read at the generation it had when it was listed, in chunks, so memory holds one chunk and one line (at most
``--max-line-bytes`` of it); an object stored compressed (``Content-Encoding: gzip``) is refused, never inflated.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from airflow_batch_gemini.bounds import compressed_object_refusal
from airflow_batch_gemini.lines import OverlongLine, iter_line_blocks, read_line_blocks
from airflow_batch_gemini.uris import parse_gs_uri, wildcard_regex

if TYPE_CHECKING:
    from google.cloud.storage import Client

#: The argument that stands for standard input.
STDIN = "-"
#: How the output names standard input.
STDIN_NAME = "<stdin>"
#: Bytes fetched from a ``gs://`` object at a time.
GCS_CHUNK_BYTES = 2 * 1024 * 1024
#: What a folder, or a ``gs://`` name ending in ``/``, is read for.
FOLDER_PATTERN = "*.jsonl"


class InputNotFound(Exception):
    """An argument names no input that can be read (exit status 2): the message says which and why."""


@dataclass(frozen=True)
class Input:
    """One input to check.

    :param name: how the output names it (the path or URI as given or found; ``<stdin>`` for standard input).
    :param size: its size in bytes, if known (for the progress bar).
    :param open_blocks: read it as blocks of whole lines, given the longest line to hold (a longer one comes
        as an :class:`~airflow_batch_gemini.lines.OverlongLine`).
    """

    name: str
    size: int | None
    open_blocks: Callable[[int], Iterator[bytes | OverlongLine]]

    @property
    def short_name(self) -> str:
        """The last part of the name, for the progress bar."""
        return self.name.rstrip("/").rsplit("/", 1)[-1]


@dataclass(frozen=True)
class Argument:
    """What one command-line argument stands for: its inputs, and for a folder or a wildcard, a line to say
    which it found (``None`` for a single file or object)."""

    inputs: list[Input]
    found: str | None = None


def _local_blocks(path: Path, max_line_bytes: int) -> Iterator[bytes | OverlongLine]:
    try:
        handle = path.open("rb")
    except OSError as err:
        raise InputNotFound(f"{path}: cannot be read ({err.strerror})") from None
    with handle:
        yield from read_line_blocks(handle, max_line_bytes)


def _local_file(path: Path) -> Input:
    return Input(str(path), path.stat().st_size, lambda max_line_bytes: _local_blocks(path, max_line_bytes))


def _folder(path: Path) -> Argument:
    files = sorted(found for found in path.glob(FOLDER_PATTERN) if found.is_file())
    if not files:
        raise InputNotFound(f"{path}: a folder without {FOLDER_PATTERN} files; name the files to check")
    names = ", ".join(found.name for found in files)
    return Argument([_local_file(found) for found in files],
                    f"{path}: checking its {len(files)} {FOLDER_PATTERN} file(s) in name order: {names}")


def standard_input(stream: IO[bytes]) -> Input:
    """Standard input as an input (read once: it can be given once)."""
    return Input(STDIN_NAME, None, lambda max_line_bytes: read_line_blocks(stream, max_line_bytes))


def storage_client() -> Client:
    """A Cloud Storage client: anonymous against ``STORAGE_EMULATOR_HOST`` when it is set (fake-gcs-server, say),
    else with Application Default Credentials."""
    from google.cloud import storage

    if os.environ.get("STORAGE_EMULATOR_HOST"):
        from google.auth.credentials import AnonymousCredentials

        return storage.Client(project="local-emulator", credentials=AnonymousCredentials())
    return storage.Client()


class CloudStorage:
    """``gs://`` arguments, with one client made when the first one is resolved."""

    def __init__(self, make_client: Callable[[], Client] = storage_client) -> None:
        self._make_client = make_client
        self._client: Client | None = None

    def client(self, uri: str) -> Client:
        """The client, made for the first ``uri`` (which an error making it names)."""
        if self._client is None:
            self._client = _calling_google(self._make_client, uri)
        return self._client

    def argument(self, uri: str) -> Argument:
        """The objects ``uri`` names: one object, the objects a ``*`` wildcard matches, or the ``*.jsonl``
        objects of a name ending in ``/`` (a bucket's own when it has no name), each in name order.

        :raises InputNotFound: the object is not there, nothing matches, or the bucket cannot be read.
        """
        try:
            bucket, name = parse_gs_uri(uri)
        except ValueError as err:
            raise InputNotFound(str(err)) from None
        if not name or name.endswith("/"):
            pattern = name + FOLDER_PATTERN
        elif "*" in name:
            pattern = name
        else:
            client = self.client(uri)
            blob = _calling_google(lambda: client.bucket(bucket).get_blob(name), uri)
            if blob is None:
                raise InputNotFound(f"{uri}: no such object")
            return Argument([self._object(bucket, blob)])
        regex, client = wildcard_regex(pattern), self.client(uri)
        listed = _calling_google(lambda: list(client.list_blobs(bucket, prefix=pattern.split("*", 1)[0])), uri)
        blobs = sorted((blob for blob in listed if regex.fullmatch(blob.name)), key=lambda blob: blob.name)
        if not blobs:
            raise InputNotFound(f"{uri}: no object matches gs://{bucket}/{pattern}")
        names = ", ".join(blob.name for blob in blobs)
        return Argument([self._object(bucket, blob) for blob in blobs],
                        f"{uri}: checking the {len(blobs)} object(s) of gs://{bucket}/{pattern} in name order: {names}")

    def _object(self, bucket: str, blob: Any) -> Input:
        """An object to check; one stored compressed is refused (:class:`InputNotFound`), never inflated."""
        uri = f"gs://{bucket}/{blob.name}"
        if refusal := compressed_object_refusal(uri, blob.content_encoding):
            raise InputNotFound(refusal)
        return Input(uri, blob.size,
                     lambda max_line_bytes: self._blocks(uri, bucket, blob.name, blob.generation, max_line_bytes))

    def _blocks(self, uri: str, bucket: str, name: str, generation: int | None, max_line_bytes: int
                ) -> Iterator[bytes | OverlongLine]:
        pinned = self.client(uri).bucket(bucket).blob(name, generation=generation)
        reader = _calling_google(lambda: pinned.open("rb", chunk_size=GCS_CHUNK_BYTES, raw_download=True), uri)
        with reader:
            chunks = iter(lambda: _calling_google(lambda: reader.read(GCS_CHUNK_BYTES), uri), b"")
            yield from iter_line_blocks(chunks, max_line_bytes)


def _calling_google(call: Callable[[], Any], where: str) -> Any:
    """``call()``, with Google's errors (no credentials, no access, no bucket, an object replaced while it was
    read) as :class:`InputNotFound` naming ``where``."""
    from google.api_core.exceptions import GoogleAPIError, NotFound
    from google.auth.exceptions import DefaultCredentialsError

    try:
        return call()
    except DefaultCredentialsError:
        raise InputNotFound(
            f"{where}: no Google credentials; run `gcloud auth application-default login`, set "
            "GOOGLE_APPLICATION_CREDENTIALS, or STORAGE_EMULATOR_HOST for an emulator"
        ) from None
    except NotFound as err:
        raise InputNotFound(f"{where}: not found, or replaced while it was read ({err.message})") from None
    except GoogleAPIError as err:
        raise InputNotFound(f"{where}: cannot be read ({err})") from None


def resolve(arguments: list[str], storage: CloudStorage | None = None, stdin: IO[bytes] | None = None
            ) -> list[Argument]:
    """What each argument stands for, in order.

    :param arguments: local paths (files or folders), ``-`` for standard input, ``gs://`` URIs.
    :param storage: reads ``gs://`` (a client with Application Default Credentials by default).
    :param stdin: standard input (``sys.stdin``'s bytes by default).
    :raises InputNotFound: an argument leads nowhere, or ``-`` is given twice.
    """
    storage = storage or CloudStorage()
    resolved: list[Argument] = []
    for argument in arguments:
        if argument == STDIN:
            if STDIN in arguments[: len(resolved)]:
                raise InputNotFound("-: standard input can be read once; give - once")
            resolved.append(Argument([standard_input(stdin or sys.stdin.buffer)]))
        elif argument.startswith("gs://"):
            resolved.append(storage.argument(argument))
        elif (path := Path(argument)).is_dir():
            resolved.append(_folder(path))
        elif path.is_file():
            resolved.append(Argument([_local_file(path)]))
        else:
            raise InputNotFound(f"{argument}: no such file or folder")
    return resolved
