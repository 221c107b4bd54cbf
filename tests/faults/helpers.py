"""What the fault tests share: input with keys, the submit operator on a fault case, job and row counts."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from airflow_batch_gemini.hooks.batch_prediction import GeminiBatchHook
from airflow_batch_gemini.hooks.storage import GeminiBatchStorageHook
from airflow_batch_gemini.job.retry import RetryPolicy
from airflow_batch_gemini.operators.split_output import GeminiBatchSplitOutputOperator
from airflow_batch_gemini.operators.submit_job import GeminiBatchSubmitJobOperator
from tests.conftest import TEST_BUCKET, request_line
from tests.faults.scoreboard import FaultRecord
from tests.taskrun import FakeStateStore, new_context

#: The label every job of a fault case carries, with the case's unique value.
CASE_LABEL = "fault-case"
#: Retries as the hook does them, with waits short enough for the suite.
FAST_RETRY = RetryPolicy(attempts=5, initial_delay=0.05, max_delay=0.2)

UploadLines = Callable[[str, list[dict[str, Any]]], str]


def upload_input(upload_lines: UploadLines, fault: FaultRecord, rows: int = 6) -> tuple[str, list[str]]:
    """Upload ``rows`` keyed requests for a case (one in three will fail at the service); return URI and keys."""
    keys = [f"{fault.label}-{index}" for index in range(rows)]
    lines = [
        {"key": key, "request": {"contents": [{"role": "tester", "parts": [{"text": key}]}]}}
        if index % 3 == 2 else request_line(f"question {key}", key=key)
        for index, key in enumerate(keys)
    ]
    return upload_lines(f"faults/{fault.label}/input.jsonl", lines), keys


def case_context(fault: FaultRecord, store: FakeStateStore | None = None) -> dict[str, Any]:
    """A fresh try of the case's task instance (the same run id for every try), with ``task_state_store``."""
    return new_context(f"faults__{fault.label}", store)


def submit_operator(fault: FaultRecord, input_uri: str, labels: dict[str, str] | None = None,
                    **kwargs: Any) -> GeminiBatchSubmitJobOperator:
    """The submit operator for a case: its jobs carry the case label; short polls and retry waits."""
    kwargs.setdefault("poll_interval", 0.1)
    operator = GeminiBatchSubmitJobOperator(
        task_id="submit",
        input_uris=input_uri,
        output_uri_prefix=f"gs://{TEST_BUCKET}/faults/{fault.label}/out",
        display_name=f"faults-{fault.label}",
        labels={CASE_LABEL: fault.label, **(labels or {})},
        **kwargs,
    )
    operator.hook.retry_policy = FAST_RETRY
    return operator


def jobs_created(fault: FaultRecord, api_endpoint: str | None = None) -> int:
    """How many jobs the emulator holds for this case."""
    return len(GeminiBatchHook(api_endpoint=api_endpoint).find_jobs({CASE_LABEL: fault.label}))


def injected_api_faults(stats: dict[str, Any]) -> int:
    """All API faults an emulator has injected (from its ``/emulator/stats``)."""
    return sum(int(count) for count in stats.get("faults", {}).values())


def output_keys(uri: str) -> list[str]:
    """The ``key`` of every row of a JSON Lines object (rows that are not JSON have none)."""
    keys = []
    for raw in GeminiBatchStorageHook().read_lines(uri):
        try:
            row = json.loads(raw)
        except ValueError:
            continue
        if isinstance(row, dict) and isinstance(row.get("key"), str):
            keys.append(row["key"])
    return keys


def split_output(fault: FaultRecord, output_directory: str, name: str = "results") -> tuple[dict[str, Any], list[str]]:
    """Split a job's output with the split operator; return its summary and the keys of both files."""
    operator = GeminiBatchSplitOutputOperator(
        task_id="split", output_directory=output_directory,
        destination_prefix=f"gs://{TEST_BUCKET}/faults/{fault.label}/{name}",
    )
    summary = operator.split()
    return summary, output_keys(summary["succeeded_uri"]) + output_keys(summary["failed_uri"])


def account(fault: FaultRecord, manifest: dict[str, Any], input_keys: list[str]) -> dict[str, Any]:
    """Split a finished job's output and record on the case which input rows came out."""
    summary, keys = split_output(fault, manifest["output_directory"])
    fault.rows(input_keys, keys)
    assert sorted(keys) == sorted(input_keys), "every input row exactly once in succeeded/failed"
    return summary
