"""The records of the rejects file: the line's number, every problem, its size and SHA-256, and of its content
only what the DAG author asked for (nothing by default, a bounded excerpt, or the line as written)."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest

from airflow_batch_gemini.input.problems import LineProblem
from airflow_batch_gemini.input.rejects import EXCERPT_BYTES, check_rejects_content, reject_record
from airflow_batch_gemini.input.scanner import scan_lines
from tests.input_lines import SEED_LINE, line

SECRET = "John Smith 123-45-6789"
PROBLEM = [LineProblem(4, "/request/contents/0/role", "a string (22 characters) that is not one of ['user', 'model']")]


def test_rejected_lines_are_recorded_with_every_problem_and_no_content() -> None:
    rejects: list[bytes] = []
    bad = (line({"contents": [{"role": SECRET, "parts": [{"text": 1}]}]}) + "\n").encode()
    scan_lines([SEED_LINE, bad, b"\xff\n"], max_problems=0, on_reject=rejects.append)
    first, second = (json.loads(record) for record in rejects)
    assert first["line"] == 2 and [p["pointer"] for p in first["problems"]] == [
        "/request/contents/0/parts/0/text", "/request/contents/0/role"]
    assert first["error"].startswith("line 2: ") and SECRET not in rejects[0].decode()
    assert (first["size"], first["sha256"]) == (len(bad) - 1, hashlib.sha256(bad.rstrip(b"\n")).hexdigest())
    assert second == {"line": 3, "problems": [{"pointer": "", "message": "is not UTF-8 text (byte 1); save the file "
                                                                         "as UTF-8"}],
                      "error": "line 3: is not UTF-8 text (byte 1); save the file as UTF-8", "size": 1,
                      "sha256": hashlib.sha256(b"\xff").hexdigest()}


def test_full_keeps_the_line_as_written() -> None:
    rejects: list[bytes] = []
    bad = (line({"contents": [{"role": SECRET, "parts": [{"text": "x"}]}]}) + "\r\n").encode()
    scan_lines([bad, b"\xff\n"], on_reject=rejects.append, rejects_content="full")
    first, second = (json.loads(record) for record in rejects)
    assert first["original"] == bad.decode().rstrip("\r\n") and second["original_base64"] == "/w=="


def test_an_excerpt_is_bounded_and_cut_between_characters() -> None:
    long_line = ('{"k": "' + "é" * 300 + '"}\n').encode()
    record = json.loads(reject_record(long_line, PROBLEM, "excerpt"))
    assert record["excerpt_cut"] is True and len(record["excerpt"].encode()) <= EXCERPT_BYTES
    assert long_line.startswith(record["excerpt"].encode()) and len(record["excerpt"].encode()) >= EXCERPT_BYTES - 3
    short = json.loads(reject_record(b'{"a": 1}\n', PROBLEM, "excerpt"))
    assert short["excerpt"] == '{"a": 1}' and "excerpt_cut" not in short
    binary = json.loads(reject_record(b"\xff" * 300, PROBLEM, "excerpt"))
    assert base64.b64decode(binary["excerpt_base64"]) == b"\xff" * EXCERPT_BYTES and binary["excerpt_cut"] is True


def test_a_line_not_at_hand_is_recorded_by_its_size_and_hash_only() -> None:
    record = json.loads(reject_record(None, PROBLEM, "full", size=300_000_000, sha256="ab" * 32))
    assert record == {"line": 4, "problems": [{"pointer": PROBLEM[0].pointer, "message": PROBLEM[0].message}],
                      "error": str(PROBLEM[0]), "size": 300_000_000, "sha256": "ab" * 32}


@pytest.mark.parametrize("content", ["none", "FULL", "", "base64"])
def test_an_unknown_rejects_content_is_refused(content: str) -> None:
    with pytest.raises(ValueError, match=r"rejects_content must be one of \('hash', 'excerpt', 'full'\)"):
        check_rejects_content(content)
