"""GeminiBatchPrepareInputOperator against fake-gcs-server: validate, then upload all or nothing; at the
service's scale, files cut at the limits, the rejects file, row keys, the share of rejected lines allowed."""

from __future__ import annotations

import json
import logging
import math
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from google.cloud import storage
from google.cloud.storage.fileio import BlobWriter

from airflow_batch_gemini.exceptions import (
    GeminiBatchAccessRefusedError,
    GeminiBatchConfigurationError,
    GeminiBatchInputError,
    GeminiBatchUploadConflictError,
)
from airflow_batch_gemini.hooks.storage import GeminiBatchStorageHook
from airflow_batch_gemini.lines import READ_CHUNK_BYTES, OverlongLine, iter_line_blocks, read_line_blocks
from airflow_batch_gemini.operators import prepare_input
from airflow_batch_gemini.operators.prepare_input import GeminiBatchPrepareInputOperator
from airflow_batch_gemini.package_files import package_file_kind
from airflow_batch_gemini.uris import parse_gs_uri
from tests.conftest import TEST_BUCKET
from tests.conftest import request_line as line_asking
from tests.failfast import raises_permanently
from tests.resumed_tasks import xcom_context
from tests.seed import SEED_INPUT

#: The tries of one task instance: a try replaces the rejects file an earlier one wrote (hooks.owned_objects).
TRIES = xcom_context("manual__prepare")
TESTER_ROLE = {"request": {"contents": [{"role": "tester", "parts": [{"text": "Explain how AI works"}]}]}}


@pytest.fixture
def destination() -> str:
    return f"gs://{TEST_BUCKET}/prepare/{uuid.uuid4().hex}/requests.jsonl"


def run(google_connection: str, **kwargs: Any) -> dict[str, Any]:
    operator = GeminiBatchPrepareInputOperator(task_id="prepare_input", gcp_conn_id=google_connection, **kwargs)
    return operator.execute(TRIES)  # type: ignore[arg-type]


def stored(uri: str, gcs_client: storage.Client) -> bytes | None:
    bucket, name = parse_gs_uri(uri)
    blob = gcs_client.bucket(bucket).get_blob(name)
    return None if blob is None else blob.download_as_bytes()


