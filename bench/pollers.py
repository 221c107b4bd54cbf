"""Pollers measured by the trigger rows: the real trigger, and the bare aiohttp loop it is compared with."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass

import aiohttp
import psutil

from airflow_batch_gemini.hooks.batch_prediction import GeminiBatchHook
from airflow_batch_gemini.job.wait_settings import MIN_POLL_INTERVAL
from airflow_batch_gemini.triggers.batch_job import GeminiBatchJobTrigger

#: Labels that keep an emulator job waiting in the queue for a day: it never ends during a measurement.
WAITING_LABELS = {"emulator-queue-seconds": "86400"}


def create_waiting_jobs(count: int, input_uri: str, output_prefix: str) -> list[str]:
    """Create ``count`` jobs that stay QUEUED; return their names."""
    hook = GeminiBatchHook()
    body = {
        "model": "publishers/google/models/gemini-2.5-flash",
        "inputConfig": {"instancesFormat": "jsonl", "gcsSource": {"uris": [input_uri]}},
        "outputConfig": {"predictionsFormat": "jsonl", "gcsDestination": {"outputUriPrefix": output_prefix}},
        "labels": WAITING_LABELS,
    }
    return [str(hook.create_job({**body, "displayName": f"bench-{index}"})["name"]) for index in range(count)]


def get_calls(vertex_url: str) -> int:
    """How many ``get`` calls the emulator has answered (its ``/emulator/stats``)."""
    with urllib.request.urlopen(f"{vertex_url}/emulator/stats", timeout=10) as response:
        return int(json.loads(response.read())["calls"].get("get", 0))


def job_url(vertex_url: str, job_name: str) -> str:
    """The REST URL the trigger polls for ``job_name``."""
    return f"{vertex_url}/v1/{job_name}"


async def run_trigger(job_name: str, interval: float) -> None:
    """The real ``GeminiBatchJobTrigger.run()`` coroutine on a job; returns if the job ends.

    The bench polls faster than a DAG may (``interval`` 0 measures the poll itself): the trigger is built
    with the smallest interval its constructor accepts, then given the bench's.
    """
    trigger = GeminiBatchJobTrigger(job_name=job_name, poll_interval=MIN_POLL_INTERVAL)
    trigger.poll_interval = interval
    async for _event in trigger.run():
        return


async def run_bare(session: aiohttp.ClientSession, url: str, interval: float) -> None:
    """The baseline: GET the job and decode its JSON, forever."""
    while True:
        async with session.get(url) as response:
            await response.json()
        await asyncio.sleep(interval)


@dataclass(frozen=True)
class PollStats:
    """CPU seconds this process spent and polls the emulator answered over ``seconds`` of wall time,
    and the process's resident memory at the end, with every poller still alive."""

    cpu: float
    polls: int
    seconds: float
    rss_bytes: int

    @property
    def cpu_per_poll(self) -> float:
        """CPU seconds per poll."""
        return self.cpu / max(1, self.polls)


async def measure_pollers(
    mode: str, job_names: Sequence[str], vertex_url: str, interval: float, warmup: float, window: float
) -> PollStats:
    """Run one poller per job (``trigger`` or ``bare``), let them settle, then measure CPU and polls.

    Pollers start spread over one interval, as a triggerer picks up triggers over time.
    """
    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
    tasks: list[asyncio.Task[None]] = []
    try:
        for name in job_names:
            if mode == "trigger":
                tasks.append(asyncio.create_task(run_trigger(name, interval)))
            else:
                tasks.append(asyncio.create_task(run_bare(session, job_url(vertex_url, name), interval)))
            await asyncio.sleep(interval / len(job_names))
        await asyncio.sleep(warmup)
        polls_before = await asyncio.to_thread(get_calls, vertex_url)
        cpu_before, started = time.process_time(), time.monotonic()
        await asyncio.sleep(window)
        cpu, seconds = time.process_time() - cpu_before, time.monotonic() - started
        polls = await asyncio.to_thread(get_calls, vertex_url) - polls_before
        rss = psutil.Process().memory_info().rss
        failed = [task for task in tasks if task.done()]
        if failed:
            raise RuntimeError(f"{len(failed)} poller(s) stopped during the measurement: {failed[0]!r}")
        return PollStats(cpu, polls, seconds, rss)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await session.close()
