"""Lineage of a batch pipeline: OpenLineage datasets and Airflow Assets for the files it reads and writes.

OpenLineage is optional: without ``apache-airflow-providers-openlineage`` the operators report no
lineage and nothing here is imported. Dataset names follow OpenLineage's naming spec: Cloud
Storage objects are ``namespace="gs://{bucket}", name="{path}"``, BigQuery tables
``namespace="bigquery", name="{project}.{dataset}.{table}"``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import TYPE_CHECKING

from airflow.sdk import Asset

from airflow_batch_gemini.uris import parse_gs_uri

if TYPE_CHECKING:
    from airflow.providers.openlineage.extractors import OperatorLineage

#: The result files a split task writes, by role.
RESULT_ROLES = ("succeeded", "failed")


def dataset_name(uri: str) -> tuple[str, str]:
    """OpenLineage ``(namespace, name)`` of a ``gs://bucket/path`` object or a ``bq://project.dataset.table``."""
    with contextlib.suppress(ValueError):
        bucket, path = parse_gs_uri(uri)
        return f"gs://{bucket}", path.rstrip("/") or "/"
    if uri.startswith("bq://"):
        return "bigquery", uri.removeprefix("bq://")
    raise ValueError(f"{uri!r} is neither a gs://BUCKET/PATH object nor a bq://PROJECT.DATASET.TABLE table")


def openlineage_datasets(inputs: Sequence[str], outputs: Sequence[str]) -> OperatorLineage | None:
    """The lineage of a task that read ``inputs`` and wrote ``outputs``; ``None`` without OpenLineage."""
    try:
        from airflow.providers.common.compat.openlineage.facet import Dataset
        from airflow.providers.openlineage.extractors import OperatorLineage
    except ImportError:
        return None
    return OperatorLineage(
        inputs=[Dataset(*dataset_name(uri)) for uri in inputs],
        outputs=[Dataset(*dataset_name(uri)) for uri in outputs],
    )


def result_assets(bucket: str, prefix: str) -> dict[str, Asset]:
    """The Assets that stand for a pipeline's latest success and failure files, by role.

    A run writes its files in a folder of its own (the example DAGs':
    ``gs://{bucket}/{prefix}/{run_id}/results/{role}.jsonl``); the Asset stands for the series. Schedule a
    downstream DAG on one to run after every split: the event's source run (``source_dag_id``,
    ``source_run_id``) says which run, and the split task's
    XCom (``succeeded_uri``, ``failed_uri``, counts) which objects.
    """
    return {
        role: Asset(name=f"{prefix}/{role}", uri=f"gs://{bucket}/{prefix}/{role}.jsonl", group="gemini-batch")
        for role in RESULT_ROLES
    }
