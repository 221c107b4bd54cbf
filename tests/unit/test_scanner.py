"""A whole input in one pass: valid lines counted, the first problems kept, the files planned."""

from __future__ import annotations

from airflow_batch_gemini.input.scanner import scan_lines
from airflow_batch_gemini.input.schema import build_validator
from tests.input_lines import SEED_LINE, line, text_request


def test_scan_counts_valid_lines_and_keeps_the_first_problems() -> None:
    good = SEED_LINE
    bad = (line({"contents": [{"role": "bot", "parts": [{"text": "x"}]}]}) + "\n").encode()
    lines = [good, bad, b"\n", good, bad, bad]
    scan = scan_lines(lines, max_problems=2)
    assert scan.row_count == 2
    assert set(scan.invalid_lines) == {2, 3, 5, 6}
    assert scan.problem_count == 4
    assert [str(p).split(":")[0] for p in scan.problems] == ["line 2", "line 3"]
    assert scan.size_bytes == 2 * len(good) and scan.line_count == 6


def test_an_extra_schema_is_applied_in_scans_by_the_fast_path() -> None:
    validator = build_validator({"required": ["key"]})
    scan = scan_lines([SEED_LINE, (line(text_request(), key="a") + "\n").encode()], validator)
    assert [str(problem) for problem in scan.problems] == ["line 1: 'key' is a required property"]
    assert scan.row_count == 1


def test_rows_are_planned_into_files_within_the_limits() -> None:
    lines = [(line(text_request(), key=f"k{i}") + "\n").encode() for i in range(7)]
    scan = scan_lines([*lines[:3], b"\n", *lines[3:]], max_rows_per_file=3)
    assert [(shard.first_line, shard.last_line, shard.row_count) for shard in scan.shards] == [
        (1, 3, 3), (5, 7, 3), (8, 8, 1)]
    assert scan.shards[1].digest.size == sum(map(len, lines[3:6]))
    by_bytes = scan_lines(lines, max_bytes_per_file=2 * len(lines[0]))
    assert [shard.row_count for shard in by_bytes.shards] == [2, 2, 2, 1]
