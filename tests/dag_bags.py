"""A folder of DAG files parsed as the dag-processor parses it, without Airflow's own examples (Airflow 3.0
loads them into every DagBag unless told not to): what the parse-time checks' tests read import errors from."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

try:  # Airflow 3.1+
    from airflow.dag_processing.dagbag import DagBag
except ImportError:  # pragma: no cover - Airflow 3.0
    from airflow.models.dagbag import DagBag  # type: ignore[no-redef,attr-defined,unused-ignore]


def parsed_dags(folder: Path, **options: Any) -> Any:
    """The ``DagBag`` of ``folder`` (a file or a folder), Airflow's examples left out."""
    if "include_examples" in inspect.signature(DagBag).parameters:
        options.setdefault("include_examples", False)
    return DagBag(dag_folder=str(folder), **options)
