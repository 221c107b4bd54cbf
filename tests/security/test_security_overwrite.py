"""One run never silently overwrites another run's files (the prepare's rejects file too), and the split and the
resubmission stay in their allow-lists: as an attacker who can only trigger a DAG (choosing its run id, or params
rendered into its templated locations), through the real operators and fake-gcs-server.

Before, the split replaced whatever its result files' names held: a second run with the same
``destination_prefix`` wrote over the first run's results, and a templated output directory could read any bucket
the worker may read; the prepare wrote its rejects over, or deleted, whatever object a templated ``rejects_uri``
named. Now each result and rejects file is marked with the task instance that wrote it and written or deleted with a
precondition (a retry of the same run replaces its own files; another run is refused, the files left as they
were, unless the DAG author sets ``overwrite`` on the prepare; an object the package did not write is never
touched), and a location outside an allow-list is refused before the storage is touched at all.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest
from google.cloud import storage

from airflow_batch_gemini.exceptions import GeminiBatchAccessRefusedError, GeminiBatchUploadConflictError
from airflow_batch_gemini.hooks.storage import GeminiBatchStorageHook
from airflow_batch_gemini.operators.failures import GeminiBatchPermanentFailure
from airflow_batch_gemini.operators.prepare_input import GeminiBatchPrepareInputOperator
from airflow_batch_gemini.operators.resubmit_failed import GeminiBatchResubmitFailedOperator
from airflow_batch_gemini.operators.split_output import GeminiBatchSplitOutputOperator
from airflow_batch_gemini.package_files import WRITER_KEY
from airflow_batch_gemini.uris import parse_gs_uri
from tests.conftest import TEST_BUCKET
from tests.resumed_tasks import xcom_context
from tests.seed import FAILURE_ROW, SEED_INPUT, SUCCESS_ROW
from tests.taskrun import run_task

pytestmark = pytest.mark.usefixtures("google_connection")
_folders = itertools.count()
NAMES = ("succeeded", "failed", "missing")


@pytest.fixture
def folder() -> str:
    return f"gs://{TEST_BUCKET}/security/overwrite/{next(_folders)}"


def write(uri: str, *rows: dict[str, Any]) -> None:
    with GeminiBatchStorageHook().open_writer(uri) as writer:
        for row in rows:
            writer.write(json.dumps(row).encode() + b"\n")


def blob(uri: str, gcs_client: storage.Client) -> storage.Blob:
    bucket, name = parse_gs_uri(uri)
    found = gcs_client.bucket(bucket).get_blob(name)
    assert found is not None, f"{uri} exists"
    return found


def state(uris: list[str], gcs_client: storage.Client) -> dict[str, tuple[int, bytes]]:
    """Generation and content of each object."""
    return {uri: (blob(uri, gcs_client).generation, blob(uri, gcs_client).download_as_bytes()) for uri in uris}


def job_output(folder: str, *rows: dict[str, Any]) -> str:
    output = f"{folder}/job/prediction-model-x"
    write(f"{output}/predictions.jsonl", *rows)
    return output


def split_task(output: str, destination: str, **kwargs: Any) -> GeminiBatchSplitOutputOperator:
    return GeminiBatchSplitOutputOperator(task_id="split", output_directory=output, destination_prefix=destination,
                                          **kwargs)


def refused(task: Any, context: dict[str, Any], error: type[Exception]) -> Exception:
    with pytest.raises(GeminiBatchPermanentFailure) as raised:
        run_task(task, context)
    assert isinstance(raised.value.error, error), "a permanent error: no retry repeats it"
    return raised.value.error


def test_another_run_with_the_same_destination_is_refused_and_a_retry_replaces_its_own_files(
    folder: str, gcs_client: storage.Client
) -> None:
    output = job_output(folder, {**SUCCESS_ROW, "key": "a"}, {**FAILURE_ROW, "key": "b"})
    first = run_task(split_task(output, f"{folder}/results"), xcom_context("scheduled__1"))
    uris = [first[f"{name}_uri"] for name in NAMES]
    assert blob(uris[0], gcs_client).metadata[WRITER_KEY] == "integration/scheduled__1/submit"
    before = state(uris, gcs_client)

    error = refused(split_task(output, f"{folder}/results"), xcom_context("manual__attacker"),
                    GeminiBatchUploadConflictError)
    assert f"{folder}/results/succeeded.jsonl already exists, written by 'integration/scheduled__1/submit'" in str(
        error)
    assert "{{ run_id }}" in str(error) and "delete" in str(error)
    assert state(uris, gcs_client) == before, "the first run's files are unchanged: same generation, same bytes"

    write(f"{output}/predictions.jsonl", {**SUCCESS_ROW, "key": "a"}, {**SUCCESS_ROW, "key": "b"})
    retry = run_task(split_task(output, f"{folder}/results"), xcom_context("scheduled__1", try_number=2))
    assert (retry["succeeded"], retry["failed"]) == (2, 0)
    after = state(uris, gcs_client)
    assert all(after[uri][0] != before[uri][0] for uri in uris), "a retry of the same run replaces its own files"
    assert after[uris[1]][1] == b""


def test_an_object_no_run_of_the_package_wrote_is_never_replaced(folder: str, gcs_client: storage.Client) -> None:
    output = job_output(folder, {**SUCCESS_ROW, "key": "a"})
    theirs = f"{folder}/results/failed.jsonl"
    write(theirs, {"private": "another team's row"})
    before = state([theirs], gcs_client)
    error = refused(split_task(output, f"{folder}/results"), xcom_context(), GeminiBatchUploadConflictError)
    assert "is not a result file of this package" in str(error)
    assert state([theirs], gcs_client) == before
    assert gcs_client.bucket(TEST_BUCKET).get_blob(f"{parse_gs_uri(folder)[1]}/results/succeeded.jsonl") is None, (
        "refused before anything was written")


def resubmit_task(split: dict[str, Any], destination: str, **kwargs: Any) -> GeminiBatchResubmitFailedOperator:
    return GeminiBatchResubmitFailedOperator(task_id="resubmit", split_manifest=split, destination_prefix=destination,
                                             max_rounds=0, display_name="overwrite", **kwargs)


def test_the_resubmissions_final_files_are_never_another_runs(folder: str, gcs_client: storage.Client) -> None:
    output = job_output(folder, {**SUCCESS_ROW, "key": "a"}, {**FAILURE_ROW, "key": "b"})
    split = run_task(split_task(output, f"{folder}/split"), xcom_context("scheduled__1"))
    split["model"] = "gemini-2.5-flash"
    final = run_task(resubmit_task(split, f"{folder}/final"), xcom_context("scheduled__1"))
    uris = [final[f"{name}_uri"] for name in NAMES]
    before = state(uris, gcs_client)
    assert blob(uris[0], gcs_client).metadata[WRITER_KEY] == "integration/scheduled__1/submit", "composed, marked"

    error = refused(resubmit_task(split, f"{folder}/final"), xcom_context("manual__attacker"),
                    GeminiBatchUploadConflictError)
    assert "written by 'integration/scheduled__1/submit'" in str(error)
    assert state(uris, gcs_client) == before

    write(split["succeeded_uri"], {**SUCCESS_ROW, "key": "changed"})
    run_task(resubmit_task(split, f"{folder}/final"), xcom_context("scheduled__1", try_number=2))
    # fake-gcs-server keeps a composed object's generation (and ignores a compose's preconditions): the bytes tell
    assert json.loads(blob(uris[0], gcs_client).download_as_bytes())["key"] == "changed", "a retry replaces them"


@pytest.fixture
def no_storage(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any use of Cloud Storage fails the test: refusals must come before any read or write."""

    def touched(self: GeminiBatchStorageHook) -> None:
        raise AssertionError("the storage was used before the allow-lists were checked")

    monkeypatch.setattr(GeminiBatchStorageHook, "get_conn", touched)


