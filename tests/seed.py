"""The seed files copied from Google's batch prediction guide (read-only, in ``shared/`` beside the repo)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SEED = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "seed"
SEED_INPUT = SEED / "input_example.jsonl"


def seed_row(name: str) -> dict[str, Any]:
    """One of the seed output rows: ``output_success.json`` or ``output_failure.json``."""
    row: dict[str, Any] = json.loads((SEED / name).read_text())
    return row


SUCCESS_ROW = seed_row("output_success.json")
FAILURE_ROW = seed_row("output_failure.json")


def row_line(row: dict[str, Any]) -> bytes:
    """A row as one line of an output file."""
    return json.dumps(row).encode() + b"\n"