def jsonl_file(path: Path, rows: list[Any]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def test_the_seed_file_is_uploaded_byte_for_byte(google_connection, destination, gcs_client) -> None:
    result = run(google_connection, source=str(SEED_INPUT), destination_uri=destination)
    assert result == {"input_uris": [destination], "input_uri": destination, "row_count": 1, "row_counts": [1],
                      "reused": False, "skipped_count": 0, "rejects_uri": None, "note_count": 0,
                      "repaired_count": 0}
    assert stored(destination, gcs_client) == SEED_INPUT.read_bytes()


def test_a_rerun_reuses_the_identical_object(google_connection, destination, gcs_client) -> None:
    run(google_connection, source=SEED_INPUT, destination_uri=destination)
    generation = gcs_client.bucket(TEST_BUCKET).get_blob(parse_gs_uri(destination)[1]).generation
    again = run(google_connection, source=SEED_INPUT, destination_uri=destination)
    assert again["reused"] is True and again["row_count"] == 1
    assert gcs_client.bucket(TEST_BUCKET).get_blob(parse_gs_uri(destination)[1]).generation == generation


def test_a_gs_source_is_validated_and_copied(google_connection, destination, gcs_client, upload_lines) -> None:
    rows = [line_asking(f"question {i}", key=f"k{i}") for i in range(500)]
    source = upload_lines(f"prepare/sources/{uuid.uuid4().hex}.jsonl", rows)
    result = run(google_connection, source=source, destination_uri=destination)
    assert result["row_count"] == 500
    assert stored(destination, gcs_client) == stored(source, gcs_client)


def test_request_dicts_are_wrapped_and_serialized(google_connection, destination, gcs_client) -> None:
    bare = {"contents": [{"role": "user", "parts": [{"text": "héllo"}]}]}
    whole = line_asking("second", key="row-2")
    result = run(google_connection, source=[bare, whole], destination_uri=destination)
    assert result["row_count"] == 2
    content = stored(destination, gcs_client)
    assert content is not None
    assert [json.loads(row) for row in content.splitlines()] == [{"request": bare}, whole]
    assert "héllo".encode() in content, "UTF-8 text, not \\u escapes"


def test_an_invalid_line_fails_with_its_number_and_pointer_and_uploads_nothing(
    google_connection, destination, gcs_client, tmp_path
) -> None:
    rows: list[Any] = [line_asking(f"q{i}") for i in range(1300)]
    rows[1203] = TESTER_ROLE
    source = jsonl_file(tmp_path / "input.jsonl", rows)
    with raises_permanently(GeminiBatchInputError) as caught:
        run(google_connection, source=str(source), destination_uri=destination)
    assert ("line 1,204: /request/contents/0/role: a string (6 characters) that is not one of ['user', 'model']"
            in str(caught.value))
    assert "nothing uploaded" in str(caught.value)
    assert caught.value.total == 1
    assert stored(destination, gcs_client) is None


def test_only_the_first_problems_are_listed(google_connection, destination, gcs_client, tmp_path) -> None:
    source = jsonl_file(tmp_path / "input.jsonl", [TESTER_ROLE] * 5 + [line_asking("fine")])
    with raises_permanently(GeminiBatchInputError) as caught:
        run(google_connection, source=source, destination_uri=destination, max_problems=2)
    assert caught.value.problems == [
        "line 1: /request/contents/0/role: a string (6 characters) that is not one of ['user', 'model']",
        "line 2: /request/contents/0/role: a string (6 characters) that is not one of ['user', 'model']",
    ]
    assert caught.value.total == 5 and "... and 3 more" in str(caught.value)
    assert stored(destination, gcs_client) is None


def test_skip_uploads_the_valid_lines_only(google_connection, destination, gcs_client, tmp_path) -> None:
    rows = [line_asking("one"), TESTER_ROLE, line_asking("three")]
    source = jsonl_file(tmp_path / "input.jsonl", rows)
    source.write_bytes(source.read_bytes() + b"\n")  # a blank last line is one more invalid line
    result = run(google_connection, source=source, destination_uri=destination, on_invalid="skip")
    assert (result["row_count"], result["skipped_count"], result["reused"]) == (2, 2, False)
    content = stored(destination, gcs_client)
    assert content is not None and [json.loads(row) for row in content.splitlines()] == [rows[0], rows[2]]
    assert run(google_connection, source=source, destination_uri=destination, on_invalid="skip")["reused"]


def test_skip_with_no_valid_line_fails(google_connection, destination, gcs_client, tmp_path) -> None:
    source = jsonl_file(tmp_path / "input.jsonl", [TESTER_ROLE])
    with raises_permanently(GeminiBatchInputError, match="holds no request"):
        run(google_connection, source=source, destination_uri=destination, on_invalid="skip")
    assert stored(destination, gcs_client) is None


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "the input holds no request"),
        (b"\xef\xbb\xbf" + SEED_INPUT.read_bytes(), "line 1: starts with a byte order mark"),
        (SEED_INPUT.read_bytes() + b"{oops\n", "line 2: is not valid JSON"),
    ],
)
def test_files_that_are_not_batch_input(
    google_connection, destination, gcs_client, tmp_path, content: bytes, expected: str
) -> None:
    source = tmp_path / "input.jsonl"
    source.write_bytes(content)
    with raises_permanently(GeminiBatchInputError, match=expected):
        run(google_connection, source=source, destination_uri=destination)
    assert stored(destination, gcs_client) is None


def test_other_content_at_the_destination_is_a_conflict(google_connection, destination, gcs_client) -> None:
    run(google_connection, source=[line_asking("first")], destination_uri=destination)
    with raises_permanently(GeminiBatchUploadConflictError, match="overwrite=True"):
        run(google_connection, source=[line_asking("second")], destination_uri=destination)
    assert b"first" in (stored(destination, gcs_client) or b"")
    result = run(google_connection, source=[line_asking("second")], destination_uri=destination, overwrite=True)
    assert result["reused"] is False
    assert b"second" in (stored(destination, gcs_client) or b"")


def test_extra_schema_requires_a_key(google_connection, destination, gcs_client) -> None:
    extra = {"required": ["key"]}
    with raises_permanently(GeminiBatchInputError, match="line 2: 'key' is a required property"):
        run(google_connection, source=[line_asking("a", key="a"), line_asking("b")], destination_uri=destination,
            extra_schema=extra)
    assert stored(destination, gcs_client) is None
    result = run(google_connection, source=[line_asking("a", key="a")], destination_uri=destination,
                 extra_schema=extra)
    assert result["row_count"] == 1


def test_a_missing_gs_source(google_connection, destination) -> None:
    with pytest.raises(FileNotFoundError, match="does not exist"):
        run(google_connection, source=f"gs://{TEST_BUCKET}/prepare/absent.jsonl", destination_uri=destination)


def test_a_destination_that_is_not_on_cloud_storage(google_connection) -> None:
    """A permanent configuration error: the task fails without its retries."""
    with raises_permanently(GeminiBatchConfigurationError, match="destination_uri: .* not a Cloud Storage URI"):
        run(google_connection, source=SEED_INPUT, destination_uri="/tmp/requests.jsonl")


def test_unknown_on_invalid_is_refused() -> None:
    with pytest.raises(ValueError, match="on_invalid must be one of"):
        GeminiBatchPrepareInputOperator(task_id="p", source=SEED_INPUT, destination_uri="gs://b/o", on_invalid="warn")


