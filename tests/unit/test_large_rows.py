"""Hostile output rows too long to hold, and status texts that used to recurse or take quadratic work: each is one
row that fails with a reason (``ROW_TOO_LARGE``), or a text whose error is searched within bounds; the split, the
reconciliation and a resubmission round go on."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

from airflow_batch_gemini.bounds import DEFAULT_MAX_LINE_BYTES, DEFAULT_MAX_ROW_BYTES, MAX_JSON_DEPTH
from airflow_batch_gemini.exceptions import GeminiBatchConfigurationError
from airflow_batch_gemini.lines import HEAD_BYTES, OverlongLine, iter_line_blocks, stream_lines
from airflow_batch_gemini.operators.output_checks import check_max_row_bytes
from airflow_batch_gemini.output.annotation import PARSED_ERROR_FIELD, TOO_LARGE_FIELD
from airflow_batch_gemini.output.large_rows import end_members, head_members, too_large_row
from airflow_batch_gemini.output.rounds import prepare_round
from airflow_batch_gemini.output.rows import ROW_TOO_LARGE, classify_row, parse_row_error
from airflow_batch_gemini.output.split import split_job_output
from tests.memory_rows import MemoryRows, lines
from tests.seed import SUCCESS_ROW

RESULTS = {"succeeded_uri": "mem://r/succeeded", "failed_uri": "mem://r/failed", "missing_uri": "mem://r/missing"}
LIMIT = 4096
QUOTA = 'Too Many Requests: {"error": {"code": 429, "message": "quota", "status": "RESOURCE_EXHAUSTED"}}'


def large_output(key: str | None, size: int) -> bytes:
    keyed = b'"key":"%s",' % key.encode() if key is not None else b""
    return b'{' + keyed + b'"status":"","request":{"contents":[{"parts":[{"text":"' + b"x" * size + b'"}]}]}}\n'


def split(rows: MemoryRows, input_uris: list[str]) -> dict:
    return dict(split_job_output(rows, rows, output_directory="mem://out", results=RESULTS, input_uris=input_uris))


def test_the_default_row_limit_holds_an_echoed_request_and_a_response() -> None:
    assert DEFAULT_MAX_ROW_BYTES == 2 * DEFAULT_MAX_LINE_BYTES + 16 * 1024 * 1024 == 80 * 1024 * 1024


def test_a_status_text_nested_deep_beyond_the_recursion_limit_is_no_error_json() -> None:
    text = "x" + '{"a":' * 100_000
    error = parse_row_error(text)  # raised RecursionError
    assert (error.code, error.status, error.message) == (None, None, text)


def test_a_status_text_with_a_million_braces_is_decoded_at_16_starts_at_most(monkeypatch: pytest.MonkeyPatch) -> None:
    text = "{" * 1_000_000 + QUOTA
    starts: list[int] = []
    decode = json.JSONDecoder.raw_decode

    def counted(self: json.JSONDecoder, s: str, idx: int = 0) -> tuple[Any, int]:
        starts.append(idx)
        return decode(self, s, idx)

    monkeypatch.setattr(json.JSONDecoder, "raw_decode", counted)
    error = parse_row_error(text)  # was quadratic: each '{' decoded to the end of the text
    assert len(starts) <= 16 and all(start < 64 * 1024 for start in starts)
    assert error.status is None, "the embedded error lies beyond the searched head"


def test_an_error_after_a_few_stray_braces_is_still_found_and_one_far_in_is_not() -> None:
    assert parse_row_error("Bad {x} {y}: " + QUOTA[len("Too Many Requests: "):]).status == "RESOURCE_EXHAUSTED"
    assert parse_row_error("{" * 16 + " " + QUOTA).status is None, "at most 16 starts are tried"
    assert parse_row_error(" " * 70_000 + QUOTA).status is None, "only the text's first 64 KiB is searched"
    shallow = "E: " + '{"error":' * (MAX_JSON_DEPTH - 2) + '{"status":"UNAVAILABLE"}' + "}" * (MAX_JSON_DEPTH - 2)
    assert parse_row_error(shallow).category != ROW_TOO_LARGE  # decoded: within the depth


def test_the_bounded_reader_gives_an_over_long_row_with_its_head_size_and_hash() -> None:
    row = large_output("k1", 3 * HEAD_BYTES)
    data = lines({"key": "a"}) + row + lines({"key": "b"})
    read = list(stream_lines(iter_line_blocks([data[i:i + 1000] for i in range(0, len(data), 1000)], LIMIT)))
    assert read[0] == lines({"key": "a"}) and read[2] == lines({"key": "b"})
    over = read[1]
    assert isinstance(over, OverlongLine)
    assert (over.size, over.sha256, over.limit) == (len(row) - 1, hashlib.sha256(row[:-1]).hexdigest(), LIMIT)
    assert over.head == row[:HEAD_BYTES]


def test_the_key_is_read_from_the_head_of_a_row_when_it_comes_first() -> None:
    assert head_members(large_output("k1", HEAD_BYTES)[:HEAD_BYTES]) == {"key": "k1", "status": ""}
    assert head_members(large_output(None, HEAD_BYTES)[:HEAD_BYTES]) == {"status": ""}
    assert head_members(b'{"request":{"a":"' + b"x" * 100) is None, "no whole member"
    assert head_members(b'{"key":"k, [{","text":"a, b') == {"key": "k, [{"}, "a comma in a cut string ends nothing"
    assert head_members(b'["key","k1",' + b"1" * 100) is None, "no object"
    assert head_members(b'{"key":"k","n":[1,2]} ') == {"key": "k", "n": None}, "a whole row, under the head's size"


def test_an_over_long_row_fails_as_row_too_large_not_retryable_with_what_to_do() -> None:
    over = next(line for line in stream_lines(iter_line_blocks([large_output("k1", 10_000)], LIMIT)))
    assert isinstance(over, OverlongLine)
    outcome = classify_row(too_large_row(over, "gs://b/out/1.jsonl", 7))
    assert not outcome.succeeded and outcome.error is not None
    assert outcome.error.category == ROW_TOO_LARGE and not outcome.error.retryable
    assert f"{over.size:,} bytes" in outcome.error.message and f"({LIMIT:,} bytes)" in outcome.error.message
    assert "line 7 of gs://b/out/1.jsonl" in outcome.error.message and "raise max_row_bytes" in outcome.error.message


def test_the_split_delivers_every_other_row_and_records_the_large_one_once_joined_by_its_key() -> None:
    inputs = lines({"key": "a", "request": {}}, {"key": "big", "request": {}}, {"key": "b", "request": {}})
    big = large_output("big", 10_000)
    outputs = lines({**SUCCESS_ROW, "key": "a"}) + big + lines({**SUCCESS_ROW, "key": "b"})
    rows = MemoryRows({"mem://in": inputs, "mem://out/1": outputs}, {"mem://out": ["mem://out/1"]}, max_row_bytes=LIMIT)
    summary = split(rows, ["mem://in"])
    assert (summary["succeeded"], summary["failed"], summary["missing"], summary["input_rows"]) == (2, 1, 0, 3)
    assert summary["failures_by_status"] == {ROW_TOO_LARGE: 1} and summary["disagreements"] == []
    assert summary["unexpected_rows"] == 0 and rows.parts["mem://r/missing"] == b""
    assert [row["key"] for row in rows.rows("mem://r/succeeded")] == ["a", "b"]
    [record] = rows.rows("mem://r/failed")
    assert record["key"] == "big" and record["status"].startswith(f"{ROW_TOO_LARGE}: ")
    assert record[TOO_LARGE_FIELD] == {"size": len(big) - 1, "sha256": hashlib.sha256(big[:-1]).hexdigest(),
                                       "limit": LIMIT, "part": "mem://out/1", "line": 2}
    assert record[PARSED_ERROR_FIELD]["status"] == ROW_TOO_LARGE
    assert classify_row(record).error == parse_row_error(record["status"]), "the record reads back as the failure"
    assert classify_row(record).error.category == ROW_TOO_LARGE  # type: ignore[union-attr]


def test_a_large_row_whose_key_comes_last_joins_its_input_line_and_one_keyed_in_its_middle_does_not() -> None:
    text = b"x\\\"" * HEAD_BYTES  # escaped backslashes and quotes, across the end's first bytes too
    last = b'{"status":"","request":{"text":"' + text + b'"},"response":{"a":[1]},"key":"late"}\n'
    middle = b'{"request":{"text":"' + text + b'"},"key":"mid","response":{"t":"' + text + b'"},"status":""}\n'
    rows = MemoryRows({"mem://in": lines({"key": "late", "request": {}}, {"key": "mid", "request": {}}),
                       "mem://out/1": last + middle}, {"mem://out": ["mem://out/1"]}, max_row_bytes=LIMIT)
    summary = split(rows, ["mem://in"])
    assert (summary["failed"], summary["missing"], summary["unexpected_rows"]) == (2, 1, 1)
    assert [record.get("key") for record in rows.rows("mem://r/failed")] == ["late", None]
    assert "1 output row(s) match no input row (kept in their result file)" in summary["disagreements"]
    assert rows.rows("mem://r/missing") == [{"key": "mid", "request": {}}]


@pytest.mark.parametrize("cut", range(1, 40))
def test_the_end_of_a_row_cut_anywhere_gives_its_last_members_or_none(cut: int) -> None:
    row = b'{"request":{"t":"a\\\\\\"b\\\\"},"key":"k\\"}","n":3}'
    found = end_members(row[cut:])
    assert found in (None, {"key": 'k"}', "n": 3}, {"n": 3}), (row[cut:], found)
    assert end_members(row[-21:]) == {"key": 'k"}', "n": 3}, "its first byte is left out: it may be escaped"


def test_a_missing_input_line_too_long_to_copy_is_recorded_kept_by_a_round_and_named_in_the_disagreements() -> None:
    rows = MemoryRows({"mem://in": lines({"key": "a", "request": {}}) + large_output("big", 10_000),
                       "mem://out/1": lines({**SUCCESS_ROW, "key": "a"})}, {"mem://out": ["mem://out/1"]},
                      max_row_bytes=LIMIT)
    summary = split(rows, ["mem://in"])
    assert (summary["succeeded"], summary["missing"], summary["input_rows"]) == (1, 1, 2)
    [record] = rows.rows("mem://r/missing")
    assert record["key"] == "big" and record["row_too_large"]["line"] == 2 and record["status"].startswith(
        "ROW_TOO_LARGE: "), "its record takes its place: the row is in a file, not lost"
    assert any("in missing.jsonl as their records" in found and "line 2 of mem://in" in found
               for found in summary["disagreements"])
    pending = prepare_round(rows, rows, {**summary, "missing_uri": "mem://r/missing"}, 1, "gs://b/f")  # type: ignore[arg-type]
    assert rows.parts["gs://b/f/rounds/1/input.jsonl"] == b"", "never resent"
    assert (pending["kept_failed"], pending["kept_failures_by_status"]) == (1, {"ROW_TOO_LARGE": 1})


def test_a_round_keeps_a_large_failed_row_as_its_record_and_resends_the_others() -> None:
    quota_big = b'{"key":"big","status":%s,"request":{"text":"%s"}}\n' % (json.dumps(QUOTA).encode(), b"x" * 10_000)
    quota_ok = lines({"status": QUOTA, "key": "q", "request": {"contents": []}})
    rows = MemoryRows({"gs://b/s/failed.jsonl": quota_big + quota_ok, "gs://b/s/missing.jsonl": quota_big},
                      max_row_bytes=LIMIT)
    previous = {"failed_uri": "gs://b/s/failed.jsonl", "missing_uri": "gs://b/s/missing.jsonl", "missing": 1}
    pending = prepare_round(rows, rows, previous, 1, "gs://b/f")
    assert (pending["round"], pending["input_rows"], pending["kept_failed"]) == (1, 1, 2)
    assert pending["kept_failures_by_status"] == {ROW_TOO_LARGE: 2}
    assert rows.rows(pending["input_uri"]) == [{"key": "q", "request": {"contents": []}}]
    kept = rows.rows(pending["kept_failed_uri"])
    assert [(row["key"], row[TOO_LARGE_FIELD]["part"]) for row in kept] == [
        ("big", "gs://b/s/failed.jsonl"), ("big", "gs://b/s/missing.jsonl")]


@pytest.mark.parametrize("value", [0, -1, True, 1.5, "80"])
def test_max_row_bytes_must_be_a_whole_number_of_one_or_more(value: object) -> None:
    with pytest.raises(GeminiBatchConfigurationError, match="max_row_bytes"):
        check_max_row_bytes(value)


def test_the_operators_check_max_row_bytes_and_pass_it_to_the_row_source(monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow_batch_gemini.operators import resubmit_failed
    from airflow_batch_gemini.operators.resubmit_failed import GeminiBatchResubmitFailedOperator
    from airflow_batch_gemini.operators.split_output import GeminiBatchSplitOutputOperator

    split_task = GeminiBatchSplitOutputOperator(task_id="s", destination_prefix="gs://b/r", output_directory="gs://b/o",
                                                max_row_bytes=1024)
    assert split_task.max_row_bytes == 1024
    assert GeminiBatchSplitOutputOperator(task_id="d", destination_prefix="gs://b/r",
                                          output_directory="gs://b/o").max_row_bytes == DEFAULT_MAX_ROW_BYTES
    with pytest.raises(GeminiBatchConfigurationError, match="max_row_bytes"):
        GeminiBatchSplitOutputOperator(task_id="t", destination_prefix="gs://b/r", output_directory="gs://b/o",
                                       max_row_bytes=0)
    resubmit = GeminiBatchResubmitFailedOperator(task_id="r", split_manifest={}, destination_prefix="gs://b/f",
                                                 project_id="p", location="us-central1", max_row_bytes=2048)
    monkeypatch.setattr(resubmit_failed, "GeminiBatchStorageHook", lambda **_: None)
    assert resubmit.storage.max_row_bytes == 2048
    with pytest.raises(GeminiBatchConfigurationError, match="max_row_bytes"):
        GeminiBatchResubmitFailedOperator(task_id="q", split_manifest={}, destination_prefix="gs://b/f",
                                          project_id="p", location="us-central1", max_row_bytes=-5)
