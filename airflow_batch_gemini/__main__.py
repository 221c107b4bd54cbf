"""``python -m airflow_batch_gemini validate FILE...``: the command line of :mod:`airflow_batch_gemini.cli`."""

from __future__ import annotations

import sys

from airflow_batch_gemini.cli import main

if __name__ == "__main__":
    sys.exit(main())
