"""A triggerer-like process: one event loop running many pollers; prints memory and CPU as JSON.

``python -m bench.trigger_load --mode trigger|bare --jobs FILE --vertex-url URL --interval S --window S``
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
from pathlib import Path

import psutil

from airflow_batch_gemini.hooks.batch_prediction import GeminiBatchAsyncHook
from bench.measure import raise_open_files_limit
from bench.pollers import measure_pollers


async def _warm_up(job_name: str) -> None:
    """One poll through the async hook, so that lazy imports and the connection lookup are paid before."""
    hook = GeminiBatchAsyncHook()
    try:
        await hook.get_job(job_name)
    finally:
        await hook.close()


async def _load(mode: str, job_names: list[str], vertex_url: str, interval: float, window: float) -> dict[str, float]:
    await _warm_up(job_names[0])
    gc.collect()
    idle = psutil.Process().memory_info().rss
    stats = await measure_pollers(mode, job_names, vertex_url, interval, warmup=interval, window=window)
    return {
        "idle_rss_mb": idle / 2**20,
        "loaded_rss_mb": stats.rss_bytes / 2**20,
        "cpu_seconds": stats.cpu,
        "polls": stats.polls,
        "seconds": stats.seconds,
    }


def main() -> None:
    """Parse the flags, run the load, print the JSON report."""
    parser = argparse.ArgumentParser(prog="python -m bench.trigger_load")
    parser.add_argument("--mode", choices=("trigger", "bare"), required=True)
    parser.add_argument("--jobs", type=Path, required=True, help="file with one job name a line")
    parser.add_argument("--vertex-url", required=True)
    parser.add_argument("--interval", type=float, required=True)
    parser.add_argument("--window", type=float, required=True)
    args = parser.parse_args()
    raise_open_files_limit()
    job_names = args.jobs.read_text().split()
    report = asyncio.run(_load(args.mode, job_names, args.vertex_url, args.interval, args.window))
    print(json.dumps(report))


if __name__ == "__main__":
    main()
