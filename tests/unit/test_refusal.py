"""Whether a scanned input may be uploaded: on_invalid, max_rejected_ratio, and at least one request."""

from __future__ import annotations

from airflow_batch_gemini.input.refusal import NO_REQUEST, upload_refusal
from airflow_batch_gemini.input.scanner import InputScan, scan_lines
from tests.input_lines import SEED_LINE

BAD_LINE = b"[]\n"
NOT_AN_OBJECT = 'must be a JSON object like {"request": {...}}, not array'


def scan_of(*lines: bytes) -> InputScan:
    return scan_lines(list(lines), max_problems=1)


def test_valid_lines_may_go() -> None:
    assert upload_refusal(scan_of(SEED_LINE, SEED_LINE), "fail", None) == ([], 0)


def test_fail_refuses_any_invalid_line_and_skip_lets_the_valid_ones_go() -> None:
    scan = scan_of(SEED_LINE, BAD_LINE, BAD_LINE)
    assert upload_refusal(scan, "fail", None) == ([f"line 2: {NOT_AN_OBJECT}"], 2)
    assert upload_refusal(scan, "skip", None) == ([], 0)


def test_skip_refuses_a_larger_share_of_invalid_lines_than_allowed() -> None:
    scan = scan_of(SEED_LINE, BAD_LINE, BAD_LINE)
    assert upload_refusal(scan, "skip", 0.5) == (
        ["2 of 3 lines are invalid, more than max_rejected_ratio 0.5 allows", f"line 2: {NOT_AN_OBJECT}"], 3)
    assert upload_refusal(scan, "skip", 0.7) == ([], 0)


def test_an_input_without_a_valid_line_is_refused() -> None:
    assert upload_refusal(scan_of(), "fail", None) == ([NO_REQUEST], 1)
    assert upload_refusal(scan_of(BAD_LINE), "skip", None) == ([NO_REQUEST, f"line 1: {NOT_AN_OBJECT}"], 2)
