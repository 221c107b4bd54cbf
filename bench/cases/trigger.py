"""The trigger: CPU per poll against a bare aiohttp GET, and a triggerer holding many triggers."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from bench.measure import run_children
from bench.pollers import PollStats, create_waiting_jobs, measure_pollers
from bench.registry import BenchContext, Figure, Row, Target, bench_case

#: The production poll interval the share of CPU is extrapolated to.
PRODUCTION_INTERVAL = 30.0
#: What one deferred task may cost the triggerer.
MEMORY_PER_TRIGGER_KB = 100.0


def _jobs(ctx: BenchContext, count: int) -> list[str]:
    def make() -> list[str]:
        return create_waiting_jobs(count, f"gs://{ctx.bucket}/bench/never-read.jsonl", f"gs://{ctx.bucket}/bench/out")

    names: list[str] = ctx.memo(f"waiting-jobs:{count}", make)
    return names


def _poll(mode: str, job_names: Sequence[str], ctx: BenchContext) -> PollStats:
    return asyncio.run(
        measure_pollers(mode, job_names, ctx.stack.vertex_url, 0.0, warmup=0.5, window=ctx.sizes.poll_seconds)
    )


@bench_case("trigger CPU per poll", order=50)
def cpu_per_poll(ctx: BenchContext) -> list[Row]:
    """One trigger polling as fast as it can, against a bare aiohttp GET loop on the same URL."""
    job = _jobs(ctx, 1)
    trigger, bare = _poll("trigger", job, ctx), _poll("bare", job, ctx)
    return [
        Row(
            name="trigger CPU per poll vs bare aiohttp GET",
            size=f"{trigger.polls:,} vs {bare.polls:,} polls",
            subject=Figure(trigger.cpu_per_poll * 1e6, "µs"),
            baseline=Figure(bare.cpu_per_poll * 1e6, "µs"),
            baseline_name="aiohttp GET + JSON decode, shared session",
            target=Target(2.0),
            note=f"GeminiBatchJobTrigger.run() with poll_interval=0 for {ctx.sizes.poll_seconds:g} s; "
            "client-side process CPU only (the emulator is another process)",
        )
    ]


@bench_case("triggerer load", order=55)
def triggerer_load(ctx: BenchContext) -> list[Row]:
    """A fresh triggerer-like process with many triggers, against one with as many bare pollers."""
    count, interval, window = ctx.sizes.triggers, ctx.sizes.trigger_interval, ctx.sizes.trigger_window
    names_file = ctx.workdir / f"jobs-{count}.txt"
    names_file.write_text("\n".join(_jobs(ctx, count)))
    args = ["--jobs", str(names_file), "--vertex-url", ctx.stack.vertex_url,
            "--interval", str(interval), "--window", str(window)]
    # one after the other: CPU is measured
    [trigger] = run_children("bench.trigger_load", [["--mode", "trigger", *args]])
    [bare] = run_children("bench.trigger_load", [["--mode", "bare", *args]])

    def per_task_kb(report: dict[str, float]) -> float:
        return (report["loaded_rss_mb"] - report["idle_rss_mb"]) * 1024 / count

    def share_at_production(report: dict[str, float]) -> float:
        per_poll = report["cpu_seconds"] / max(1.0, report["polls"])
        return per_poll * count / PRODUCTION_INTERVAL * 100

    size = f"{count:,} triggers"
    return [
        Row(
            name="triggerer: memory per trigger",
            size=size,
            subject=Figure(per_task_kb(trigger), "KB"),
            baseline=Figure(per_task_kb(bare), "KB"),
            baseline_name="bare aiohttp poller task",
            target=Target(MEMORY_PER_TRIGGER_KB, on="value", strict=True),
            note=f"RSS with all running minus RSS before, / {count:,}; "
            f"{trigger['idle_rss_mb']:.0f} -> {trigger['loaded_rss_mb']:.0f} MB",
        ),
        Row(
            name="triggerer: CPU share at a 30 s poll",
            size=size,
            subject=Figure(share_at_production(trigger), "% of a core"),
            baseline=Figure(share_at_production(bare), "% of a core"),
            baseline_name="bare aiohttp pollers",
            target=Target(2.0),
            note=f"extrapolated: measured {trigger['polls']:,.0f} polls in {trigger['seconds']:.0f} s at a "
            f"{interval:g} s interval ({trigger['cpu_seconds'] / trigger['seconds'] * 100:.0f} % of a core), "
            f"CPU per poll x {count:,} / {PRODUCTION_INTERVAL:g} s",
        ),
    ]
