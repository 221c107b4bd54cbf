"""Hostile input to the prepare operator, as an attacker who only chooses what the task reads: the work it
causes is bounded, and each bad line is refused as a problem of its own line.

- a 200 MB line is refused while it is read (``max_line_bytes``), named by its line number, and its rejects
  record gives its size and SHA-256, not its content;
- an object stored gzip-encoded (a small object that inflates to a huge one) is refused, never inflated;
- deep nesting is a line problem with its line number (no ``RecursionError``): skip mode skips the line;
- a line larger than a whole file (``max_bytes_per_file``) is refused: no file over the limit is written.

Everything goes through the real operator, the real Cloud Storage client and fake-gcs-server.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from google.cloud import storage

from airflow_batch_gemini.exceptions import GeminiBatchConfigurationError, GeminiBatchInputError
from airflow_batch_gemini.operators.prepare_input import GeminiBatchPrepareInputOperator
from airflow_batch_gemini.uris import parse_gs_uri
from tests.conftest import TEST_BUCKET, request_line
from tests.failfast import raises_permanently

pytestmark = pytest.mark.usefixtures("google_connection")

#: The long line's size: well over the default limit of 32 MiB.
LONG_LINE_BYTES = 200_000_000
#: The long line's position among the normal lines of its file.
LONG_LINE_NUMBER = 3
NORMAL_LINES = 5


def _line(text: str) -> bytes:
    return json.dumps(request_line(text)).encode() + b"\n"


@pytest.fixture(scope="module")
def long_line_input(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A folder holding ``long.jsonl``: normal lines, and at line 3 a valid request whose text is 200 MB
    (written in pieces, never held), and the SHA-256 of that line (without its line break, as a rejects record
    gives it)."""
    base = tmp_path_factory.mktemp("inputs")
    digest = hashlib.sha256()
    head, tail = b'{"request": {"contents": [{"role": "user", "parts": [{"text": "', b'"}]}]}}\n'
    piece = b"a" * (1 << 20)
    with (base / "long.jsonl").open("wb") as handle:
        for number in range(1, NORMAL_LINES + 2):
            if number != LONG_LINE_NUMBER:
                handle.write(_line(f"question {number}"))
                continue
            whole, rest = divmod(LONG_LINE_BYTES - len(head) - len(tail), len(piece))
            for part in (head, *[piece] * whole, piece[:rest], tail):
                handle.write(part)
                digest.update(part.removesuffix(b"\n"))  # a record's hash leaves the line break out
    return base, digest.hexdigest()


def _destination(name: str = "requests.jsonl") -> str:
    return f"gs://{TEST_BUCKET}/hostile/{uuid.uuid4().hex}/{name}"


def _prepare(**kwargs: Any) -> GeminiBatchPrepareInputOperator:
    return GeminiBatchPrepareInputOperator(task_id="prepare", **kwargs)


def _lines_of(uri: str, gcs_client: storage.Client) -> list[bytes]:
    bucket, name = parse_gs_uri(uri)
    return gcs_client.bucket(bucket).blob(name).download_as_bytes().splitlines(keepends=True)


def _records(uri: str, gcs_client: storage.Client) -> list[dict[str, Any]]:
    return [json.loads(line) for line in _lines_of(uri, gcs_client)]


def test_a_200_mb_line_is_refused_naming_its_line(long_line_input: tuple[Path, str]) -> None:
    base, _ = long_line_input
    operator = _prepare(source="long.jsonl", local_base_dir=str(base), destination_uri=_destination())
    with raises_permanently(GeminiBatchInputError) as raised:
        operator.execute({})  # type: ignore[arg-type]
    assert raised.value.problems == [
        f"line {LONG_LINE_NUMBER}: is {LONG_LINE_BYTES - 1:,} bytes long, over the limit of 33,554,432 bytes a line "
        "(max_line_bytes); split the request or raise max_line_bytes"
    ]


