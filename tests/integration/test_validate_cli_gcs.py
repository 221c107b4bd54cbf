"""``gemini-batch validate gs://...`` against fake-gcs-server, through the real google-cloud-storage client.

The session's stack sets ``STORAGE_EMULATOR_HOST``; the command, a subprocess that inherits it, reads
anonymously from there, as a user's shell with that variable would.
"""

from __future__ import annotations

import json
import subprocess
import sys

from airflow_batch_gemini.cli_inputs import GCS_CHUNK_BYTES
from tests.conftest import TEST_BUCKET, request_line

BAD = {"request": {"contents": [{"role": "tester", "parts": [{"text": "x"}]}]}}
FOLDER = f"gs://{TEST_BUCKET}/cli-validate"


def validate(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "airflow_batch_gemini", "validate", *args],
                          capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)


def put(gcs_client, uri: str, data: bytes) -> None:
    gcs_client.bucket(TEST_BUCKET).blob(uri.removeprefix(f"gs://{TEST_BUCKET}/")).upload_from_string(data)


def rows(*lines: dict) -> bytes:
    return "".join(json.dumps(line) + "\n" for line in lines).encode()


def test_an_object_a_wildcard_and_a_folder_are_read_from_cloud_storage(stack, gcs_client) -> None:
    good = rows(request_line("one"), request_line("two"))
    put(gcs_client, f"{FOLDER}/b.jsonl", rows(request_line("three"), BAD))
    put(gcs_client, f"{FOLDER}/a.jsonl", good)
    put(gcs_client, f"{FOLDER}/notes.txt", b"not an input")
    put(gcs_client, f"{FOLDER}/deeper/c.jsonl", good)

    one = validate(f"{FOLDER}/a.jsonl")
    assert (one.returncode, one.stdout) == (0, f"{FOLDER}/a.jsonl: 2 line(s), 2 valid, 0 invalid; uploads as 1 "
                                               f"file(s), {len(good)} bytes\n"), one.stderr

    listed = [f"{FOLDER}/a.jsonl: 2 line(s), 2 valid, 0 invalid; uploads as 1 file(s), {len(good)} bytes",
              f"{FOLDER}/b.jsonl: line 2: /request/contents/0/role: "
              "a string (6 characters) that is not one of ['user', 'model']",
              f"{FOLDER}/b.jsonl: 2 line(s), 1 valid, 1 invalid (1 problem(s)); uploads as 1 file(s), "
              f"{len(rows(request_line('three')))} bytes"]
    wildcard = validate(f"{FOLDER}/*.jsonl")
    assert wildcard.returncode == 1, wildcard.stderr
    assert wildcard.stdout.splitlines() == [
        f"{FOLDER}/*.jsonl: checking the 2 object(s) of {FOLDER}/*.jsonl in name order: cli-validate/a.jsonl, "
        "cli-validate/b.jsonl", *listed]
    folder = validate(f"{FOLDER}/")
    assert folder.returncode == 1, folder.stderr
    assert folder.stdout.splitlines()[1:] == listed, "a name ending in / stands for its *.jsonl objects"
    deep = validate(f"{FOLDER}/**.jsonl")
    assert deep.stdout.splitlines()[0].endswith("in name order: cli-validate/a.jsonl, cli-validate/b.jsonl, "
                                                "cli-validate/deeper/c.jsonl")


def test_an_object_of_many_chunks_gives_the_column_of_an_error_deep_in_a_line(stack, gcs_client) -> None:
    text = "ñ" * GCS_CHUNK_BYTES  # two bytes a character: the line spans three chunks
    before = json.dumps({"request": {"contents": [{"role": "user", "parts": [{"text": text}]}]}},
                        ensure_ascii=False)[:-1]
    uri = f"{FOLDER}/long/line.jsonl"
    put(gcs_client, uri, rows(request_line("short")) + (before + ' "key": "k"}\n').encode())
    result = validate(uri)
    assert result.returncode == 1, result.stderr
    column = len(before) + 2
    assert result.stdout.splitlines()[0] == (
        f"{uri}: line 2: is not valid JSON: Expecting ',' delimiter at column {column:,} "
        f"(byte {column + GCS_CHUNK_BYTES:,})")


def test_what_is_not_there_is_a_usage_error(stack, gcs_client) -> None:
    put(gcs_client, f"{FOLDER}/here.jsonl", rows(request_line("x")))
    for uri, expected in [
        (f"{FOLDER}/absent.jsonl", f"{FOLDER}/absent.jsonl: no such object"),
        (f"{FOLDER}/none-*.jsonl", f"{FOLDER}/none-*.jsonl: no object matches {FOLDER}/none-*.jsonl"),
        ("gs://no-such-bucket-here/in.jsonl", "gs://no-such-bucket-here/in.jsonl: no such object"),
    ]:
        result = validate(f"{FOLDER}/here.jsonl", uri)
        assert result.returncode == 2, (uri, result.stdout, result.stderr)
        assert expected in result.stderr and result.stdout == "", "no input is checked when one leads nowhere"


def test_an_object_stored_gzip_encoded_is_refused_not_inflated(stack, gcs_client) -> None:
    import gzip

    uri = f"{FOLDER}/compressed/in.jsonl"
    blob = gcs_client.bucket(TEST_BUCKET).blob(uri.removeprefix(f"gs://{TEST_BUCKET}/"))
    blob.content_encoding = "gzip"
    blob.upload_from_string(gzip.compress(rows(request_line("one")) * 1_000))
    result = validate(uri)
    assert (result.returncode, result.stdout) == (2, ""), result.stderr
    assert result.stderr == (f"gemini-batch validate: error: {uri} is stored compressed (Content-Encoding: gzip), "
                             "which is refused, not decompressed: upload it again uncompressed (without gcloud "
                             "storage cp's --gzip-local or --gzip-in-flight options)\n")
