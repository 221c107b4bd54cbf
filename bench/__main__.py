"""``python -m bench [--full | --smoke] [--out DIR] [--only NAME ...]``: run the bench, print the table,
write ``results.json`` and ``results.png`` under ``DIR`` (``bench/results`` by default)."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from bench.measure import REPO, raise_open_files_limit
from bench.registry import BenchContext, Row, Sizes, selected_cases
from bench.report import table_lines, write_chart, write_json
from gemini_batch_local.local_stack import running_stack

BUCKET = "gemini-batch-bench"
#: The emulator's jobs only need to be polled here; a slow tick keeps it from competing for the CPU.
EMULATOR_ARGS = ("--tick-seconds", "1", "--log-level", "WARNING")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--full", action="store_true", help="the memory rows on ~1 GB files (slow)")
    size.add_argument("--smoke", action="store_true", help="tiny sizes: proves the harness works, in seconds")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results", help="where results go")
    parser.add_argument("--only", action="append", help="run only cases whose name contains this (repeatable)")
    return parser.parse_args(argv)


def run(sizes: Sizes, only: list[str] | None) -> list[Row]:
    """Start the local stack, run the selected cases, return their rows."""
    import bench.cases  # noqa: F401  (registers the cases)

    cases = selected_cases(only)
    if not cases:
        raise SystemExit(f"no bench case matches {only}")
    rows: list[Row] = []
    with running_stack(emulator_args=EMULATOR_ARGS, buckets=[BUCKET]) as stack:
        os.environ["AIRFLOW_CONN_GOOGLE_CLOUD_DEFAULT"] = stack.connection_uri()
        ctx = BenchContext(sizes=sizes, stack=stack, bucket=BUCKET)
        try:
            for case in cases:
                started = time.perf_counter()
                print(f"bench: {case.name} ...", file=sys.stderr, flush=True)
                rows.extend(case.run(ctx))
                print(f"bench: {case.name} done in {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)
        finally:
            shutil.rmtree(ctx.workdir, ignore_errors=True)
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; the exit code is 0 whether or not the targets are met (the table says which)."""
    args = parse_args(argv)
    sizes = Sizes.full() if args.full else Sizes.smoke() if args.smoke else Sizes.default()
    raise_open_files_limit()
    started = time.perf_counter()
    rows = run(sizes, args.only)
    seconds = time.perf_counter() - started
    print("\n".join(table_lines(rows)))
    args.out.mkdir(parents=True, exist_ok=True)
    write_json(args.out / "results.json", rows, sizes, seconds)
    write_chart(args.out / "results.png", rows)
    print(f"Wrote {args.out / 'results.json'} and {args.out / 'results.png'} ({seconds:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
