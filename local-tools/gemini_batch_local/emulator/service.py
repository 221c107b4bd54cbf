"""The job service: keeps the jobs, answers the API methods, and starts a driver for each job.

Every job has one asyncio task that a :class:`~.driver.JobDriver` runs to advance it a tick at a time.
With a state file, jobs are saved as they change and a restarted emulator resumes the unfinished ones.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import json
import logging
import os
import random
import time
from collections import Counter
from pathlib import Path
from typing import Any

from . import jobs as lifecycle
from .config import ServiceConfig
from .driver import JobDriver
from .faults import CREATE_LOST, Behaviour, FaultSpecError, behaviour_for
from .filters import FilterError, evaluate, parse_filter
from .jobs import Job
from .rows import Responder, default_responder
from .storage import Storage
from .validation import parse_create_body, project_number
from .wire import ApiError, directory_timestamp, failed_precondition, invalid_argument, not_found

LOG = logging.getLogger("gemini_batch_local.emulator")

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
STATE_FILE_VERSION = 1


class JobService:
    """All jobs of one emulator and the API methods over them."""

    def __init__(self, config: ServiceConfig, storage: Storage, responder: Responder = default_responder):
        self.config = config
        self.storage = storage
        self.jobs: dict[str, Job] = {}
        self.calls: Counter[str] = Counter()
        self.faults: Counter[str] = Counter()
        self._behaviours: dict[str, Behaviour] = {}
        self._drivers: dict[str, asyncio.Task[None]] = {}
        self._attempts: Counter[str] = Counter()
        self._ids = random.Random(config.seed)
        self._seq = 0
        self._last_create = 0.0
        self._operations = 0
        self._dirty = asyncio.Event()
        self._saver: asyncio.Task[None] | None = None
        self._driver = JobDriver(config, storage, responder, self._changed)

    # -- start and stop ----------------------------------------------------------------------------
    async def start(self) -> None:
        """Load the state file (if any), resume unfinished jobs, start saving changes."""
        if self.config.state_file is not None:
            self._load(self.config.state_file)
            self._saver = asyncio.create_task(self._save_loop(self.config.state_file))
        for job in self.jobs.values():
            if not job.terminal:
                self._start_driver(job)

    async def stop(self) -> None:
        """Stop every driver and write the state file one last time."""
        tasks = [*self._drivers.values(), *([self._saver] if self._saver else [])]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._drivers.clear()
        if self.config.state_file is not None:
            await asyncio.to_thread(self._write_state, self.config.state_file, self._snapshot())

    # -- persistence -----------------------------------------------------------------------------
    def _snapshot(self) -> dict[str, Any]:
        return {
            "version": STATE_FILE_VERSION,
            "seq": self._seq,
            "operations": self._operations,
            "jobs": [job.to_record() for job in self.jobs.values()],
        }

    @staticmethod
    def _write_state(path: Path, snapshot: dict[str, Any]) -> None:
        temporary = path.with_name(path.name + ".tmp")
        temporary.write_text(json.dumps(snapshot))
        os.replace(temporary, path)

    def _load(self, path: Path) -> None:
        if not path.exists():
            return
        snapshot = json.loads(path.read_text())
        if snapshot.get("version") != STATE_FILE_VERSION:
            raise ValueError(f"{path}: unsupported state file version {snapshot.get('version')!r}")
        self._seq = int(snapshot["seq"])
        self._operations = int(snapshot.get("operations", 0))
        for record in snapshot["jobs"]:
            job = Job.from_record(record)
            self.jobs[job.job_id] = job
            self._behaviours[job.job_id] = self._behaviour(job.labels)
        LOG.info("loaded %d jobs from %s", len(self.jobs), path)

    async def _save_loop(self, path: Path) -> None:
        while True:
            await self._dirty.wait()
            self._dirty.clear()
            await asyncio.to_thread(self._write_state, path, self._snapshot())
            await asyncio.sleep(self.config.tick_seconds)

    def _changed(self, job: Job, state: str | None = None) -> None:
        """Record a change of ``job`` (and its new state): bumps ``updateTime``, marks the state dirty."""
        if state is not None and state != job.state:
            job.state = state
            if state == lifecycle.RUNNING and job.start_time is None:
                job.start_time = time.time()
            if state in lifecycle.TERMINAL_STATES:
                job.end_time = time.time()
        job.update_time = time.time()
        self._dirty.set()

    # -- lookups -------------------------------------------------------------------------------------
    def _behaviour(self, labels: dict[str, str]) -> Behaviour:
        try:
            return behaviour_for(self.config.defaults, labels)
        except FaultSpecError as err:
            raise invalid_argument(f"Invalid emulator label: {err}") from err

    def behaviour(self, job: Job) -> Behaviour:
        """How ``job`` behaves (defaults plus its labels)."""
        return self._behaviours[job.job_id]

    def find(self, project: str, location: str, job_id: str) -> Job:
        """The job named by a request path, or 404 NOT_FOUND (400 for an id that is not a number)."""
        if not job_id.isdigit():
            raise invalid_argument(f"Invalid BatchPredictionJob id {job_id!r}: it must be a number.")
        job = self.jobs.get(job_id)
        if job is None or job.location != location or job.project_number != project_number(project):
            name = f"projects/{project}/locations/{location}/batchPredictionJobs/{job_id}"
            raise not_found(f'The BatchPredictionJob "{name}" does not exist.')
        return job

    # -- fault injection -------------------------------------------------------------------------
    def api_fault(self, method: str, job: Job | None = None, body: Any = None) -> int | None:
        """Count the call and decide whether to fail it with an injected HTTP error code."""
        if method != CREATE_LOST:  # the create it follows was counted already
            self.calls[method] += 1
        spec = self.config.defaults.api_faults.get(method)
        scope = method
        if job is not None:
            spec = self.behaviour(job).api_faults.get(method)
            scope = f"{method}:{job.job_id}"
        elif method in ("create", CREATE_LOST) and isinstance(body, dict) and isinstance(body.get("labels"), dict):
            with contextlib.suppress(ApiError, TypeError, AttributeError):
                spec = self._behaviour(body["labels"]).api_faults.get(method)
                scope = f"{method}:{body.get('displayName')}"
        if spec is None:
            return None
        attempt = self._attempts[scope]
        self._attempts[scope] += 1
        code = spec.decide(self.config.seed, scope, attempt)
        if code is not None:
            self.faults[method] += 1
        return code

    # -- API methods -------------------------------------------------------------------------------
    def create(self, project: str, location: str, body: Any) -> Job:
        """``batchPredictionJobs.create``."""
        spec = parse_create_body(body, self.config.known_models, project, location)
        behaviour = self._behaviour(spec.labels)
        now = max(time.time(), self._last_create + 1e-6)  # distinct output directories
        self._last_create = now
        job_id = str(self._ids.randrange(10**18, 10**19))
        while job_id in self.jobs:
            job_id = str(self._ids.randrange(10**18, 10**19))
        self._seq += 1
        job = Job(
            job_id=job_id,
            seq=self._seq,
            project_number=project_number(project),
            location=location,
            display_name=spec.display_name,
            model=spec.model,
            input_config=spec.input_config,
            output_config=spec.output_config,
            labels=spec.labels,
            seed=self.config.seed,
            create_time=now,
            extra=spec.extra,
            update_time=now,
            output_info=self._output_info(spec.output_config, now),
        )
        self.jobs[job_id] = job
        self._behaviours[job_id] = behaviour
        self._dirty.set()
        self._start_driver(job)
        return job

    @staticmethod
    def _output_info(output_config: dict[str, Any], created: float) -> dict[str, str]:
        if "gcsDestination" in output_config:
            prefix = output_config["gcsDestination"]["outputUriPrefix"]
            return {"gcsOutputDirectory": lifecycle.output_directory(prefix, created)}
        uri = output_config["bigqueryDestination"]["outputUri"]
        project, _, rest = uri[len("bq://"):].partition(".")
        dataset, _, table = rest.partition(".")
        stamp = directory_timestamp(created).replace("-", "_").replace(":", "_").replace(".", "_")
        dataset = dataset or f"prediction_model_{stamp}"
        return {
            "bigqueryOutputDataset": f"bq://{project}.{dataset}",
            "bigqueryOutputTable": table or f"predictions_{stamp}",
        }

    def list_jobs(
        self, project: str, location: str, filter_text: str, page_size: str | None, page_token: str | None
    ) -> tuple[list[Job], str | None]:
        """``batchPredictionJobs.list``: newest first; the page token is the last ``seq`` seen."""
        try:
            expr = parse_filter(filter_text)
        except FilterError as err:
            raise invalid_argument(f"Invalid filter: {err}") from err
        size = DEFAULT_PAGE_SIZE
        if page_size:
            if not page_size.isdigit():
                raise invalid_argument(f"Invalid page_size {page_size!r}.")
            size = min(int(page_size), MAX_PAGE_SIZE) or DEFAULT_PAGE_SIZE
        before = self._decode_token(page_token) if page_token else None
        number = project_number(project)
        matching = [
            job
            for job in sorted(self.jobs.values(), key=lambda job: job.seq, reverse=True)
            if job.project_number == number
            and job.location == location
            and (before is None or job.seq < before)
            and evaluate(expr, lifecycle.filter_view(job))
        ]
        page = matching[:size]
        token = self._encode_token(page[-1].seq) if len(matching) > size else None
        return page, token

    @staticmethod
    def _encode_token(seq: int) -> str:
        return base64.urlsafe_b64encode(f"seq:{seq}".encode()).decode()

    @staticmethod
    def _decode_token(token: str) -> int:
        try:
            kind, _, value = base64.urlsafe_b64decode(token.encode()).decode().partition(":")
            if kind != "seq" or not value.isdigit():
                raise ValueError(token)
            return int(value)
        except (ValueError, binascii.Error, UnicodeError) as err:
            raise invalid_argument(f"Invalid page_token {token!r}.") from err

    def cancel(self, job: Job) -> None:
        """``batchPredictionJobs.cancel``: asynchronous; the driver exports the rows finished so far."""
        if job.terminal:
            raise failed_precondition(
                f"The BatchPredictionJob {job.name} is in state {job.state} and cannot be cancelled."
            )
        job.cancel_requested = True
        self._changed(job, lifecycle.CANCELLING)
        if job.job_id not in self._drivers:
            self._start_driver(job)

    def delete(self, job: Job, api_version: str) -> dict[str, Any]:
        """``batchPredictionJobs.delete``: only finished jobs; returns a done Operation."""
        if not job.terminal:
            raise failed_precondition(
                f"The BatchPredictionJob {job.name} is in state {job.state}; "
                "only a finished job can be deleted. Cancel it first."
            )
        del self.jobs[job.job_id]
        self._behaviours.pop(job.job_id, None)
        self._operations += 1
        self._dirty.set()
        operation_id = str(random.Random(f"{self.config.seed}:op:{self._operations}").randrange(10**18, 10**19))
        return lifecycle.delete_operation(job, operation_id, api_version, time.time())

    # -- administration --------------------------------------------------------------------------
    def resume(self, job_id: str) -> Job:
        """PAUSED -> RUNNING."""
        job = self._admin_job(job_id)
        if job.state != lifecycle.PAUSED:
            raise failed_precondition(f"job {job_id} is {job.state}, not JOB_STATE_PAUSED")
        self._changed(job, lifecycle.RUNNING)
        return job

    def set_state(self, job_id: str, state: str, error: dict[str, Any] | None) -> Job:
        """Force a state (and ``error``); a forced end state stops the job without exporting anything."""
        job = self._admin_job(job_id)
        if state not in lifecycle.SETTABLE_STATES:
            raise invalid_argument(f"cannot set state {state!r}; one of {sorted(lifecycle.SETTABLE_STATES)}")
        if state in lifecycle.TERMINAL_STATES:
            driver = self._drivers.pop(job_id, None)
            if driver is not None:
                driver.cancel()
        default_error = {lifecycle.CANCELLED: lifecycle.CANCELLED_ERROR,
                         lifecycle.FAILED: lifecycle.injected_error("failed")}.get(state)
        job.error = error if error is not None else default_error
        self._changed(job, state)
        if not job.terminal:
            job.end_time = None
            if job_id not in self._drivers:
                self._start_driver(job)
        return job

    def _admin_job(self, job_id: str) -> Job:
        job = self.jobs.get(job_id)
        if job is None:
            raise not_found(f"no job {job_id}")
        return job

    def reset(self) -> None:
        """Forget every job and counter."""
        for task in self._drivers.values():
            task.cancel()
        self._drivers.clear()
        self.jobs.clear()
        self._behaviours.clear()
        self.calls.clear()
        self.faults.clear()
        self._attempts.clear()
        self._dirty.set()

    def stats(self) -> dict[str, Any]:
        """Call counts per method, injected faults per method, jobs per state."""
        return {
            "calls": dict(self.calls),
            "faults": dict(self.faults),
            "jobs": len(self.jobs),
            "jobsByState": dict(Counter(job.state for job in self.jobs.values())),
        }

    # -- the driver ----------------------------------------------------------------------------------
    def _start_driver(self, job: Job) -> None:
        task = asyncio.create_task(self._driver.drive(job, self.behaviour(job)), name=f"job-{job.job_id}")
        self._drivers[job.job_id] = task
        job_id = job.job_id

        def forget(done: asyncio.Task[None]) -> None:
            if self._drivers.get(job_id) is done:
                del self._drivers[job_id]

        task.add_done_callback(forget)
