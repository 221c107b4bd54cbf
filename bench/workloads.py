"""The work measured by the storage rows, each next to its plain baseline. Used in process (timing)
and by :mod:`bench.rss_child` (peak memory in a fresh process)."""

from __future__ import annotations

from pathlib import Path

from airflow_batch_gemini.hooks.storage import GeminiBatchStorageHook
from airflow_batch_gemini.manifests import PreparedInput, SplitManifest
from airflow_batch_gemini.operators.failures import GeminiBatchPermanentFailure
from airflow_batch_gemini.operators.prepare_input import GeminiBatchPrepareInputOperator
from airflow_batch_gemini.operators.split_output import GeminiBatchSplitOutputOperator

CHUNK = 1024 * 1024


def validate_and_upload(source: Path, destination_uri: str) -> PreparedInput:
    """The package's way: ``GeminiBatchPrepareInputOperator`` on a local file."""
    operator = GeminiBatchPrepareInputOperator(
        task_id="bench_prepare", source=str(source), destination_uri=destination_uri
    )
    return operator.execute({})


def prepare_hostile(source: str, destination_uri: str, max_line_bytes: int) -> PreparedInput | None:
    """The prepare operator with ``on_invalid="skip"`` on a hostile ``source`` (a local path or a ``gs://``
    object); ``None`` when it refuses the source as a whole (as it does a compressed object)."""
    operator = GeminiBatchPrepareInputOperator(
        task_id="bench_prepare_hostile", source=source, destination_uri=destination_uri, on_invalid="skip",
        max_line_bytes=max_line_bytes,
    )
    try:
        return operator.execute({})
    except GeminiBatchPermanentFailure:
        return None


def plain_upload(source: Path, destination_uri: str) -> int:
    """The baseline: stream the same bytes to Cloud Storage through the same hook, no validation."""
    size = 0
    with source.open("rb") as handle, GeminiBatchStorageHook().open_writer(destination_uri) as writer:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            writer.write(chunk)
            size += len(chunk)
    return size


def split(output_directory: str, destination_prefix: str, input_uri: str | None = None) -> SplitManifest:
    """The package's way: ``GeminiBatchSplitOutputOperator.split`` on a job's output directory
    (reconciled with ``input_uri`` when given)."""
    operator = GeminiBatchSplitOutputOperator(
        task_id="bench_split", output_directory=output_directory, destination_prefix=destination_prefix,
        input_uris=input_uri,
    )
    return operator.split()


def plain_copy(source_uri: str, destination_uri: str) -> int:
    """The baseline: stream an object's lines into another object through the same hook."""
    hook = GeminiBatchStorageHook()
    rows = 0
    with hook.open_writer(destination_uri) as writer:
        for line in hook.read_lines(source_uri):
            writer.write(line)
            rows += 1
    return rows
