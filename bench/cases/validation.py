"""Validation against a plain orjson parse of the same lines, and how its cost grows."""

from __future__ import annotations

import orjson

from airflow_batch_gemini.validation import default_validator, scan_lines
from bench import data
from bench.cases.common import growth_rows, rows_text
from bench.measure import best_time
from bench.registry import BenchContext, Figure, Row, Target, bench_case


def _lines(ctx: BenchContext, count: int) -> list[bytes]:
    return list(ctx.memo(f"input-lines:{count}", lambda: data.lines(data.input_line, count)))


def _times(ctx: BenchContext, count: int) -> tuple[float, float]:
    """Seconds to validate ``count`` lines (``validation.scan_lines``) and to parse them with orjson."""

    def measure() -> tuple[float, float]:
        lines = _lines(ctx, count)
        default_validator()  # built once per process, as in a worker
        repeat = ctx.sizes.repeat if count <= 20_000 else 1
        validate = best_time(lambda _: scan_lines(lines), repeat)
        parse = best_time(lambda _: [orjson.loads(line) for line in lines], max(3, repeat))
        return validate, parse

    result: tuple[float, float] = ctx.memo(f"validate-times:{count}", measure)
    return result


@bench_case("validation", order=10)
def validation_vs_parse(ctx: BenchContext) -> list[Row]:
    """Validating every line against the request schema, against only parsing it."""
    count = ctx.sizes.validation_rows
    validate, parse = _times(ctx, count)
    return [
        Row(
            name="validation vs orjson parse-only",
            size=rows_text(count),
            subject=Figure(validate, "s"),
            baseline=Figure(parse, "s"),
            baseline_name="orjson.loads of every line",
            target=Target(1.5),
            note="validation.scan_lines (jsonschema, packaged schema) in memory; issue 4 owns the speed",
        )
    ]


@bench_case("growth: validation", order=60)
def validation_growth(ctx: BenchContext) -> list[Row]:
    """Validation's per-row cost at each size of ``growth_rows``."""
    return growth_rows("validation", ctx.sizes.growth_rows, lambda count: _times(ctx, count)[0])