def test_what_is_templated() -> None:
    fields = GeminiBatchPrepareInputOperator.template_fields
    assert {"source", "destination_uri", "gcp_conn_id", "impersonation_chain"} <= set(fields)


def test_what_the_importer_would_reject_fails_before_upload(google_connection, destination, gcs_client) -> None:
    rows = [line_asking("a", key="a1"), line_asking("b", key=2),
            {"request": {**line_asking("c")["request"], "tools": [{"googleSearch": {}}]}}]
    with raises_permanently(GeminiBatchInputError) as caught:
        run(google_connection, source=rows, destination_uri=destination)
    assert [problem.split(":")[0] + ":" + problem.split(":")[1] for problem in caught.value.problems] == [
        "line 2: /key", "line 3: /request/tools/0/googleSearch",
    ]
    assert stored(destination, gcs_client) is None


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("[{'contents': [{'role': 'user'}]}]", "looks like requests rendered as text"),
        ({"contents": []}, "not dict"),
        (42, "not int"),
    ],
)
def test_a_source_of_the_wrong_kind_is_refused_with_advice(google_connection, destination, source, expected) -> None:
    with pytest.raises(TypeError, match=expected):
        run(google_connection, source=source, destination_uri=destination)


def test_local_base_dir_reads_inside_and_refuses_a_way_out(
    google_connection, destination, gcs_client, tmp_path
) -> None:
    base = tmp_path / "inputs"
    (base / "daily").mkdir(parents=True)
    (base / "daily" / "requests.jsonl").write_bytes(SEED_INPUT.read_bytes())
    (base / "escape.jsonl").symlink_to(SEED_INPUT)
    result = run(google_connection, source="daily/requests.jsonl", destination_uri=destination, local_base_dir=base)
    assert result["row_count"] == 1 and stored(destination, gcs_client) == SEED_INPUT.read_bytes()
    inside_absolute = str(base / "daily" / "requests.jsonl")
    assert run(google_connection, source=inside_absolute, destination_uri=destination, local_base_dir=base)["reused"]
    for way_out in ("escape.jsonl", "daily/../../inputs/../x.jsonl", str(SEED_INPUT)):
        with raises_permanently(GeminiBatchAccessRefusedError, match="outside local_base_dir"):
            run(google_connection, source=way_out, destination_uri=destination, local_base_dir=base)


@pytest.fixture
def folder() -> str:
    return f"gs://{TEST_BUCKET}/prepare-scale/{uuid.uuid4().hex}"


def rows_of(uri: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in GeminiBatchStorageHook().read_lines(uri)]


def test_an_input_beyond_the_row_limit_is_cut_into_numbered_files(google_connection, folder, tmp_path) -> None:
    rows = [line_asking(f"q{i}", key=f"k{i}") for i in range(7)]
    source = jsonl_file(tmp_path / "input.jsonl", rows)
    result = run(google_connection, source=source, destination_uri=f"{folder}/requests.jsonl", max_rows_per_file=3)
    names = [f"{folder}/requests-0000{i}-of-00003.jsonl" for i in range(3)]
    assert result["input_uris"] == names and result["input_uri"] == names[0]
    assert (result["row_count"], result["row_counts"], result["reused"]) == (7, [3, 3, 1], False)
    assert [row for uri in names for row in rows_of(uri)] == rows, "every line once, in order"
    assert GeminiBatchStorageHook().stat(f"{folder}/requests.jsonl") is None

    again = run(google_connection, source=source, destination_uri=f"{folder}/requests.jsonl", max_rows_per_file=3)
    assert again["reused"] is True and again["input_uris"] == names, "a re-run re-uses every file"


def test_an_input_beyond_the_byte_limit_is_cut_too(google_connection, folder, tmp_path) -> None:
    rows = [line_asking("x" * 100, key=f"k{i}") for i in range(4)]
    source = jsonl_file(tmp_path / "input.jsonl", rows)
    size = len(source.read_bytes()) // 4
    result = run(google_connection, source=source, destination_uri=f"{folder}/requests.jsonl",
                 max_bytes_per_file=2 * size + 1)
    assert result["row_counts"] == [2, 2]


def test_a_rerun_re_uses_the_files_already_there_and_uploads_the_rest(google_connection, folder, tmp_path) -> None:
    rows = [line_asking(f"q{i}", key=f"k{i}") for i in range(4)]
    source = jsonl_file(tmp_path / "input.jsonl", rows)
    first = f"{folder}/requests-00000-of-00002.jsonl"
    begun = jsonl_file(tmp_path / "begun.jsonl", rows[:2])
    run(google_connection, source=begun, destination_uri=first)  # as if a first try died after one file
    result = run(google_connection, source=source, destination_uri=f"{folder}/requests.jsonl", max_rows_per_file=2)
    assert result["reused"] is False and result["row_counts"] == [2, 2]
    assert rows_of(result["input_uris"][1]) == rows[2:], "the second file starts where the first one ends"


