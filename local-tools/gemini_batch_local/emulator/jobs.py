"""The job resource and its lifecycle rules: states, timing, final outcome, wire encoding (pure).

The asynchronous driver that moves jobs through these states is :mod:`.service`; everything
here takes plain values (elapsed seconds, row counts) and returns plain values.
"""

from __future__ import annotations

import dataclasses
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .faults import Behaviour, row_failure_code
from .inputs import InputLine
from .rows import Responder, RowResult, answer_row, injected_failure, model_version, part_keys
from .wire import HTTP_TO_RPC, directory_timestamp, encode_state, int64, prune_defaults, rfc3339

QUEUED = "JOB_STATE_QUEUED"
PENDING = "JOB_STATE_PENDING"
RUNNING = "JOB_STATE_RUNNING"
SUCCEEDED = "JOB_STATE_SUCCEEDED"
FAILED = "JOB_STATE_FAILED"
CANCELLING = "JOB_STATE_CANCELLING"
CANCELLED = "JOB_STATE_CANCELLED"
PAUSED = "JOB_STATE_PAUSED"
EXPIRED = "JOB_STATE_EXPIRED"
PARTIALLY_SUCCEEDED = "JOB_STATE_PARTIALLY_SUCCEEDED"

TERMINAL_STATES = frozenset({SUCCEEDED, PARTIALLY_SUCCEEDED, FAILED, CANCELLED, EXPIRED})
#: States an administrator may force with ``POST /emulator/jobs/{id}:set-state``.
SETTABLE_STATES = frozenset({*TERMINAL_STATES, RUNNING, PAUSED, QUEUED, PENDING})

MAX_PARTIAL_FAILURES = 20
CANCELLED_ERROR = {"code": 1, "message": "CANCELED"}


@dataclass
class Job:
    """A batch prediction job as the emulator keeps it (JSON-serialisable for ``--state-file``)."""

    job_id: str
    seq: int
    project_number: str
    location: str
    display_name: str
    model: str
    input_config: dict[str, Any]
    output_config: dict[str, Any]
    labels: dict[str, str]
    seed: int
    create_time: float
    extra: dict[str, Any] = field(default_factory=dict)  # echoed optional fields (encryptionSpec, ...)
    state: str = QUEUED
    update_time: float = 0.0
    start_time: float | None = None
    end_time: float | None = None
    output_info: dict[str, str] = field(default_factory=dict)
    error: dict[str, Any] | None = None
    partial_failures: list[dict[str, Any]] = field(default_factory=list)
    total: int | None = None  # number of requests, known once the input is imported
    successful: int = 0
    failed: int = 0
    queue_elapsed: float = 0.0
    run_elapsed: float = 0.0
    cancel_requested: bool = False
    outcome_applied: bool = False
    exported: int = 0  # rows already written to incremental files
    exported_at: float = 0.0  # run_elapsed at the last incremental export

    @property
    def name(self) -> str:
        """``projects/{number}/locations/{loc}/batchPredictionJobs/{id}``."""
        return f"projects/{self.project_number}/locations/{self.location}/batchPredictionJobs/{self.job_id}"

    @property
    def terminal(self) -> bool:
        """Has the job ended?"""
        return self.state in TERMINAL_STATES

    def to_record(self) -> dict[str, Any]:
        """A plain dict for the state file."""
        return dataclasses.asdict(self)

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Job:
        """Rebuild a job saved by :meth:`to_record`."""
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{key: value for key, value in record.items() if key in names})


def output_directory(prefix: str, created: float) -> str:
    """``{prefix}/prediction-model-{UTC timestamp with microseconds}Z``."""
    return f"{prefix.rstrip('/')}/prediction-model-{directory_timestamp(created)}"


def encode_job(job: Job, enum_as_int: bool = False) -> dict[str, Any]:
    """The job in proto3 JSON, as ``batchPredictionJobs.get`` returns it."""
    stats: dict[str, Any] | None = None
    if job.total is not None:
        counts = {
            "successfulCount": job.successful,
            "failedCount": job.failed,
            "incompleteCount": job.total - job.successful - job.failed,
        }
        stats = {key: int64(value) for key, value in counts.items() if value}
    resource = prune_defaults(
        {
            "name": job.name,
            "displayName": job.display_name,
            "model": job.model,
            **job.extra,
            "inputConfig": job.input_config,
            "outputConfig": job.output_config,
            "state": job.state,
            "error": job.error,
            "partialFailures": job.partial_failures,
            "outputInfo": job.output_info,
            "completionStats": stats,
            "createTime": rfc3339(job.create_time),
            "startTime": rfc3339(job.start_time) if job.start_time is not None else None,
            "endTime": rfc3339(job.end_time) if job.end_time is not None else None,
            "updateTime": rfc3339(job.update_time or job.create_time),
        }
    )
    resource["state"] = encode_state(job.state, enum_as_int)
    if job.labels:
        resource["labels"] = dict(job.labels)
    return resource


