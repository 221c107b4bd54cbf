"""The records of the rejects file: every problem of a line, and the line as written."""

from __future__ import annotations

import json

from airflow_batch_gemini.input.scanner import scan_lines
from tests.input_lines import SEED_LINE, line


def test_rejected_lines_are_recorded_with_every_problem() -> None:
    rejects: list[bytes] = []
    bad = (line({"contents": [{"role": "bot", "parts": [{"text": 1}]}]}) + "\n").encode()
    scan_lines([SEED_LINE, bad, b"\xff\n"], max_problems=0, on_reject=rejects.append)
    first, second = (json.loads(record) for record in rejects)
    assert first["line"] == 2 and [p["pointer"] for p in first["problems"]] == [
        "/request/contents/0/parts/0/text", "/request/contents/0/role"]
    assert first["original"] == bad.decode().rstrip("\n") and first["error"].startswith("line 2: ")
    assert second == {"line": 3, "problems": [{"pointer": "", "message": "is not UTF-8 text (byte 1); save the file "
                                                                         "as UTF-8"}],
                      "error": "line 3: is not UTF-8 text (byte 1); save the file as UTF-8", "original_base64": "/w=="}