def test_fail_writes_every_rejected_line_and_uploads_no_request(google_connection, folder, tmp_path) -> None:
    rows: list[Any] = [line_asking(f"q{i}") for i in range(6)]
    rows[1] = TESTER_ROLE
    rows[4] = TESTER_ROLE
    source = jsonl_file(tmp_path / "input.jsonl", rows)
    with raises_permanently(GeminiBatchInputError) as caught:
        run(google_connection, source=source, destination_uri=f"{folder}/requests.jsonl", max_problems=1,
            rejects_content="full")
    rejects = f"{folder}/rejects/requests.rejects.jsonl"
    assert caught.value.rejects_uri == rejects and rejects in str(caught.value)
    assert caught.value.problems == [
        "line 2: /request/contents/0/role: a string (6 characters) that is not one of ['user', 'model']"]
    assert [(row["line"], row["problems"][0]["pointer"]) for row in rows_of(rejects)] == [
        (2, "/request/contents/0/role"), (5, "/request/contents/0/role"),
    ], "all of them, not only the first max_problems"
    assert json.loads(rows_of(rejects)[0]["original"]) == TESTER_ROLE
    assert GeminiBatchStorageHook().stat(f"{folder}/requests.jsonl") is None

    fixed = jsonl_file(tmp_path / "fixed.jsonl", [line_asking(f"q{i}") for i in range(6)])
    result = run(google_connection, source=fixed, destination_uri=f"{folder}/requests.jsonl")  # the retry
    assert result["row_count"] == 6 and result["rejects_uri"] is None
    assert GeminiBatchStorageHook().stat(rejects) is None, "no stale rejects file beside the fixed input"


def test_skip_uploads_the_rest_and_writes_the_rejects_with_their_reasons(google_connection, folder,
                                                                         tmp_path: Path) -> None:
    source = tmp_path / "input.jsonl"
    source.write_bytes(json.dumps(line_asking("one")).encode() + b"\n\xff\xfe\n" + json.dumps(TESTER_ROLE).encode())
    result = run(google_connection, source=source, destination_uri=f"{folder}/requests.jsonl", on_invalid="skip",
                 rejects_uri=f"{folder}/bad/rejected.jsonl", rejects_content="full")
    assert (result["row_count"], result["skipped_count"]) == (1, 2)
    assert result["rejects_uri"] == f"{folder}/bad/rejected.jsonl"
    not_utf8, tester = rows_of(result["rejects_uri"])
    assert not_utf8["line"] == 2 and not_utf8["original_base64"] == "//4="
    assert not_utf8["error"] == "line 2: is not UTF-8 text (byte 1); save the file as UTF-8"
    assert tester["line"] == 3 and "a string (6 characters) that is not one of" in tester["error"]


def test_max_rejected_ratio_bounds_what_skip_tolerates(google_connection, folder, tmp_path) -> None:
    rows = [line_asking("a"), TESTER_ROLE, line_asking("c"), line_asking("d")]
    source = jsonl_file(tmp_path / "input.jsonl", rows)
    destination = f"{folder}/requests.jsonl"
    with raises_permanently(GeminiBatchInputError, match=r"1 of 4 lines are invalid, more than max_rejected_ratio 0.2"):
        run(google_connection, source=source, destination_uri=destination, on_invalid="skip", max_rejected_ratio=0.2)
    assert GeminiBatchStorageHook().stat(destination) is None
    result = run(google_connection, source=source, destination_uri=destination, on_invalid="skip",
                 max_rejected_ratio=0.25)
    assert result["row_count"] == 3


def test_row_keys_are_added_where_a_line_has_none(google_connection, folder, tmp_path) -> None:
    rows = [line_asking("a"), line_asking("b", key="mine"), line_asking("c"), TESTER_ROLE, line_asking("e")]
    source = jsonl_file(tmp_path / "input.jsonl", rows)
    kwargs = {"source": source, "destination_uri": f"{folder}/requests.jsonl", "on_invalid": "skip",
              "add_row_keys": True, "max_rows_per_file": 2}
    result = run(google_connection, **kwargs)
    uploaded = [row for uri in result["input_uris"] for row in rows_of(uri)]
    assert [row["key"] for row in uploaded] == ["r00000001", "mine", "r00000003", "r00000005"]
    assert [row["request"] for row in uploaded] == [rows[i]["request"] for i in (0, 1, 2, 4)]
    assert run(google_connection, **kwargs)["reused"] is True, "the same keys on a re-run"

    other = run(google_connection, source=source, destination_uri=f"{folder}/ids.jsonl", on_invalid="skip",
                add_row_keys=True, row_key_field="row_id")
    assert [row.get("row_id") for row in rows_of(other["input_uri"])] == ["r00000001", "r00000002", "r00000003",
                                                                          "r00000005"]


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"max_rejected_ratio": 1.5}, "max_rejected_ratio must be between 0 and 1"),
        ({"row_key_field": "row-id"}, "row_key_field must be a valid column name"),
        ({"max_rows_per_file": 200_001}, "within the service's limits"),
        ({"max_bytes_per_file": 0}, "within the service's limits"),
    ],
)
def test_parameters_out_of_range_are_refused(kwargs: dict[str, Any], expected: str) -> None:
    with pytest.raises(ValueError, match=expected):
        GeminiBatchPrepareInputOperator(task_id="p", source="x.jsonl", destination_uri="gs://b/o.jsonl", **kwargs)


