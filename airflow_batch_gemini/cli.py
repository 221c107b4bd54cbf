"""Command line for DAG authors: ``gemini-batch validate FILE...`` (also ``python -m airflow_batch_gemini``).

It runs the checks of ``GeminiBatchPrepareInputOperator`` on local files, without Airflow or Google
Cloud: every problem with its line number and JSON pointer (the first ``--max-problems`` of each file),
every note (a warning on a valid line) the same way, ending ``(warning)``, a summary per file, exit status 0
when every file is valid and 1 when not (2 for a usage error); notes never change the exit status.
With ``--repair-empty-tools`` the lines are checked as the operator's ``repair_empty_tools=True`` would
upload them, and each repair is listed; the files are not changed.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TextIO

from airflow_batch_gemini.input.lines import read_line_blocks
from airflow_batch_gemini.input.refusal import NO_REQUEST
from airflow_batch_gemini.input.repairs import EmptyToolRepairs
from airflow_batch_gemini.input.scanner import InputScan, scan_blocks
from airflow_batch_gemini.input.schema import LineValidator, build_validator

#: Redraw the progress bar at most this often (seconds).
PROGRESS_INTERVAL = 0.2
_BAR_WIDTH = 30


def progress_text(name: str, done_bytes: int, total_bytes: int, lines: int) -> str:
    """One frame of the progress bar: ``name [#######.......]  45% 123,456 lines``."""
    share = done_bytes / total_bytes if total_bytes else 1.0
    filled = round(share * _BAR_WIDTH)
    return f"{name} [{'#' * filled}{'.' * (_BAR_WIDTH - filled)}] {share:4.0%} {lines:,} lines"


def with_progress(blocks: Iterable[bytes], name: str, total_bytes: int, stream: TextIO) -> Iterator[bytes]:
    """Yield ``blocks`` of whole lines unchanged, redrawing a progress bar on ``stream`` as they pass."""
    done = count = 0
    shown = 0.0
    for block in blocks:
        done += len(block)
        count += block.count(b"\n") + (not block.endswith(b"\n"))
        if (now := time.monotonic()) - shown >= PROGRESS_INTERVAL:
            shown = now
            stream.write("\r" + progress_text(name, done, total_bytes, count))
            stream.flush()
        yield block
    stream.write("\r" + progress_text(name, done, total_bytes, count) + "\n")
    stream.flush()


def summary(name: str, scan: InputScan, repaired: int = 0) -> str:
    """One line about a whole file: its counts (warnings and repaired lines if any), and how it would be
    uploaded."""
    invalid = len(scan.invalid_lines)
    text = f"{name}: {scan.line_count:,} line(s), {scan.row_count:,} valid, {invalid:,} invalid"
    if scan.problem_count:
        text += f" ({scan.problem_count:,} problem(s))"
    if scan.note_count:
        text += f", {scan.note_count:,} warning(s)"
    if repaired:
        text += f", {repaired:,} repaired"
    if scan.shards:
        text += f"; uploads as {len(scan.shards)} file(s), {scan.size_bytes:,} bytes"
    return text


def validate_file(path: Path, validator: LineValidator, max_problems: int, progress: bool, out: TextIO,
                  err: TextIO, *, repair_empty_tools: bool = False) -> bool:
    """Check one file, print its repairs (with ``repair_empty_tools``), problems, notes and summary; return
    whether it is valid (notes do not count)."""
    repairs = EmptyToolRepairs(max_problems)
    with path.open("rb") as handle:
        blocks = read_line_blocks(handle)
        if progress:
            blocks = with_progress(blocks, path.name, path.stat().st_size, err)
        if repair_empty_tools:
            blocks = repairs.blocks(blocks)
        scan = scan_blocks(blocks, validator, max_problems)
    for repair in repairs.repairs:
        out.write(f"{path}: {repair} (repair)\n")
    if repairs.repair_count > len(repairs.repairs):
        out.write(f"{path}: ... and {repairs.repair_count - len(repairs.repairs):,} more repair(s)\n")
    for problem in scan.problems:
        out.write(f"{path}: {problem}\n")
    if scan.problem_count > len(scan.problems):
        out.write(f"{path}: ... and {scan.problem_count - len(scan.problems):,} more problem(s)\n")
    for note in scan.notes:
        out.write(f"{path}: {note} (warning)\n")
    if scan.note_count > len(scan.notes):
        out.write(f"{path}: ... and {scan.note_count - len(scan.notes):,} more warning(s)\n")
    if not scan.row_count and not scan.problem_count:
        out.write(f"{path}: {NO_REQUEST}\n")
    for warning in scan.columns.warnings():
        out.write(f"{path}: warning: {warning}\n")
    out.write(summary(str(path), scan, repairs.line_count) + "\n")
    return scan.problem_count == 0 and scan.row_count > 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gemini-batch", description="Tools for Vertex AI Gemini batch input files.")
    commands = parser.add_subparsers(dest="command", required=True)
    validate = commands.add_parser(
        "validate", help="check JSON Lines input files as GeminiBatchPrepareInputOperator does",
        description="Check JSON Lines batch input files against the request schema and the importer's rules.",
    )
    validate.add_argument("files", nargs="+", type=Path, metavar="FILE", help="a local .jsonl input file")
    validate.add_argument("--max-problems", type=int, default=20, metavar="N",
                          help="list at most N problems per file (all are counted; default 20)")
    validate.add_argument("--extra-schema", type=Path, metavar="SCHEMA.json",
                          help="a JSON Schema (draft 2020-12) every line must satisfy as well")
    validate.add_argument("--allow-unknown-fields", action="store_true",
                          help="accept field names Google's discovery documents do not know (refused by default, "
                               "naming the closest known field)")
    validate.add_argument("--repair-empty-tools", action="store_true",
                          help="check the lines with the empty tools that have a known workaround repaired "
                               "(googleSearch: {} -> {\"excludeDomains\": null}), as the operator's "
                               "repair_empty_tools=True uploads them, and list each repair; the files are "
                               "not changed")
    validate.add_argument("--progress", action="store_true",
                          help="draw a progress bar on stderr even when it is not a terminal")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status (0 valid, 1 invalid, 2 usage error)."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        extra = json.loads(args.extra_schema.read_text("utf-8")) if args.extra_schema else None
        validator = build_validator(extra, allow_unknown_fields=args.allow_unknown_fields)
    except (OSError, ValueError) as err:
        parser.error(f"--extra-schema: {err}")
    progress = args.progress or sys.stderr.isatty()
    valid = True
    for path in args.files:
        if not path.is_file():
            sys.stdout.write(f"{path}: no such file\n")
            valid = False
            continue
        valid = validate_file(path, validator, args.max_problems, progress, sys.stdout, sys.stderr,
                              repair_empty_tools=args.repair_empty_tools) and valid
    return 0 if valid else 1