def test_skip_mode_uploads_the_other_lines_and_keeps_no_content_of_the_long_one(
    long_line_input: tuple[Path, str], gcs_client: storage.Client
) -> None:
    base, sha256 = long_line_input
    destination = _destination()
    result = _prepare(source="long.jsonl", local_base_dir=str(base), destination_uri=destination,
                      on_invalid="skip").execute({})  # type: ignore[arg-type]
    assert result["row_count"] == NORMAL_LINES and result["skipped_count"] == 1
    uploaded = [json.loads(line)["request"]["contents"][0]["parts"][0]["text"]
                for line in _lines_of(destination, gcs_client)]
    assert uploaded == [f"question {number}" for number in (1, 2, 4, 5, 6)]
    [record] = _records(result["rejects_uri"], gcs_client)
    assert record == {
        "line": LONG_LINE_NUMBER,
        "problems": [{"pointer": "", "message": record["problems"][0]["message"]}],
        "error": f"line {LONG_LINE_NUMBER}: {record['problems'][0]['message']}",
        "size": LONG_LINE_BYTES - 1,  # without its line break
        "sha256": sha256,
    }
    assert "max_line_bytes" in record["error"]


def test_an_object_stored_gzip_encoded_is_refused_not_inflated(gcs_client: storage.Client) -> None:
    source = _destination("bomb.jsonl")
    bucket, name = parse_gs_uri(source)
    blob = gcs_client.bucket(bucket).blob(name)
    blob.content_encoding = "gzip"
    blob.upload_from_string(gzip.compress(_line("inflated") * 20_000), content_type="application/jsonl")
    destination = _destination()
    operator = _prepare(source=source, destination_uri=destination)
    with raises_permanently(GeminiBatchConfigurationError, match=f"{source} is stored compressed"):
        operator.execute({})  # type: ignore[arg-type]
    assert gcs_client.bucket(TEST_BUCKET).get_blob(parse_gs_uri(destination)[1]) is None


#: A request whose function call's free-form arguments hold a 600-deep array (608 levels in all): valid
#: for the schema, so that prepare took it and the split then failed on it.
DEEP_ARGUMENTS = json.dumps({"request": {"contents": [
    {"role": "user", "parts": [{"text": "call"}]},
    {"role": "model", "parts": [{"functionCall": {"name": "f", "args": {"a": "X"}}}]},
]}}).encode().replace(b'"X"', b"[" * 600 + b"]" * 600) + b"\n"
#: Line 2 nests 2,001 levels deep, line 4 is :data:`DEEP_ARGUMENTS`.
DEEP_LINES = [_line("first"), b'{"request": ' + b"[" * 2_000 + b"]" * 2_000 + b"}\n", _line("third"),
              DEEP_ARGUMENTS, _line("fifth")]


@pytest.fixture
def deep_source(gcs_client: storage.Client) -> str:
    source = _destination("deep.jsonl")
    bucket, name = parse_gs_uri(source)
    gcs_client.bucket(bucket).blob(name).upload_from_string(b"".join(DEEP_LINES))
    return source


def test_deep_nesting_is_a_problem_of_its_line_in_fail_mode(deep_source: str) -> None:
    with raises_permanently(GeminiBatchInputError) as raised:
        _prepare(source=deep_source, destination_uri=_destination()).execute({})  # type: ignore[arg-type]
    assert [problem.split(":")[0] for problem in raised.value.problems] == ["line 2", "line 4"]
    assert "nests 2,001 levels deep, deeper than the 64 levels" in raised.value.problems[0]
    assert "nests 608 levels deep" in raised.value.problems[1]


def test_skip_mode_skips_a_deep_line_and_writes_its_rejects_record(
    deep_source: str, gcs_client: storage.Client
) -> None:
    destination = _destination()
    result = _prepare(source=deep_source, destination_uri=destination, on_invalid="skip",
                      repair_empty_tools=True, add_row_keys=True).execute({})  # type: ignore[arg-type]
    assert result["row_count"] == 3 and result["skipped_count"] == 2
    assert [json.loads(line)["key"] for line in _lines_of(destination, gcs_client)] == [
        "r00000001", "r00000003", "r00000005"]
    records = _records(result["rejects_uri"], gcs_client)
    assert [(record["line"], "levels deep" in record["error"]) for record in records] == [(2, True), (4, True)]


