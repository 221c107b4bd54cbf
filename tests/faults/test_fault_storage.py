"""Cloud Storage going wrong: another writer at the input's destination (before, and during, the
upload), another writer at the split's result files during the split, and job output with corrupt
and truncated rows. Nothing may be silently overwritten, mixed or lost."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from airflow_batch_gemini.exceptions import GeminiBatchUploadConflictError
from airflow_batch_gemini.hooks.storage import GeminiBatchStorageHook
from airflow_batch_gemini.lines import OverlongLine
from airflow_batch_gemini.operators.prepare_input import GeminiBatchPrepareInputOperator
from airflow_batch_gemini.output.annotation import PARSED_ERROR_FIELD
from airflow_batch_gemini.output.results import SUCCEEDED_FILE
from tests.conftest import TEST_BUCKET, request_line
from tests.failfast import raises_permanently
from tests.faults.helpers import (
    case_context,
    jobs_created,
    output_keys,
    split_output,
    submit_operator,
    upload_input,
)
from tests.faults.scoreboard import FaultRecord
from tests.taskrun import run_task

pytestmark = pytest.mark.usefixtures("google_connection")

OTHER_WRITER = b'{"key": "someone-else", "request": {"contents": [{"parts": [{"text": "theirs"}]}]}}\n'


def write(uri: str, data: bytes) -> None:
    """What another writer does: put a whole object at ``uri``."""
    with GeminiBatchStorageHook().open_writer(uri) as writer:
        writer.write(data)


def read(uri: str) -> bytes:
    return b"".join(GeminiBatchStorageHook().read_lines(uri))


class RacingRequests(list[dict[str, Any]]):
    """Request dicts for the prepare operator; once armed, another writer fills the destination as the
    operator starts reading them: after it saw the destination absent and began streaming its upload."""

    def __init__(self, items: list[dict[str, Any]], destination: str) -> None:
        super().__init__(items)
        self.destination = destination
        self.armed = False
        self.passes = 0

    def __iter__(self) -> Iterator[dict[str, Any]]:
        if self.armed:
            self.passes += 1
            if self.passes == 1:
                write(self.destination, OTHER_WRITER)
        return super().__iter__()


def requests_for(fault: FaultRecord, count: int = 5) -> list[dict[str, Any]]:
    return [request_line(f"q{index}", key=f"{fault.label}-{index}") for index in range(count)]


def prepare(source: Any, destination: str) -> dict[str, Any]:
    operator = GeminiBatchPrepareInputOperator(task_id="prepare", source=source, destination_uri=destination)
    result: dict[str, Any] = operator.execute({})
    return result


def test_upload_never_overwrites_other_content(fault: FaultRecord) -> None:
    destination = f"gs://{TEST_BUCKET}/faults/{fault.label}/input.jsonl"
    write(destination, OTHER_WRITER)
    fault.injected += 1
    with raises_permanently(GeminiBatchUploadConflictError, match="already exists with other content"):
        prepare(requests_for(fault), destination)
    assert read(destination) == OTHER_WRITER


def test_upload_precondition_conflict_mid_upload(fault: FaultRecord) -> None:
    destination = f"gs://{TEST_BUCKET}/faults/{fault.label}/input.jsonl"
    source = RacingRequests(requests_for(fault), destination)
    operator = GeminiBatchPrepareInputOperator(task_id="prepare", source=source, destination_uri=destination)
    assert operator.source is source
    source.armed = True  # not before: building the operator walked its template fields
    fault.injected += 1
    with raises_permanently(GeminiBatchUploadConflictError, match="changed while uploading"):
        operator.execute({})
    assert source.passes == 1, "one pass: validated and streamed, raced during the upload"
    assert read(destination) == OTHER_WRITER, "the other writer's object is intact, nothing of ours mixed in"


def test_upload_retry_reuses_identical_content(fault: FaultRecord) -> None:
    destination = f"gs://{TEST_BUCKET}/faults/{fault.label}/input.jsonl"
    requests = requests_for(fault)
    first = prepare(requests, destination)
    fault.injected += 1  # the retry of a task whose upload had completed
    second = prepare(requests, destination)
    fault.rows([line["key"] for line in requests], output_keys(destination))
    assert (first["reused"], second["reused"]) == (False, True)
    assert fault.rows_lost == 0


def test_split_output_written_by_another_writer_mid_split(fault: FaultRecord, upload_lines,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """A writer racing the split at its result files wins: the split's precondition (the file was absent) fails,
    nothing of the split's is kept and the other file stays whole; the split in a folder of its own, as its error
    advises, delivers every row."""
    input_uri, keys = upload_input(upload_lines, fault)
    manifest = run_task(submit_operator(fault, input_uri), case_context(fault))
    results = f"gs://{TEST_BUCKET}/faults/{fault.label}/results"
    original = GeminiBatchStorageHook.read_lines

    raced: list[str] = []

    def racing_read_lines(self: GeminiBatchStorageHook, uri: str, generation: int | None = None,
                          **bounds: Any) -> Iterator[bytes | OverlongLine]:
        for index, line in enumerate(original(self, uri, generation, **bounds)):
            if index == 1 and not raced:  # once, while the split reads the job's output
                raced.append(uri)
                write(f"{results}/{SUCCEEDED_FILE}", OTHER_WRITER)
            yield line

    with monkeypatch.context() as patch:
        patch.setattr(GeminiBatchStorageHook, "read_lines", racing_read_lines)
        with pytest.raises(GeminiBatchUploadConflictError, match="created or replaced by another writer"):
            split_output(fault, manifest["output_directory"])
    assert read(f"{results}/{SUCCEEDED_FILE}") == OTHER_WRITER, "the other writer's file, whole"
    summary, found = split_output(fault, manifest["output_directory"], name="results-of-its-own")
    fault.injected += len(raced)
    fault.jobs(logical=1, created=jobs_created(fault))
    fault.rows(keys, found)
    assert raced and raced[0].startswith(manifest["output_directory"])
    assert sorted(found) == sorted(keys)
    assert b"someone-else" not in read(summary["succeeded_uri"]), "the split's own file, whole"
    assert summary["succeeded"] + summary["failed"] == len(keys)


CORRUPT_ROWS = (
    b"{not json at all",
    b'{"status": "", "response": {"candidates": [{"content": {"parts": [{"text": "cut',
    b"\xff\xfe\x00binary",
    b'["an", "array"]',
    b'{"processed_time": "2026-01-01T00:00:00Z", "key": "no-status"}',
    b'{"status": 500, "key": "status-not-text"}',
    b'{"status": "", "key": "trunc',  # the last line of a shard cut off mid-row, without a line break
)


def comparable(line: bytes) -> bytes:
    """A failed row as written, less the split's ``parsed_error`` annotation (lines that are no object: as is)."""
    try:
        row = json.loads(line)
    except ValueError:
        return line.rstrip(b"\n")
    if not isinstance(row, dict):
        return line.rstrip(b"\n")
    row.pop(PARSED_ERROR_FIELD, None)
    return json.dumps(row, sort_keys=True).encode()


