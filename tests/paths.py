"""Where the tests find the repository's files."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
#: The example DAGs, shipped inside the package as providers ship theirs.
EXAMPLE_DAGS = REPO / "airflow_batch_gemini" / "example_dags"
