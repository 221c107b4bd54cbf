"""Timing and memory measurement helpers."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def timed(run: Callable[[int], object], attempt: int) -> float:
    """The wall-clock seconds of one call ``run(attempt)``."""
    started = time.perf_counter()
    run(attempt)
    return time.perf_counter() - started


def best_time(run: Callable[[int], object], repeat: int) -> float:
    """The shortest wall-clock seconds of ``repeat`` calls of ``run(attempt)`` (less noise than a mean)."""
    return min(timed(run, attempt) for attempt in range(max(1, repeat)))


def peak_rss_mb() -> float:
    """This process's peak resident set size so far, in MB.

    Read from ``VmHWM`` in ``/proc/self/status``: on Linux ``getrusage``'s ``ru_maxrss`` survives
    ``exec``, so a child forked from a big parent would report the parent's size. Elsewhere
    ``ru_maxrss`` (KB on Linux, bytes on macOS) is the fallback.
    """
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return maxrss / 2**20 if sys.platform == "darwin" else maxrss / 1024


def raise_open_files_limit() -> None:
    """Lift the soft limit on open files to the hard one (a thousand pollers hold a thousand sockets)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def run_children(module: str, arg_lists: Sequence[Sequence[str]], timeout: float = 3600) -> list[dict[str, float]]:
    """Run ``python -m MODULE ARGS`` once per argument list, all at the same time, from the repository root.

    Returns the JSON object each printed last on stdout, in order. Run together, they share the CPU:
    use this for what concurrency does not change (peak memory), or with a single argument list.
    """
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", module, *args],
            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ.copy(),
        )
        for args in arg_lists
    ]
    reports = []
    try:
        for process, args in zip(processes, arg_lists, strict=True):
            stdout, stderr = process.communicate(timeout=timeout)
            if process.returncode != 0:
                raise RuntimeError(f"{module} {' '.join(args)} failed ({process.returncode}):\n{stderr[-4000:]}")
            reports.append(json.loads(stdout.strip().splitlines()[-1]))
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
    return reports