OURS = f"gs://{TEST_BUCKET}/team-a/"


@pytest.mark.parametrize(("kwargs", "fragment"), [
    ({"output_directory": "gs://other-team/private/job"}, "the job's output directory 'gs://other-team/private/job'"),
    ({"job_manifest": {"output_directory": f"{OURS}job", "input_uris": ["gs://other-team/private/*.jsonl"]}},
     "input_uris 'gs://other-team/private/*.jsonl'"),
    ({"output_directory": f"{OURS}job", "destination_prefix": "gs://other-team/drop"},
     "destination_prefix 'gs://other-team/drop'"),
    ({"output_directory": f"{OURS}../other/job"}, "holds a '.' or '..' path segment"),
], ids=["output", "input", "destination", "dot-dot"])
def test_the_split_refuses_locations_outside_its_allow_lists_before_any_read(
    no_storage: None, kwargs: dict[str, Any], fragment: str
) -> None:
    split = GeminiBatchSplitOutputOperator(**{
        "task_id": "split", "destination_prefix": f"{OURS}results", "allowed_source_prefixes": [OURS],
        "allowed_destination_prefixes": [OURS], **kwargs})
    error = refused(split, xcom_context(), GeminiBatchAccessRefusedError)
    assert fragment in str(error)


@pytest.mark.parametrize(("split_folder", "destination", "fragment"), [
    ("gs://other-team/split", f"{OURS}final", "split_manifest 'gs://other-team/split/succeeded.jsonl'"),
    (f"{OURS}split", "gs://other-team/final", "destination_prefix 'gs://other-team/final'"),
], ids=["split-files", "destination"])
def test_the_resubmission_refuses_locations_outside_its_allow_lists_before_any_read(
    no_storage: None, split_folder: str, destination: str, fragment: str
) -> None:
    split = {"model": "gemini-2.5-flash", "succeeded": 0, "failed": 1, "missing": 0,
             **{f"{name}_uri": f"{split_folder}/{name}.jsonl" for name in NAMES}}
    resubmit = resubmit_task(split, destination, allowed_source_prefixes=[OURS], allowed_destination_prefixes=[OURS])
    error = refused(resubmit, xcom_context(), GeminiBatchAccessRefusedError)
    assert fragment in str(error)


