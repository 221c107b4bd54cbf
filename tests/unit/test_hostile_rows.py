"""Hostile output rows and input lines: too deep to decode, lone surrogates. Each is one row that fails with a
reason; the split, the reconciliation and a resubmission round go on."""

from __future__ import annotations

import json

import pytest

from airflow_batch_gemini.bounds import MAX_JSON_DEPTH
from airflow_batch_gemini.output.annotation import PARSED_ERROR_FIELD, annotate_failure
from airflow_batch_gemini.output.deep_rows import flattened, top_level_members
from airflow_batch_gemini.output.rounds import prepare_round
from airflow_batch_gemini.output.row_identity import line_identity
from airflow_batch_gemini.output.rows import (
    ROW_TOO_DEEP,
    TOO_DEEP_ERROR,
    TooDeepRow,
    classify_line,
    classify_row,
    parse_row,
)
from airflow_batch_gemini.output.split import split_job_output
from tests.memory_rows import MemoryRows, lines
from tests.seed import SUCCESS_ROW

RESULTS = {"succeeded_uri": "mem://r/succeeded", "failed_uri": "mem://r/failed", "missing_uri": "mem://r/missing"}
QUOTA = 'Too Many Requests: {"error": {"code": 429, "message": "quota", "status": "RESOURCE_EXHAUSTED"}}'


def deep(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def deep_request(depth: int) -> bytes:
    return b'{"contents":[{"role":"user","parts":[{"text":"hi"}]}],"labels":' + deep(depth) + b"}"


def deep_input(key: str | None, depth: int) -> bytes:
    keyed = b'"key":"%s",' % key.encode() if key is not None else b""
    return b"{" + keyed + b'"request":' + deep_request(depth) + b"}\n"


def deep_output(key: str | None, depth: int, status: str = "") -> bytes:
    keyed = b'"key":"%s",' % key.encode() if key is not None else b""
    return (b'{"status":' + json.dumps(status).encode() + b"," + keyed + b'"request":' + deep_request(depth)
            + b',"response":{"candidates":[]}}\n')


def split(rows: MemoryRows, input_uris: list[str]) -> dict:
    return dict(split_job_output(rows, rows, output_directory="mem://out", results=RESULTS, input_uris=input_uris))


def test_the_top_level_of_a_deep_line_is_read_without_decoding_the_rest() -> None:
    raw = b'{"key":"k[{","n":1,"deep":' + deep(100_000) + b',"s":"]}"}'
    assert flattened(raw) == b'{"key":"k[{","n":1,"deep":null,"s":"]}"}'
    assert top_level_members(raw) == {"key": "k[{", "n": 1, "deep": None, "s": "]}"}
    assert top_level_members(deep(100_000)) is None, "no object"
    assert top_level_members(b'{"a":' + b"[" * 1000) is None, "unbalanced: no JSON"
    assert flattened(b"]]") is None


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 600, 5000, 200_000])
def test_a_row_too_deep_to_decode_fails_as_row_too_deep_even_with_an_empty_status(depth: int) -> None:
    raw = deep_output("k1", depth)
    row = parse_row(raw)
    assert isinstance(row, TooDeepRow) and row.top_level is not None and row.top_level["key"] == "k1"
    outcome = classify_row(row)
    assert not outcome.succeeded and outcome.error is not None and outcome.error.category == ROW_TOO_DEEP
    parsed = json.dumps({PARSED_ERROR_FIELD: TOO_DEEP_ERROR.as_dict()}, separators=(",", ":")).encode()
    assert annotate_failure(raw, row, outcome.error) == raw.rstrip()[:-1] + b"," + parsed[1:] + b"\n", (
        "the row's own bytes are kept, its reason added")
    assert line_identity(raw) == line_identity(deep_input("k1", depth)), "joined to its input line by its key"


def test_a_row_at_the_depth_limit_is_decoded() -> None:
    nested = b'{"status":"","key":"k","request":' + b'{"a":' * (MAX_JSON_DEPTH - 1) + b"1" + b"}" * MAX_JSON_DEPTH
    assert not isinstance(parse_row(nested), TooDeepRow)


