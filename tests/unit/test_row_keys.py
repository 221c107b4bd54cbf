"""Row keys: added where missing, first in the line, stable."""

from __future__ import annotations

import json

from airflow_batch_gemini.input.parsing import parse_fast
from airflow_batch_gemini.input.row_keys import numbered_row_key, row_key_transform, with_row_key
from airflow_batch_gemini.input.scanner import scan_lines
from tests.input_lines import SEED_LINE


def test_row_keys_are_added_where_missing_and_stable() -> None:
    raw = b' {"request": {"contents": []}}\n'
    value = parse_fast(raw)
    keyed = with_row_key(raw, value, 1204, "key")
    assert keyed == b'{"key":"r00001204","request": {"contents": []}}\n'
    assert value["key"] == "r00001204" and json.loads(keyed) == value
    assert with_row_key(keyed, parse_fast(keyed), 7, "key") == keyed, "a line with a key keeps it"
    assert with_row_key(b"{}", {}, 1, "key") == b"{}" and with_row_key(b"[1]", [1], 1, "key") == b"[1]"
    scan = scan_lines([SEED_LINE, SEED_LINE], row_key_field="key")
    assert scan.row_count == 2 and scan.size_bytes == 2 * len(SEED_LINE) + 2 * len('"key":"r00000001",')


def test_a_second_read_gives_a_line_the_key_the_scan_gave_it() -> None:
    raw = b'{"request": {"contents": []}}\n'
    assert numbered_row_key(1204) == "r00001204"
    assert row_key_transform(None)(3, raw) == raw
    assert row_key_transform("id")(3, raw) == b'{"id":"r00000003","request": {"contents": []}}\n'
