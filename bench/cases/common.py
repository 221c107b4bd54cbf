"""Helpers shared by the cases: sizes as text, unique object names, per-row growth rows."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence

from bench.measure import timed
from bench.registry import BenchContext, Figure, Row, Target

#: A pair of measurements whose first calls both take less than this many seconds is repeated (best of
#: ``Sizes.repeat``, ours and the baseline taking turns); longer ones run once.
REPEAT_UNDER_SECONDS = 3.0
#: Growth rows: per-row cost at a size within this factor of the smallest size's counts as linear.
LINEAR_TOLERANCE = 1.25
_serial = itertools.count()


def rows_text(count: int) -> str:
    """``200,000 rows``."""
    return f"{count:,} rows"


def unique_uri(ctx: BenchContext, prefix: str, name: str = "") -> str:
    """A ``gs://`` URI no earlier measurement used (uploads must never find their object there)."""
    return f"gs://{ctx.bucket}/bench/{prefix}/{next(_serial)}{name}"


def growth_rows(label: str, sizes: Sequence[int], seconds_at: Callable[[int], float],
                plain: tuple[str, Callable[[int], float]] | None = None) -> list[Row]:
    """One row per size: the per-row cost there against the per-row cost at the smallest size.

    Linear cost keeps the ratio near 1; the note of the last row gives the least-squares slope.
    ``plain`` names a baseline and its seconds at a size, shown per row in the notes so that growth
    of the surroundings (e.g. the storage emulator) can be told from growth of the package's code.
    """
    points = [(size, seconds_at(size)) for size in sizes]
    reference = points[0][1] / points[0][0] * 1e6
    mean_n = sum(n for n, _ in points) / len(points)
    mean_t = sum(t for _, t in points) / len(points)
    spread = sum((n - mean_n) ** 2 for n, _ in points)
    slope = sum((n - mean_n) * (t - mean_t) for n, t in points) / spread * 1e6 if spread else reference
    rows = []
    for index, (size, seconds) in enumerate(points):
        note = f"total {seconds:.3g} s"
        if plain is not None:
            plain_per_row = plain[1](size) / size * 1e6
            own = seconds / size * 1e6 - plain_per_row
            note += f"; {plain[0]} {plain_per_row:.3g} µs/row at this size, ours beyond it {own:.3g} µs/row"
        if index == 0:
            note += "; the reference size"
        if index == len(points) - 1:
            note += f"; least-squares slope {slope:.3g} µs/row over all sizes"
        rows.append(
            Row(
                name=f"growth: {label} per-row cost",
                size=rows_text(size),
                subject=Figure(seconds / size * 1e6, "µs/row"),
                baseline=Figure(reference, "µs/row"),
                baseline_name=f"per-row cost at {rows_text(sizes[0])}",
                target=Target(LINEAR_TOLERANCE),
                note=note,
            )
        )
    return rows


def paired_times(ctx: BenchContext, key: str, rows: int, ours: Callable[[int], object],
                 plain: Callable[[int], object]) -> tuple[float, float]:
    """Best seconds of ``ours`` and of its baseline ``plain`` on ``rows`` rows, measured once per run and ``key``.

    Both are called with the attempt number; each call must do the whole work again (e.g. write a new object).
    Short pairs (under :data:`REPEAT_UNDER_SECONDS` each) are called ``ctx.sizes.repeat`` times in turns, so
    that neither side alone pays the process's first use of a library or connection, nor a burst of load.
    """

    def measure() -> tuple[float, float]:
        best = [timed(ours, 0), timed(plain, 0)]
        if max(best) < REPEAT_UNDER_SECONDS:
            for attempt in range(1, ctx.sizes.repeat):
                best = [min(best[0], timed(ours, attempt)), min(best[1], timed(plain, attempt))]
        return best[0], best[1]

    result: tuple[float, float] = ctx.memo(f"{key}:{rows}", measure)
    return result


def seconds_row(name: str, size: str, times: tuple[float, float], baseline_name: str, limit: float,
                note: str) -> Row:
    """A row comparing two wall-clock times (ours, the baseline's) against a ratio target."""
    return Row(
        name=name, size=size, subject=Figure(times[0], "s"), baseline=Figure(times[1], "s"),
        baseline_name=baseline_name, target=Target(limit), note=note,
    )
