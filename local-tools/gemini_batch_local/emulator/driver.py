"""The driver of emulated jobs: advances one job a tick at a time through its life, and exports its rows.

QUEUED/PENDING for the queue time, then the input is imported (Cloud Storage reads and row planning
run in threads, so the event loop stays free for the HTTP API), RUNNING at the row rate with
optional incremental exports, and the final ``predictions.jsonl`` before the end state. Every
change of a job goes through the ``changed`` callback of the service that owns the job.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable

from . import jobs as lifecycle
from .config import ServiceConfig
from .faults import Behaviour
from .inputs import ImportFailure, parse_input
from .jobs import Job
from .rows import Responder, RowResult
from .storage import Storage, StorageError, split_uri

LOG = logging.getLogger("gemini_batch_local.emulator")


class JobDriver:
    """Runs jobs of one service: :meth:`drive` is the body of each job's asyncio task.

    :param changed: records a change of a job and, when given, its new state (``JobService._changed``).
    """

    def __init__(
        self, config: ServiceConfig, storage: Storage, responder: Responder,
        changed: Callable[[Job, str | None], None],
    ) -> None:
        self.config = config
        self.storage = storage
        self.responder = responder
        self._changed = changed

    async def drive(self, job: Job, behaviour: Behaviour) -> None:
        """Advance ``job`` (which behaves as ``behaviour``) every tick until it ends."""
        rows: list[RowResult] | None = None
        last = time.monotonic()
        try:
            while not job.terminal:
                await asyncio.sleep(self.config.tick_seconds)
                now = time.monotonic()
                elapsed, last = now - last, now
                needs_rows = job.state == lifecycle.RUNNING or (
                    job.total is not None and job.state != lifecycle.PAUSED
                )
                if rows is None and needs_rows:  # resumed from the state file, or forced to RUNNING
                    rows = await self._import(job, behaviour)
                    if rows is None:
                        continue
                if job.cancel_requested or job.state == lifecycle.CANCELLING:
                    await self._finish_cancel(job, rows, behaviour)
                elif job.state in (lifecycle.QUEUED, lifecycle.PENDING):
                    rows = await self._advance_queue(job, behaviour, elapsed)
                elif job.state == lifecycle.RUNNING and rows is not None:
                    await self._advance_run(job, behaviour, rows, elapsed)
        except Exception as err:  # a bug must fail the job, never hang it
            LOG.exception("job %s crashed", job.job_id)
            job.error = {"code": 13, "message": f"Internal emulator error: {err}"}
            self._changed(job, lifecycle.FAILED)

    async def _advance_queue(self, job: Job, behaviour: Behaviour, elapsed: float) -> list[RowResult] | None:
        job.queue_elapsed += elapsed
        state = lifecycle.queue_state(job.queue_elapsed, behaviour)
        if state is not None:
            if state != job.state:
                self._changed(job, state)
            return None
        if behaviour.outcome == "expired":
            self._changed(job, lifecycle.EXPIRED)
            return None
        rows = await self._import(job, behaviour)
        if rows is not None and not job.cancel_requested:
            self._changed(job, lifecycle.RUNNING)
        return rows

    async def _import(self, job: Job, behaviour: Behaviour) -> list[RowResult] | None:
        """Read and plan the input; fails the job (and returns ``None``) on the service's import errors."""
        if "bigquerySource" in job.input_config:
            self._fail(job, 12, "BigQuery input is not supported by the emulator; use Cloud Storage JSONL.")
            return None
        try:
            files = await self.storage.read_inputs(job.input_config["gcsSource"]["uris"])
            directory = job.output_info.get("gcsOutputDirectory")
            if directory and not await self.storage.bucket_exists(split_uri(directory)[0]):
                raise StorageError(f"the output bucket of {directory} does not exist")
        except StorageError as err:
            self._fail(job, 9, f"Failed to read the input or reach the output location: {err}")
            return None
        try:
            lines = await asyncio.to_thread(parse_input, files)
        except ImportFailure as err:
            self._fail(job, 3, str(err))
            return None
        rows = await asyncio.to_thread(lifecycle.plan_rows, lines, job, behaviour, self.responder)
        job.total = len(rows)
        self._changed(job, None)
        return rows

    def _fail(self, job: Job, code: int, message: str) -> None:
        job.error = {"code": code, "message": message}
        self._changed(job, lifecycle.FAILED)

    async def _advance_run(self, job: Job, behaviour: Behaviour, rows: list[RowResult], elapsed: float) -> None:
        total = len(rows)
        job.run_elapsed += elapsed
        done = lifecycle.rows_done(job.run_elapsed, total, behaviour)
        stops_midway = behaviour.outcome in ("failed", "cancelled", "paused")
        if stops_midway and not job.outcome_applied and done >= lifecycle.outcome_trigger(total):
            done = lifecycle.outcome_trigger(total)
            job.outcome_applied = True
            job.run_elapsed = lifecycle.run_duration(total, behaviour) * done / total
            self._count(job, rows[:done])
            if behaviour.outcome == "paused":
                self._changed(job, lifecycle.PAUSED)
            elif behaviour.outcome == "cancelled":
                job.cancel_requested = True
                self._changed(job, lifecycle.CANCELLING)
            elif await self._export(job, rows[:done], behaviour):
                job.error = lifecycle.injected_error("failed")
                self._changed(job, lifecycle.FAILED)
            return
        self._count(job, rows[:done])
        if done < total:
            await self._export_increment(job, rows, done, behaviour)
            return
        if not await self._export(job, rows, behaviour):
            return
        state, error = lifecycle.final_state(behaviour.outcome, rows)
        job.error = error
        if state == lifecycle.PARTIALLY_SUCCEEDED:
            job.partial_failures = lifecycle.failure_summaries(rows)
        self._changed(job, state)

    def _count(self, job: Job, finished: list[RowResult]) -> None:
        successful, failed = lifecycle.count_rows(finished)
        if (successful, failed) != (job.successful, job.failed):
            job.successful, job.failed = successful, failed
            self._changed(job, None)

    async def _finish_cancel(self, job: Job, rows: list[RowResult] | None, behaviour: Behaviour) -> None:
        if job.state != lifecycle.CANCELLING:
            self._changed(job, lifecycle.CANCELLING)
        if rows is not None and not await self._export(job, rows[: job.successful + job.failed], behaviour):
            return
        job.error = dict(lifecycle.CANCELLED_ERROR)
        self._changed(job, lifecycle.CANCELLED)

    # -- output ----------------------------------------------------------------------------------------
    def _encode_rows(self, job: Job, rows: list[RowResult], behaviour: Behaviour, offset: int = 0) -> bytes:
        start = job.start_time or job.create_time
        total = job.total or len(rows)
        return "".join(
            json.dumps(row.to_json(lifecycle.processed_at(start, offset + index, total, behaviour)),
                       ensure_ascii=False) + "\n"
            for index, row in enumerate(rows)
        ).encode()

    def _destination(self, job: Job) -> str | None:
        """Where ``predictions.jsonl`` goes: the output directory, or the BigQuery mirror, or nowhere."""
        if "gcsOutputDirectory" in job.output_info:
            return job.output_info["gcsOutputDirectory"]
        if self.config.bigquery_mirror is None:
            return None
        table = job.output_config["bigqueryDestination"]["outputUri"][len("bq://"):]
        return f"{self.config.bigquery_mirror.rstrip('/')}/{table}/{job.job_id}"

    async def _export(self, job: Job, rows: list[RowResult], behaviour: Behaviour) -> bool:
        """Write the final ``predictions.jsonl`` (not when no row finished); a write failure fails the job."""
        destination = self._destination(job)
        if destination is None or not rows:
            return True
        data = await asyncio.to_thread(self._encode_rows, job, rows, behaviour)
        try:
            await self.storage.write(f"{destination}/predictions.jsonl", data)
        except StorageError as err:
            self._fail(job, 9, f"Failed to write the output: {err}")
            return False
        return True

    async def _export_increment(self, job: Job, rows: list[RowResult], done: int, behaviour: Behaviour) -> None:
        """While running, write newly finished rows under ``incremental_predictions/`` now and then."""
        every = self.config.incremental_seconds
        destination = self._destination(job)
        if every <= 0 or destination is None or done <= job.exported:
            return
        if job.run_elapsed - job.exported_at < every:
            return
        chunk = rows[job.exported:done]
        data = await asyncio.to_thread(self._encode_rows, job, chunk, behaviour, job.exported)
        name = f"{destination}/incremental_predictions/predictions_{job.exported:06d}_{done:06d}.jsonl"
        with contextlib.suppress(StorageError):  # best effort, like the service's continuous export
            await self.storage.write(name, data)
            job.exported, job.exported_at = done, job.run_elapsed
            self._changed(job, None)
