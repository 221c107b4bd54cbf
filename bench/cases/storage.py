"""Cloud Storage rows (through fake-gcs-server): validate-and-upload, split, their memory, split growth."""

from __future__ import annotations

from pathlib import Path

from airflow_batch_gemini.hooks.storage import GeminiBatchStorageHook
from airflow_batch_gemini.input.sharding import MAX_REQUESTS_PER_JOB
from bench import data, workloads
from bench.cases.common import growth_rows, paired_times, rows_text, seconds_row, unique_uri
from bench.measure import run_children
from bench.registry import BenchContext, Figure, Row, Target, bench_case

#: The memory rows' target: peak RSS of the whole worker process.
RSS_LIMIT_MB = 200.0


def _input_file(ctx: BenchContext, count: int) -> Path:
    def make() -> Path:
        path = ctx.workdir / f"input-{count}.jsonl"
        data.write_file(path, data.lines(data.input_line, count))
        return path

    path: Path = ctx.memo(f"input-file:{count}", make)
    return path


def _output_directory(ctx: BenchContext, key: str, make_lines: data.Lines) -> str:
    """A job output directory in Cloud Storage holding one ``predictions.jsonl`` of these lines (once per key)."""

    def make() -> str:
        directory = unique_uri(ctx, "output", "/prediction-model-2026-01-01T00:00:00.000000Z")
        with GeminiBatchStorageHook().open_writer(f"{directory}/predictions.jsonl") as writer:
            for line in make_lines:
                writer.write(line)
        return directory

    directory: str = ctx.memo(f"output-dir:{key}", make)
    return directory


@bench_case("validate-and-upload", order=20)
def validate_and_upload(ctx: BenchContext) -> list[Row]:
    """The prepare operator on a local file, against streaming the same file to Cloud Storage."""
    count = ctx.sizes.upload_rows
    source = _input_file(ctx, count)
    times = paired_times(
        ctx, "prepare", count,
        lambda _: workloads.validate_and_upload(source, unique_uri(ctx, "prepare", ".jsonl")),
        lambda _: workloads.plain_upload(source, unique_uri(ctx, "upload", ".jsonl")),
    )
    size = f"{rows_text(count)}, {source.stat().st_size / 1e6:,.1f} MB"
    return [
        seconds_row("validate-and-upload vs plain upload", size, times, "hook.open_writer stream of the file", 1.3,
                    "GeminiBatchPrepareInputOperator.execute, one pass: the task's thread reads 1 MiB blocks and "
                    "validates and digests them while a background thread streams the valid lines "
                    "to the absent destination (4 MiB queue, 2 MiB chunks, destination looked at before "
                    "finalizing)")
    ]


def _split_times(ctx: BenchContext, count: int) -> tuple[float, float]:
    """Seconds to split an output directory of ``count`` rows, and to stream-copy its file."""
    directory = _output_directory(ctx, f"rows-{count}", iter(data.lines(data.output_row, count)))
    return paired_times(
        ctx, "split", count,
        lambda _: workloads.split(directory, unique_uri(ctx, "split")),
        lambda _: workloads.plain_copy(f"{directory}/predictions.jsonl", unique_uri(ctx, "copy", ".jsonl")),
    )


@bench_case("split", order=30)
def split_vs_copy(ctx: BenchContext) -> list[Row]:
    """The split operator against a plain streamed copy of the same output file."""
    count = ctx.sizes.split_rows
    return [
        seconds_row("split vs plain streamed copy", rows_text(count), _split_times(ctx, count),
                    "read_lines -> open_writer copy", 1.3,
                    "GeminiBatchSplitOutputOperator.split (classify, two files, counts), 1 row in 10 failed")
    ]


@bench_case("growth: split", order=70)
def split_growth(ctx: BenchContext) -> list[Row]:
    """The split's per-row cost at each size of ``growth_rows``."""
    return growth_rows("split", ctx.sizes.growth_rows, lambda count: _split_times(ctx, count)[0],
                       ("plain streamed copy", lambda count: _split_times(ctx, count)[1]))


def _rss_row(name: str, size: str, ours: dict[str, float], plain: dict[str, float], baseline: str) -> Row:
    return Row(
        name=name,
        size=size,
        subject=Figure(ours["peak_rss_mb"], "MB"),
        baseline=Figure(plain["peak_rss_mb"], "MB"),
        baseline_name=baseline,
        target=Target(RSS_LIMIT_MB, on="value", strict=True),
        note=(
            f"fresh process, peak RSS (VmHWM); {ours['idle_rss_mb']:.0f} MB of it is importing Airflow and the "
            "package before any byte is read (the four memory processes run side by side)"
        ),
    )


@bench_case("peak RSS", order=40)
def peak_rss(ctx: BenchContext) -> list[Row]:
    """Peak memory of validate-and-upload and of split on a large file, each in a fresh process."""
    size = ctx.sizes.rss_bytes
    chars = ctx.sizes.rss_row_chars
    source = ctx.workdir / "rss-input.jsonl"
    rows, written = data.write_file(source, data.sized_lines(data.input_line, size, chars))
    if rows > MAX_REQUESTS_PER_JOB:
        raise ValueError(f"{rows:,} rows exceed the service's limit; raise rss_row_chars")
    label = f"{written / 1e6:,.0f} MB, {rows_text(rows)}"
    directory = _output_directory(ctx, f"bytes-{size}", data.sized_lines(data.output_row, size, chars))
    prepare, upload, split, copy = run_children("bench.rss_child", [
        ["prepare", str(source), unique_uri(ctx, "rss-prepare", ".jsonl")],
        ["upload", str(source), unique_uri(ctx, "rss-upload", ".jsonl")],
        ["split", directory, unique_uri(ctx, "rss-split")],
        ["copy", f"{directory}/predictions.jsonl", unique_uri(ctx, "rss-copy")],
    ])
    source.unlink()
    return [
        _rss_row("peak RSS: validate-and-upload", label, prepare, upload, "plain upload process"),
        _rss_row("peak RSS: split", f"{size / 1e6:,.0f} MB of output", split, copy, "plain copy process"),
    ]
