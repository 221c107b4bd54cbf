"""The split reconciled with its input (issue 5): time against a plain streamed copy, and peak memory."""

from __future__ import annotations

from airflow_batch_gemini.hooks.storage import GeminiBatchStorageHook
from bench import data, workloads
from bench.cases.common import rows_text, seconds_row, unique_uri
from bench.cases.storage import RSS_LIMIT_MB
from bench.measure import best_time, run_children
from bench.registry import BenchContext, Figure, Row, Target, bench_case


def _job_files(ctx: BenchContext) -> tuple[str, str, int]:
    """A job's output directory of ``rss_bytes`` of output rows, and its input file (same keys); once per run."""

    def make() -> tuple[str, str, int]:
        hook = GeminiBatchStorageHook()
        directory = unique_uri(ctx, "reconcile-output", "/prediction-model-2026-01-01T00:00:00.000000Z")
        rows = 0
        with hook.open_writer(f"{directory}/predictions.jsonl") as writer:
            for line in data.sized_lines(data.output_row, ctx.sizes.rss_bytes, ctx.sizes.rss_row_chars):
                writer.write(line)
                rows += 1
        input_uri = unique_uri(ctx, "reconcile-input", ".jsonl")
        with hook.open_writer(input_uri) as writer:
            for index in range(rows):
                writer.write(data.input_line(index, ctx.sizes.rss_row_chars))
        return directory, input_uri, rows

    made: tuple[str, str, int] = ctx.memo("reconcile-files", make)
    return made


@bench_case("split reconciled", order=35)
def split_reconciled(ctx: BenchContext) -> list[Row]:
    """Split + reconcile a large output against streaming its bytes into one new object; peak RSS of both."""
    directory, input_uri, rows = _job_files(ctx)
    output_uri = f"{directory}/predictions.jsonl"
    size = f"{ctx.sizes.rss_bytes / 1e6:,.0f} MB of output, {rows_text(rows)}"
    ours = best_time(lambda _: workloads.split(directory, unique_uri(ctx, "reconcile-split"), input_uri), 1)
    plain = best_time(lambda _: workloads.plain_copy(output_uri, unique_uri(ctx, "reconcile-copy", ".jsonl")), 1)
    split, copy = run_children("bench.rss_child", [
        ["split", directory, unique_uri(ctx, "reconcile-rss-split"), input_uri],
        ["copy", output_uri, unique_uri(ctx, "reconcile-rss-copy")],
    ])
    return [
        seconds_row("split + reconcile vs plain streamed copy", size, (ours, plain),
                    "read_lines -> open_writer copy of the output", 1.3,
                    "GeminiBatchSplitOutputOperator.split with input_uris: reads the input once (ledger of keys), "
                    "the output once, writes three files; 1 row in 10 failed (429)"),
        Row(name="peak RSS: split + reconcile", size=size, subject=Figure(split["peak_rss_mb"], "MB"),
            baseline=Figure(copy["peak_rss_mb"], "MB"), baseline_name="plain copy process",
            target=Target(RSS_LIMIT_MB, on="value", strict=True),
            note=f"fresh process, VmHWM; {split['idle_rss_mb']:.0f} MB of it is importing Airflow and the package"),
    ]
