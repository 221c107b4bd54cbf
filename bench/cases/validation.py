"""Validation against a plain orjson parse of the same lines, and how its cost grows."""

from __future__ import annotations

import orjson

from airflow_batch_gemini.validation import default_validator, scan_lines
from bench import data
from bench.cases.common import growth_rows, paired_times, rows_text, seconds_row
from bench.registry import BenchContext, Row, bench_case


def _lines(ctx: BenchContext, count: int) -> list[bytes]:
    return list(ctx.memo(f"input-lines:{count}", lambda: data.lines(data.input_line, count)))


def _times(ctx: BenchContext, count: int) -> tuple[float, float]:
    """Seconds to validate ``count`` lines (``validation.scan_lines``) and to parse them with orjson."""
    lines = _lines(ctx, count)
    default_validator()  # built once per process, as in a worker
    return paired_times(ctx, "validate", count, lambda _: scan_lines(lines),
                        lambda _: [orjson.loads(line) for line in lines])


@bench_case("validation", order=10)
def validation_vs_parse(ctx: BenchContext) -> list[Row]:
    """Validating every line against the request schema, against only parsing it."""
    count = ctx.sizes.validation_rows
    return [
        seconds_row("validation vs orjson parse-only", rows_text(count), _times(ctx, count),
                    "orjson.loads of every line", 1.5,
                    "validation.scan_lines (jsonschema, packaged schema) in memory; issue 4 owns the speed")
    ]


@bench_case("growth: validation", order=60)
def validation_growth(ctx: BenchContext) -> list[Row]:
    """Validation's per-row cost at each size of ``growth_rows``."""
    return growth_rows("validation", ctx.sizes.growth_rows, lambda count: _times(ctx, count)[0])
