"""``make bench`` is not part of the test suite (it takes minutes); this runs its harness end to end
on tiny sizes (``python -m bench --smoke``) to prove every registered case still runs and reports."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from bench.registry import CASES
from bench.report import COLUMNS

REPO = Path(__file__).resolve().parents[2]


def test_bench_smoke_prints_the_table_and_writes_json_and_png(tmp_path: Path) -> None:
    import bench.cases  # noqa: F401  (registers the cases)

    result = subprocess.run(
        [sys.executable, "-m", "bench", "--smoke", "--out", str(tmp_path)],
        cwd=REPO, capture_output=True, text=True, timeout=300, check=False,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    report = json.loads((tmp_path / "results.json").read_text())
    rows = report["rows"]
    names = {row["name"] for row in rows}
    assert {"validation vs orjson parse-only", "split vs plain streamed copy",
            "triggerer: memory per trigger"} <= names
    assert len(rows) >= len(CASES), "every case gives at least one row"
    for row in rows:
        assert row["subject"]["value"] > 0 and row["baseline"]["value"] > 0, row
        assert row["ratio"] == row["subject"]["value"] / row["baseline"]["value"]
        assert row["met"] in (True, False) and row["target_text"]
    table = result.stdout
    assert re.search(r"^" + r"\s*\| ".join(COLUMNS) + r"$", table, re.MULTILINE), "the table's header"
    assert table.count(" met") + table.count(" GAP") >= len(rows)
    assert (tmp_path / "results.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