def prepare_task(source: Path, folder: str, rejects_uri: str, **kwargs: Any) -> GeminiBatchPrepareInputOperator:
    return GeminiBatchPrepareInputOperator(task_id="prepare", source=str(source), on_invalid="skip",
                                           destination_uri=f"{folder}/in/requests.jsonl", rejects_uri=rejects_uri,
                                           **kwargs)


@pytest.fixture
def invalid_source(tmp_path: Path) -> Path:
    """One valid line, one invalid: the prepare writes a rejects file."""
    source = tmp_path / "requests.jsonl"
    source.write_bytes(SEED_INPUT.read_bytes().rstrip(b"\n") + b'\n{"request": {"contents": "no list"}}\n')
    return source


def test_a_templated_rejects_uri_never_writes_over_nor_deletes_an_object_the_package_did_not_write(
    folder: str, invalid_source: Path, gcs_client: storage.Client
) -> None:
    theirs = f"{folder}/private/report.jsonl"
    write(theirs, {"private": "another team's row"})
    before = state([theirs], gcs_client)
    for source in (invalid_source, SEED_INPUT):  # with rejects to write, and with none (the file would go)
        error = refused(prepare_task(source, folder, theirs), xcom_context(), GeminiBatchUploadConflictError)
        assert f"{theirs} already exists and is not a rejects file of this package" in str(error)
        assert state([theirs], gcs_client) == before, "neither replaced nor deleted"
    assert gcs_client.bucket(TEST_BUCKET).get_blob(f"{parse_gs_uri(folder)[1]}/in/requests.jsonl") is None, (
        "refused before anything was uploaded")


def test_another_runs_rejects_file_is_kept_unless_overwrite_and_a_retry_replaces_its_own(
    folder: str, invalid_source: Path, gcs_client: storage.Client
) -> None:
    rejects = f"{folder}/in/rejects.jsonl"
    first = run_task(prepare_task(invalid_source, folder, rejects), xcom_context("scheduled__1"))
    assert first["rejects_uri"] == rejects
    assert blob(rejects, gcs_client).metadata[WRITER_KEY] == "integration/scheduled__1/submit"
    before = state([rejects], gcs_client)

    for source in (invalid_source, SEED_INPUT):
        error = refused(prepare_task(source, folder, rejects), xcom_context("manual__attacker"),
                        GeminiBatchUploadConflictError)
        assert "written by 'integration/scheduled__1/submit'" in str(error) and "overwrite=True" in str(error)
        assert state([rejects], gcs_client) == before, "another run neither replaces nor deletes it"

    run_task(prepare_task(invalid_source, folder, rejects), xcom_context("scheduled__1", try_number=2))
    assert blob(rejects, gcs_client).generation != before[rejects][0], "a retry replaces its own rejects file"
    second = run_task(prepare_task(invalid_source, folder, rejects, overwrite=True), xcom_context("manual__2"))
    assert second["rejects_uri"] == rejects
    assert blob(rejects, gcs_client).metadata[WRITER_KEY] == "integration/manual__2/submit", "overwrite: replaced"
    run_task(prepare_task(SEED_INPUT, folder, rejects, overwrite=True), xcom_context("manual__2", try_number=2))
    assert gcs_client.bucket(TEST_BUCKET).get_blob(parse_gs_uri(rejects)[1]) is None, "no rejects: its own file goes"