def test_corrupt_and_truncated_output_rows_go_to_failed(fault: FaultRecord, upload_lines) -> None:
    input_uri, keys = upload_input(upload_lines, fault)
    manifest = run_task(submit_operator(fault, input_uri), case_context(fault))
    directory = manifest["output_directory"]
    predictions = f"{directory}/predictions.jsonl"
    rows = read(predictions).splitlines(keepends=True)
    cut = rows[-1][: len(rows[-1]) // 2]  # the real output, its last row truncated
    write(predictions, b"".join(rows[:-1]) + cut)
    write(f"{directory}/predictions_corrupt.jsonl", b"\n".join(CORRUPT_ROWS))
    fault.injected += len(CORRUPT_ROWS) + 1
    summary, found = split_output(fault, directory)
    fault.jobs(logical=1, created=jobs_created(fault))
    failed_lines = {comparable(line) for line in read(summary["failed_uri"]).splitlines()}
    lost_key = json.loads(rows[-1])["key"]
    fault.rows([key for key in keys if key != lost_key], found)
    fault.rows_in += len(CORRUPT_ROWS) + 1
    fault.rows_found += sum(comparable(line) in failed_lines for line in (*CORRUPT_ROWS, cut))
    assert summary["total"] == len(keys) + len(CORRUPT_ROWS), "every line is a row somewhere"
    assert fault.rows_lost == 0, "each corrupt or truncated line is in failed.jsonl"