def filter_view(job: Job) -> dict[str, Any]:
    """The fields a list filter can test."""
    return {
        "display_name": job.display_name,
        "model": job.model,
        "state": job.state,
        "labels": job.labels,
        "create_time": job.create_time,
        "update_time": job.update_time or job.create_time,
        "start_time": job.start_time,
        "end_time": job.end_time,
    }


def queue_state(queue_elapsed: float, behaviour: Behaviour) -> str | None:
    """QUEUED for the first half of the queue time, PENDING for the second, ``None`` once it is over."""
    if queue_elapsed >= behaviour.queue_seconds:
        return None
    return QUEUED if queue_elapsed < behaviour.queue_seconds / 2 else PENDING


def run_duration(total: int, behaviour: Behaviour) -> float:
    """Seconds of RUNNING a job of ``total`` rows takes: at least ``run_seconds``, at most the row rate."""
    return max(behaviour.run_seconds, total / behaviour.rows_per_second)


def rows_done(run_elapsed: float, total: int, behaviour: Behaviour) -> int:
    """How many rows are finished after ``run_elapsed`` seconds of RUNNING."""
    duration = run_duration(total, behaviour)
    if duration <= 0:
        return total
    return min(total, math.floor(total * run_elapsed / duration + 1e-9))


def processed_at(start: float, index: int, total: int, behaviour: Behaviour) -> float:
    """When row ``index`` (0-based, in processing order) finished, for its ``processed_time``."""
    return start + run_duration(total, behaviour) * (index + 1) / max(total, 1)


def outcome_trigger(total: int) -> int:
    """Rows finished when an injected ``failed``, ``cancelled`` or ``paused`` outcome strikes."""
    return total // 2


def plan_rows(
    lines: Sequence[InputLine], job: Job, behaviour: Behaviour, responder: Responder
) -> list[RowResult]:
    """Every row the job will produce, in processing (and output) order: shuffled under the seed."""
    columns = part_keys([line.request for line in lines])
    version = model_version(job.model)
    results: list[RowResult] = []
    for index, line in enumerate(lines):
        code = row_failure_code(job.seed, job.job_id, index, behaviour.row_failures)
        injected = injected_failure(code) if code is not None else None
        results.append(answer_row(line.request, line.extras, responder, version, columns, injected))
    random.Random(f"{job.seed}:{job.job_id}").shuffle(results)
    return results


def count_rows(rows: list[RowResult]) -> tuple[int, int]:
    """(successful, failed)."""
    successful = sum(1 for row in rows if row.ok)
    return successful, len(rows) - successful


def failure_summaries(rows: list[RowResult]) -> list[dict[str, Any]]:
    """``partialFailures``: ``{code, message}`` of at most 20 failed rows."""
    return [
        {"code": HTTP_TO_RPC.get(row.code, 2), "message": row.status}
        for row in rows
        if not row.ok
    ][:MAX_PARTIAL_FAILURES]


def final_state(outcome: str, rows: list[RowResult]) -> tuple[str, dict[str, Any] | None]:
    """The end state of a job that ran all its rows, and its ``error``.

    Row-level errors do not fail a job (the real service ends such jobs SUCCEEDED) unless every row
    failed: then the job is FAILED with the first row's code. Labels can force the outcome.
    """
    successful, failed = count_rows(rows)
    if outcome == "partially-succeeded":
        return PARTIALLY_SUCCEEDED, None
    if outcome == "auto" and failed and not successful:
        first = failure_summaries(rows)[0]
        return FAILED, {"code": first["code"], "message": f"All {failed} requests failed; see the output."}
    return SUCCEEDED, None


def injected_error(outcome: str) -> dict[str, Any] | None:
    """The ``error`` of a job that an injected outcome stops midway."""
    if outcome == "failed":
        return {"code": 13, "message": "Internal error occurred (injected by the emulator)."}
    if outcome == "cancelled":
        return dict(CANCELLED_ERROR)
    return None


def delete_operation(job: Job, operation_id: str, api_version: str, now: float) -> dict[str, Any]:
    """The long-running Operation a delete returns, already done."""
    return {
        "name": f"projects/{job.project_number}/locations/{job.location}/operations/{operation_id}",
        "metadata": {
            "@type": f"type.googleapis.com/google.cloud.aiplatform.{api_version}.DeleteOperationMetadata",
            "genericMetadata": {"createTime": rfc3339(now), "updateTime": rfc3339(now)},
        },
        "done": True,
        "response": {"@type": "type.googleapis.com/google.protobuf.Empty"},
    }