# One pass: with the destination absent, the upload runs in a background thread while the lines are validated.


def long_rows(count: int, invalid: tuple[int, ...] = ()) -> list[Any]:
    """~400-byte lines, a third of them without a key; the lines at the ``invalid`` indexes are invalid."""
    rows: list[Any] = [line_asking(f"question {i} " + "x" * 300, **({"key": f"k{i}"} if i % 3 else {}))
                       for i in range(count)]
    for index in invalid:
        rows[index] = TESTER_ROLE
    return rows


class Spy:
    """Counts the two-pass uploads (``upload_lines``), the background uploads started, and the chunks
    those sent; can make the background upload's network writes fail, and hold the reading of a local
    source before a block until the background upload has sent some chunks."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.upload_lines = 0
        self.background = 0
        self.chunks = 0
        self.fail_at_chunk: int | None = None
        self.hold: tuple[int, int] | None = None  # (block index, chunks to wait for)
        upload_lines = GeminiBatchStorageHook.upload_lines
        background_upload = GeminiBatchStorageHook.background_upload
        transmit = BlobWriter._upload_chunks_from_buffer

        def counting_upload_lines(hook: GeminiBatchStorageHook, *args: Any, **kwargs: Any) -> Any:
            self.upload_lines += 1
            return upload_lines(hook, *args, **kwargs)

        def counting_background_upload(hook: GeminiBatchStorageHook, *args: Any, **kwargs: Any) -> Any:
            self.background += 1
            return background_upload(hook, *args, **kwargs)

        def counting_transmit(writer: BlobWriter, count: int) -> None:
            if threading.current_thread().name.startswith("upload to"):
                self.chunks += 1
                if self.chunks == self.fail_at_chunk:
                    raise ConnectionResetError("the connection to Cloud Storage broke")
            transmit(writer, count)

        def held(blocks: Iterator[bytes | OverlongLine]) -> Iterator[bytes | OverlongLine]:
            for index, block in enumerate(blocks):
                if self.hold is not None and index == self.hold[0]:
                    self.wait_for_chunks(self.hold[1])
                yield block

        monkeypatch.setattr(prepare_input, "read_line_blocks",
                            lambda handle, limit: held(read_line_blocks(handle, limit)))
        monkeypatch.setattr(prepare_input, "iter_line_blocks",
                            lambda chunks, limit: held(iter_line_blocks(chunks, limit)))
        monkeypatch.setattr(GeminiBatchStorageHook, "upload_lines", counting_upload_lines)
        monkeypatch.setattr(GeminiBatchStorageHook, "background_upload", counting_background_upload)
        monkeypatch.setattr(BlobWriter, "_upload_chunks_from_buffer", counting_transmit)


    def wait_for_chunks(self, count: int) -> None:
        deadline = time.monotonic() + 30
        while self.chunks < count and time.monotonic() < deadline:
            time.sleep(0.01)
        assert self.chunks >= count, f"the background upload sent {self.chunks} chunk(s), not {count}"


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> Spy:
    return Spy(monkeypatch)


def test_one_pass_uploads_what_two_passes_did(google_connection, folder, gcs_client, tmp_path, spy) -> None:
    source = jsonl_file(tmp_path / "input.jsonl", long_rows(12_000, invalid=(7, 5_000, 11_999)))  # ~5 MB
    kwargs = {"source": source, "on_invalid": "skip", "add_row_keys": True}
    one = run(google_connection, destination_uri=f"{folder}/one.jsonl", **kwargs)
    assert (spy.background, spy.upload_lines) == (1, 0) and spy.chunks >= 2, "streamed while validating"

    two_uri = f"{folder}/two.jsonl"
    with GeminiBatchStorageHook().open_writer(two_uri) as writer:
        writer.write(b"old\n")
    two = run(google_connection, destination_uri=two_uri, overwrite=True, **kwargs)
    assert (spy.background, spy.upload_lines) == (1, 1), "an existing destination takes the two passes"

    assert stored(one["input_uri"], gcs_client) == stored(two["input_uri"], gcs_client), "byte for byte"
    assert stored(one["rejects_uri"], gcs_client) == stored(two["rejects_uri"], gcs_client)
    uris = {"input_uris": [], "input_uri": "", "rejects_uri": ""}
    assert {**one, **uris} == {**two, **uris}
    assert (one["row_count"], one["skipped_count"], one["reused"]) == (11_997, 3, False)
    keys = [row["key"] for row in rows_of(one["input_uri"])]
    assert keys[:4] == ["r00000001", "k1", "k2", "r00000004"] and len(set(keys)) == 11_997


def test_every_file_it_writes_is_marked_as_the_packages(google_connection, folder, tmp_path, spy) -> None:
    """Prepared inputs carry ``input``, the rejects file ``rejects``, on each upload path (one pass, two
    passes, several files), so that a wildcard's pre-flight can tell a rejects file from an input."""
    source = jsonl_file(tmp_path / "input.jsonl", [line_asking("a"), TESTER_ROLE, line_asking("c"), line_asking("d")])
    one = run(google_connection, source=source, destination_uri=f"{folder}/one.jsonl", on_invalid="skip")
    assert spy.background == 1 and spy.upload_lines == 0, "one pass"
    several = run(google_connection, source=source, destination_uri=f"{folder}/several.jsonl", on_invalid="skip",
                  max_rows_per_file=2)
    assert spy.upload_lines == 2, "two passes, two files"
    hook = GeminiBatchStorageHook()
    kinds = {uri: package_file_kind(hook.stat(uri).metadata)  # type: ignore[union-attr]
             for uri in [one["input_uri"], *several["input_uris"], one["rejects_uri"], several["rejects_uri"]]}
    assert kinds == {
        f"{folder}/one.jsonl": "input",
        f"{folder}/several-00000-of-00002.jsonl": "input",
        f"{folder}/several-00001-of-00002.jsonl": "input",
        f"{folder}/rejects/one.rejects.jsonl": "rejects",
        f"{folder}/rejects/several.rejects.jsonl": "rejects",
    }
    assert hook.expand_uris([f"{folder}/*.jsonl"]) == [f"{folder}/one.jsonl", f"{folder}/several-00000-of-00002.jsonl",
                                                       f"{folder}/several-00001-of-00002.jsonl"], "no rejects file"


