"""The top-level keys across an input's lines: a key keeps its type, numeric-looking strings are noted."""

from __future__ import annotations

from airflow_batch_gemini.input.scanner import scan_lines
from tests.input_lines import line, text_request

TYPES = "(the batch importer fails the whole job for this: job failures with code 3 seen)"


def test_a_top_level_key_must_keep_its_type_across_lines() -> None:
    lines = [
        (line(text_request(), key="a1") + "\n").encode(),
        (line(text_request(), key=None) + "\n").encode(),
        (line(text_request(), key=2) + "\n").encode(),
        (line(text_request(), key="a3", score=1.5) + "\n").encode(),
        (line(text_request(), key="a4", score=2) + "\n").encode(),
        (line(text_request(), key="a5", score="high") + "\n").encode(),
    ]
    scan = scan_lines(lines)
    assert [str(problem) for problem in scan.problems] == [
        f"line 3: /key: is a number here but a string on line 1; give a top-level key the same type on every line, "
        f"or null {TYPES}",
        f"line 6: /score: is a string here but a number on line 4; give a top-level key the same type on every "
        f"line, or null {TYPES}",
    ]
    assert set(scan.invalid_lines) == {3, 6} and scan.row_count == 4


def test_numeric_looking_key_values_are_noted_for_a_warning() -> None:
    values = ["00123", "a7", "4.5e3", " 12 ", "-7", "12a"]
    scan = scan_lines([(line(text_request(), key=value) + "\n").encode() for value in values])
    assert scan.problems == [] and scan.row_count == len(values)
    assert scan.columns.numeric_strings == {"key": (1, 4)}
    [warning] = scan.columns.warnings()
    assert warning.startswith("'key' holds numeric-looking strings on 4 line(s), the first on line 1")
    assert "prefix them with a letter" in warning