def test_a_line_larger_than_a_whole_file_is_refused(gcs_client: storage.Client) -> None:
    lines = [_line("short one"), _line("long " + "x" * 2_000), _line("short two"), _line("short three")]
    source = _destination("sized.jsonl")
    bucket, name = parse_gs_uri(source)
    gcs_client.bucket(bucket).blob(name).upload_from_string(b"".join(lines))
    limit = 1_000
    with raises_permanently(GeminiBatchInputError) as raised:
        _prepare(source=source, destination_uri=_destination(), max_bytes_per_file=limit).execute({})  # type: ignore[arg-type]
    assert raised.value.problems == [
        f"line 2: is {len(lines[1]):,} bytes long as uploaded, more than a whole file may hold (1,000 bytes, "
        "max_bytes_per_file); split the request or raise max_bytes_per_file"
    ]
    folder = _destination("")
    result = _prepare(source=source, destination_uri=folder + "requests.jsonl", max_bytes_per_file=limit,
                      on_invalid="skip").execute({})  # type: ignore[arg-type]
    assert result["row_count"] == 3 and result["skipped_count"] == 1
    written = list(gcs_client.list_blobs(TEST_BUCKET, prefix=parse_gs_uri(folder)[1]))
    inputs = [blob for blob in written if "rejects" not in blob.name]
    assert inputs and all(blob.size <= limit for blob in inputs)
    assert sum(len(_lines_of(f"gs://{TEST_BUCKET}/{blob.name}", gcs_client)) for blob in inputs) == 3


def test_requests_given_as_dicts_are_bounded_as_lines_are(gcs_client: storage.Client) -> None:
    deep: Any = 0
    for _ in range(300):
        deep = [deep]
    source = [request_line("first"), json.loads(DEEP_ARGUMENTS.replace(b"[" * 600 + b"]" * 600, b"0")),
              request_line("x" * 2_000)]
    source[1]["request"]["contents"][1]["parts"][0]["functionCall"]["args"]["a"] = deep
    destination = _destination()
    result = _prepare(source=source, destination_uri=destination, on_invalid="skip",
                      max_line_bytes=1_000).execute({})  # type: ignore[arg-type]
    assert result["row_count"] == 1 and result["skipped_count"] == 2
    records = _records(result["rejects_uri"], gcs_client)
    size = len(json.dumps(source[2], separators=(",", ":")))  # without its line break
    assert [(record["line"], record["problems"][0]["message"]) for record in records] == [
        (2, "nests 308 levels deep, deeper than the 64 levels any line may take (users report that the batch "
            "importer refuses more than 15); flatten the request"),
        (3, f"is {size:,} bytes long, over the limit of 1,000 bytes a line (max_line_bytes); split the request or "
            "raise max_line_bytes")]


def test_the_second_pass_numbers_the_lines_after_an_over_long_one_right(tmp_path: Path,
                                                                        gcs_client: storage.Client) -> None:
    lines = [_line("a"), _line("x" * 2_000), _line("b"), _line("c")]
    (tmp_path / "in.jsonl").write_bytes(b"".join(lines))
    folder = _destination("")
    result = _prepare(source="in.jsonl", local_base_dir=str(tmp_path), destination_uri=folder + "requests.jsonl",
                      on_invalid="skip", add_row_keys=True, max_line_bytes=1_000,
                      max_bytes_per_file=2 * len(lines[0]) + 30).execute({})  # type: ignore[arg-type]
    assert len(result["input_uris"]) > 1 and result["skipped_count"] == 1  # several files: a second pass
    keys = [json.loads(line)["key"] for uri in result["input_uris"] for line in _lines_of(uri, gcs_client)]
    assert keys == ["r00000001", "r00000003", "r00000004"]
