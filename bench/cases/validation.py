"""Validation against a plain orjson parse of the same lines, and how its cost grows."""

from __future__ import annotations

import orjson

from airflow_batch_gemini.input.scanner import scan_lines
from airflow_batch_gemini.input.schema import default_validator
from bench import data
from bench.cases.common import growth_rows, paired_times, rows_text, seconds_row
from bench.measure import best_time
from bench.registry import BenchContext, Row, bench_case

_OURS = ("scanner.scan_lines in memory, as the CLI validates: the first tier (msgspec Structs, groups of 256 "
         "lines), the cross-line type check and the file plan (sizes; no digests, which only an upload needs)")


def _lines(ctx: BenchContext, count: int, make: data.LineMaker = data.input_line) -> list[bytes]:
    return list(ctx.memo(f"input-lines:{make.__name__}:{count}", lambda: data.lines(make, count)))


def _parse_all(lines: list[bytes]) -> None:
    """Parse every line with orjson and keep nothing."""
    loads = orjson.loads
    for line in lines:
        loads(line)


def _times(ctx: BenchContext, count: int) -> tuple[float, float]:
    """Seconds to validate ``count`` lines (``scanner.scan_lines``) and to parse them into a list with orjson."""
    lines = _lines(ctx, count)
    default_validator()  # built once per process, as in a worker
    return paired_times(ctx, "validate", count, lambda _: scan_lines(lines),
                        lambda _: [orjson.loads(line) for line in lines])


@bench_case("validation", order=10)
def validation_vs_parse(ctx: BenchContext) -> list[Row]:
    """Validating every line against the request schema, against only parsing it (kept in a list, or not kept)."""
    count = ctx.sizes.validation_rows
    ours, kept = _times(ctx, count)
    lines = _lines(ctx, count)
    discarded = best_time(lambda _: _parse_all(lines), ctx.sizes.repeat)
    mix = _lines(ctx, count, data.mix_line)
    mixed = best_time(lambda _: scan_lines(mix), ctx.sizes.repeat)
    mix_parse = best_time(lambda _: _parse_all(mix), ctx.sizes.repeat)
    return [
        seconds_row("validation of a realistic mix vs orjson parse, nothing kept", rows_text(count),
                    (mixed, mix_parse), "orjson.loads of every line, result dropped", 1.5,
                    f"{_OURS}; the lines are bench.data.mix_line: 7 in 20 with tools (function declarations), "
                    "4 in 20 with a response schema, 4 in 20 multimodal, one in 3 thinking, one in 10 snake_case"),
        seconds_row("validation vs orjson parse-only", rows_text(count), (ours, kept),
                    "[orjson.loads(line) for line in lines]", 1.5,
                    f"{_OURS}; the baseline keeps every parsed line, and the garbage collector's passes over "
                    "them are most of its time"),
        seconds_row("validation vs orjson parse, nothing kept", rows_text(count), (ours, discarded),
                    "orjson.loads of every line, result dropped", 1.5,
                    f"{_OURS}; the lines are of the common shape (text prompt, generation config, string key): "
                    "tools, response schemas and multimodal parts take the first tier too (the mix row)"),
    ]


@bench_case("growth: validation", order=60)
def validation_growth(ctx: BenchContext) -> list[Row]:
    """Validation's per-row cost at each size of ``growth_rows``."""
    return growth_rows("validation", ctx.sizes.growth_rows, lambda count: _times(ctx, count)[0])