@pytest.mark.parametrize("where", [0, 10_000, 19_999])
def test_fail_cancels_the_streamed_upload_at_the_first_invalid_line(
    google_connection, folder, gcs_client, tmp_path, spy, where: int
) -> None:
    source = jsonl_file(tmp_path / "input.jsonl", long_rows(20_000, invalid=(where,)))  # ~8 MB
    destination = f"{folder}/requests.jsonl"
    if where == 19_999:  # hold the last block until two chunks (4 MiB) are sent
        spy.hold = (math.ceil(source.stat().st_size / READ_CHUNK_BYTES) - 1, 2)
    with raises_permanently(GeminiBatchInputError, match=f"line {where + 1:,}: "):
        run(google_connection, source=source, destination_uri=destination)
    assert stored(destination, gcs_client) is None
    assert len(rows_of(f"{folder}/rejects/requests.rejects.jsonl")) == 1


def test_skip_refused_at_the_end_cancels_the_streamed_upload(google_connection, folder, gcs_client, tmp_path,
                                                             spy) -> None:
    source = jsonl_file(tmp_path / "input.jsonl", long_rows(12_000, invalid=tuple(range(100, 12_000, 100))))
    destination = f"{folder}/requests.jsonl"
    spy.hold = (4, 1)
    with raises_permanently(GeminiBatchInputError, match="119 of 12,000 lines are invalid"):
        run(google_connection, source=source, destination_uri=destination, on_invalid="skip",
            max_rejected_ratio=0.005)
    assert stored(destination, gcs_client) is None


def test_a_second_file_cancels_the_streamed_upload_and_the_files_follow(google_connection, folder, gcs_client,
                                                                        tmp_path, spy) -> None:
    source = jsonl_file(tmp_path / "input.jsonl", long_rows(12_000, invalid=(3, 9_000)))
    kwargs = {"source": source, "on_invalid": "skip", "add_row_keys": True}
    whole = run(google_connection, destination_uri=f"{folder}/whole.jsonl", **kwargs)
    cut = {**kwargs, "destination_uri": f"{folder}/requests.jsonl", "max_rows_per_file": 11_000}
    spy.hold, spy.chunks = (4, 1), 0  # the first file (~4.4 MB) is being sent when the second begins
    result = run(google_connection, **cut)
    assert spy.background == 2
    assert result["input_uris"] == [f"{folder}/requests-0000{i}-of-00002.jsonl" for i in range(2)]
    assert (result["row_counts"], result["reused"], result["skipped_count"]) == ([11_000, 998], False, 2)
    assert b"".join(stored(uri, gcs_client) or b"" for uri in result["input_uris"]) == stored(
        whole["input_uri"], gcs_client
    ), "the files hold the single file's bytes, row keys included"
    assert GeminiBatchStorageHook().stat(f"{folder}/requests.jsonl") is None, "nothing of the cancelled upload"
    assert run(google_connection, **cut)["reused"] is True, "their digests were right: a re-run re-uses them"