def test_the_split_delivers_every_other_row_and_the_deep_one_fails_with_its_reason() -> None:
    inputs = lines({"key": "a", "request": {}}) + deep_input("deep", 5000) + lines({"key": "b", "request": {}})
    outputs = deep_output("deep", 5000) + lines({**SUCCESS_ROW, "key": "a"}, {**SUCCESS_ROW, "key": "b"})
    rows = MemoryRows({"mem://in": inputs, "mem://out/1": outputs}, {"mem://out": ["mem://out/1"]})
    summary = split(rows, ["mem://in"])
    assert (summary["succeeded"], summary["failed"], summary["missing"], summary["input_rows"]) == (2, 1, 0, 3)
    assert summary["failures_by_status"] == {ROW_TOO_DEEP: 1} and summary["disagreements"] == []
    assert rows.parts["mem://r/failed"].count(b"\n") == 1
    assert parse_row(rows.parts["mem://r/failed"]) == TooDeepRow(
        {**top_level_members(deep_output("deep", 5000)), PARSED_ERROR_FIELD: None},  # type: ignore[dict-item]
        parse_row(rows.parts["mem://r/failed"]).fingerprint)


def test_a_deep_row_without_a_key_fails_unjoined_and_its_input_line_shows_as_missing() -> None:
    rows = MemoryRows({"mem://in": deep_input(None, 600) + lines({"key": "a", "request": {}}),
                       "mem://out/1": deep_output(None, 600) + lines({**SUCCESS_ROW, "key": "a"})},
                      {"mem://out": ["mem://out/1"]})
    summary = split(rows, ["mem://in"])
    assert (summary["succeeded"], summary["failed"], summary["missing"], summary["input_rows"]) == (1, 1, 1, 2)
    assert summary["unexpected_rows"] == 1, "its request cannot be read safely, so it joins no input line"
    assert rows.parts["mem://r/missing"] == deep_input(None, 600)


def test_rows_with_lone_surrogates_are_split_and_resent_not_fatal() -> None:
    surrogate = b'{"status":"Bad Request","key":"\\ud800","request":{"a":"\\udc00"}}\n'
    rows = MemoryRows({"mem://in": b'{"key":"\\ud800","request":{"a":"\\udc00"}}\n' + lines({"key": "s"}),
                       "mem://out/1": surrogate + lines({**SUCCESS_ROW, "key": "s"})}, {"mem://out": ["mem://out/1"]})
    summary = split(rows, ["mem://in"])
    assert (summary["succeeded"], summary["failed"], summary["missing"], summary["input_rows"]) == (1, 1, 0, 2)
    failed = json.loads(rows.parts["mem://r/failed"])
    assert failed["key"] == "\ud800" and failed[PARSED_ERROR_FIELD]["message"] == "Bad Request"
    quota = b'{"status":%s,"key":"\\ud800","request":{"a":"\\udc00"}}\n' % json.dumps(QUOTA).encode()
    rows.parts["gs://b/s/failed.jsonl"] = quota
    previous = {"failed_uri": "gs://b/s/failed.jsonl", "missing_uri": "gs://b/s/missing.jsonl", "missing": 0}
    pending = prepare_round(rows, rows, previous, 1, "gs://b/f")
    assert rows.rows(pending["input_uri"]) == [{"key": "\ud800", "request": {"a": "\udc00"}}]


def test_a_round_keeps_a_deep_failed_row_and_resends_the_others() -> None:
    quota_deep = deep_output("d", 5000, QUOTA)
    quota_ok = lines({"status": QUOTA, "key": "q", "request": {"contents": []}})
    rows = MemoryRows({"gs://b/s/failed.jsonl": quota_deep + quota_ok})
    previous = {"failed_uri": "gs://b/s/failed.jsonl", "missing_uri": "gs://b/s/missing.jsonl", "missing": 0}
    pending = prepare_round(rows, rows, previous, 1, "gs://b/f")
    assert (pending["input_rows"], pending["kept_failed"]) == (1, 1)
    assert pending["kept_failures_by_status"] == {ROW_TOO_DEEP: 1}
    assert rows.parts[pending["kept_failed_uri"]] == quota_deep
    assert rows.rows(pending["input_uri"]) == [{"key": "q", "request": {"contents": []}}]


def test_a_row_in_utf16_is_unreadable_as_the_depth_check_reads_only_utf8() -> None:
    raw = '{"key":"u","status":""}'.encode("utf-16-be")
    assert parse_row(raw) is None, "json.loads(bytes) took UTF-16 (and UTF-32), which the depth check does not read"
    assert classify_line(raw).error.status == "UNREADABLE_ROW"  # type: ignore[union-attr]