def test_an_existing_identical_destination_is_re_used_without_streaming(google_connection, folder, tmp_path,
                                                                        spy) -> None:
    source = jsonl_file(tmp_path / "input.jsonl", long_rows(3_000))
    first = run(google_connection, source=source, destination_uri=f"{folder}/requests.jsonl")
    again = run(google_connection, source=source, destination_uri=f"{folder}/requests.jsonl")
    assert (first["reused"], again["reused"], spy.background, spy.upload_lines) == (False, True, 1, 1)


class RacedRequests(list[dict[str, Any]]):
    """Request dicts; once ``armed``, another writer puts ``theirs`` at ``destination`` when the operator
    has read ``at`` of them (the upload of the first ones under way)."""

    def __init__(self, items: list[dict[str, Any]], destination: str, theirs: bytes, at: int,
                 client: storage.Client) -> None:
        super().__init__(items)
        self.destination, self.theirs, self.at, self.client = destination, theirs, at, client
        self.armed = False

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for index, item in enumerate(super().__iter__()):
            if self.armed and index == self.at:
                bucket, name = parse_gs_uri(self.destination)
                self.client.bucket(bucket).blob(name).upload_from_string(self.theirs)
            yield item


@pytest.mark.parametrize("same", [False, True])
def test_an_object_written_by_another_writer_during_the_upload(google_connection, folder, gcs_client,
                                                               spy, same: bool) -> None:
    rows = long_rows(12_000)
    ours = run(google_connection, source=rows, destination_uri=f"{folder}/ours.jsonl")
    destination = f"{folder}/requests.jsonl"
    theirs = stored(ours["input_uri"], gcs_client) if same else b'{"other": "writer"}\n'
    assert theirs is not None
    source = RacedRequests(rows, destination, theirs, at=8_000, client=gcs_client)
    operator = GeminiBatchPrepareInputOperator(task_id="prepare_input", gcp_conn_id=google_connection,
                                               source=source, destination_uri=destination)
    source.armed = True
    if same:
        assert operator.execute(TRIES)["reused"] is True  # type: ignore[arg-type]
    else:
        with raises_permanently(GeminiBatchUploadConflictError, match="changed while uploading"):
            operator.execute(TRIES)  # type: ignore[arg-type]
    assert spy.chunks >= 2 and spy.upload_lines == 0
    assert stored(destination, gcs_client) == theirs, "their object is intact, nothing of ours mixed in"


def test_an_error_of_the_upload_thread_surfaces_and_cancels(google_connection, folder, gcs_client, tmp_path,
                                                            spy) -> None:
    source = jsonl_file(tmp_path / "input.jsonl", long_rows(12_000))
    spy.fail_at_chunk = 2
    with pytest.raises(ConnectionResetError, match="broke"):
        run(google_connection, source=source, destination_uri=f"{folder}/requests.jsonl")
    assert stored(f"{folder}/requests.jsonl", gcs_client) is None
    assert not any(thread.name.startswith("upload to") for thread in threading.enumerate()), "the thread ended"


# Unknown field names, notes (warnings) and the repair of empty tools.

EMPTY = "(the batch importer fails the whole job for this: googleapis/python-genai#2123)"


@pytest.fixture
def task_log(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """The operator's log records (its Airflow logger, structlog, replaced by a standard one caplog sees)."""
    logger = logging.getLogger("tests.prepare_input")
    monkeypatch.setattr(GeminiBatchPrepareInputOperator, "log", property(lambda self: logger))
    caplog.set_level(logging.INFO, logger=logger.name)
    return caplog


def with_request(row: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {**row, "request": {**row["request"], **fields}}


def test_a_misspelled_field_is_refused_unless_unknown_fields_are_allowed(google_connection, destination,
                                                                         gcs_client) -> None:
    misspelled = with_request(line_asking("a"), generationConfg={"temperature": 1})
    with raises_permanently(GeminiBatchInputError) as caught:
        run(google_connection, source=[misspelled], destination_uri=destination)
    assert caught.value.problems == [
        "line 1: /request/generationConfg: is not a field of GenerateContentRequest; did you mean generationConfig?"]
    assert stored(destination, gcs_client) is None
    result = run(google_connection, source=[misspelled], destination_uri=destination, allow_unknown_fields=True)
    assert (result["row_count"], result["note_count"]) == (1, 0)
    assert json.loads(stored(destination, gcs_client) or b"") == misspelled


def test_notes_are_logged_and_counted_without_the_lines(google_connection, destination, gcs_client,
                                                       task_log: pytest.LogCaptureFixture) -> None:
    stops = {"stopSequences": ["private stop words", "b", "c", "d", "e", "f"]}
    rows = [line_asking("first"), with_request(line_asking("my private prompt"), generationConfig=stops),
            with_request(line_asking("third"), generationConfig=stops)]
    result = run(google_connection, source=rows, destination_uri=destination, max_problems=1)
    assert (result["row_count"], result["note_count"], result["skipped_count"]) == (3, 2, 0)
    [record] = [record for record in task_log.records if "note(s)" in record.getMessage()]
    assert record.levelno == logging.WARNING
    assert record.getMessage() == (
        "2 note(s) (warnings) on valid lines of 3 request dict(s), which are uploaded; the first:\n"
        "  line 2: /request/generationConfig/stopSequences: has more than 5 stop sequences; Google's discovery "
        "document states no limit, but the model endpoints have refused more than 5"
    )
    assert "private" not in task_log.text


SEARCH_TOOL = [{"googleSearch": {}}]


def test_an_empty_google_search_is_refused_with_its_remedy_unless_repaired(google_connection, folder, gcs_client,
                                                                          tmp_path, task_log) -> None:
    rows = [line_asking("a", key="k1"), with_request(line_asking("b", key="k2"), tools=SEARCH_TOOL),
            line_asking("c", key="k3"), with_request(line_asking("d", key="k4"), tools=SEARCH_TOOL)]
    source = jsonl_file(tmp_path / "input.jsonl", rows)
    destination = f"{folder}/requests.jsonl"
    with raises_permanently(GeminiBatchInputError) as caught:
        run(google_connection, source=source, destination_uri=destination)
    assert caught.value.problems == [
        f"line {number}: /request/tools/0/googleSearch: is an empty googleSearch tool {EMPTY}; write "
        '{"excludeDomains": null} instead, which asks the same (repair_empty_tools / --repair-empty-tools does it)'
        for number in (2, 4)
    ]
    assert stored(destination, gcs_client) is None

    result = run(google_connection, source=source, destination_uri=destination, repair_empty_tools=True)
    expected = source.read_bytes().replace(b'"googleSearch": {}', b'"googleSearch": {"excludeDomains": null}')
    assert expected != source.read_bytes()
    assert stored(destination, gcs_client) == expected, "the repaired bytes, every other byte unchanged"
    assert (result["row_count"], result["repaired_count"], result["reused"]) == (4, 2, False)
    [record] = [record for record in task_log.records if record.getMessage().startswith("Repaired")]
    assert record.getMessage() == (
        f"Repaired 2 line(s) of {source} (2 empty tool(s) rewritten to their known workaround); the first:\n"
        '  line 2: /request/tools/0/googleSearch: {} -> {"excludeDomains": null}\n'
        '  line 4: /request/tools/0/googleSearch: {} -> {"excludeDomains": null}'
    )
    again = run(google_connection, source=source, destination_uri=destination, repair_empty_tools=True)
    assert again["reused"] is True, "a re-run finds the repaired object it uploaded"

    # two passes (several files): the second reads the source again and repairs it the same way
    cut = run(google_connection, source=source, destination_uri=f"{folder}/cut.jsonl", repair_empty_tools=True,
              max_rows_per_file=3, add_row_keys=True)
    assert cut["row_counts"] == [3, 1] and cut["repaired_count"] == 2
    uploaded = [row for uri in cut["input_uris"] for row in rows_of(uri)]
    assert [row["request"].get("tools") for row in uploaded] == [None, [{"googleSearch": {"excludeDomains": None}}],
                                                                 None, [{"googleSearch": {"excludeDomains": None}}]]
    assert run(google_connection, source=source, destination_uri=f"{folder}/cut.jsonl", repair_empty_tools=True,
               max_rows_per_file=3, add_row_keys=True)["reused"] is True


def test_a_tool_with_no_known_workaround_is_refused_even_with_the_repair(google_connection, destination,
                                                                        gcs_client) -> None:
    rows = [with_request(line_asking("a"), tools=[{"url_context": {}}, {"googleSearch": {}}])]
    with raises_permanently(GeminiBatchInputError) as caught:
        run(google_connection, source=rows, destination_uri=destination, repair_empty_tools=True)
    assert caught.value.problems == [
        f"line 1: /request/tools/0/url_context: is an empty url_context tool {EMPTY}; UrlContext has no field to give "
        "and no workaround is known: batch cannot use it; leave it out or send these requests online"
    ]
    assert stored(destination, gcs_client) is None
