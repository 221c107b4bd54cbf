"""Command line for DAG authors: ``gemini-batch validate INPUT...`` (also ``python -m airflow_batch_gemini``).

It runs the checks of ``GeminiBatchPrepareInputOperator`` without Airflow, on local files, the ``*.jsonl``
files of a folder (in name order, which the output lists), standard input (``-``) and ``gs://`` objects (a
``*`` wildcard, or a name ending in ``/`` for its ``*.jsonl`` objects): see :mod:`airflow_batch_gemini.cli_inputs`.
It prints every problem with its line number and JSON pointer (the first ``--max-problems`` of each input),
every note (a warning on a valid line) the same way, ending ``(warning)``, and a summary per input; an input
larger than one job takes (200,000 requests or 1 GB, or the lower ``--max-rows-per-file`` and
``--max-bytes-per-file`` a DAG sets) is listed as the files the operator would upload, each with where it is
cut and why. A line longer than ``--max-line-bytes`` (32 MiB by default) is an invalid line, found without
holding it; an object stored compressed is refused. With ``--repair-empty-tools`` the lines are checked as the
operator's ``repair_empty_tools=True`` would upload them, and each repair is listed; the inputs are not changed.
A problem names the JSON path, the type and the size of a value, never the value itself (inputs may hold
personal data); ``--show-values`` says the values too.

Exit status: 0 when every input is valid, 1 when one is not, 2 for a usage error (a bad option, no input, an
input that leads nowhere or cannot be read); notes never change it.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from airflow_batch_gemini.bounds import DEFAULT_MAX_LINE_BYTES
from airflow_batch_gemini.cli_inputs import Input, InputNotFound, resolve
from airflow_batch_gemini.input.refusal import NO_REQUEST
from airflow_batch_gemini.input.repairs import EmptyToolRepairs
from airflow_batch_gemini.input.scanner import InputScan, scan_blocks
from airflow_batch_gemini.input.schema import LineValidator, build_validator
from airflow_batch_gemini.input.sharding import MAX_INPUT_BYTES, MAX_REQUESTS_PER_JOB, Shard
from airflow_batch_gemini.lines import OverlongLine

#: Redraw the progress bar at most this often (seconds).
PROGRESS_INTERVAL = 0.2
_BAR_WIDTH = 30


def progress_text(name: str, done_bytes: int, total_bytes: int | None, lines: int) -> str:
    """One frame of the progress bar: ``name [#######.......]  45% 123,456 lines``; without a known total
    (standard input) ``name 1,234,567 bytes, 123,456 lines``."""
    if total_bytes is None:
        return f"{name} {done_bytes:,} bytes, {lines:,} lines"
    share = done_bytes / total_bytes if total_bytes else 1.0
    filled = round(share * _BAR_WIDTH)
    return f"{name} [{'#' * filled}{'.' * (_BAR_WIDTH - filled)}] {share:4.0%} {lines:,} lines"


def with_progress(
    blocks: Iterable[bytes | OverlongLine], name: str, total_bytes: int | None, stream: TextIO
) -> Iterator[bytes | OverlongLine]:
    """Yield ``blocks`` of whole lines (and over-long lines) unchanged, redrawing a progress bar on ``stream``
    as they pass."""
    done = count = 0
    shown = 0.0
    for block in blocks:
        if isinstance(block, OverlongLine):
            done += block.size
            count += 1
        else:
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
    """One line about a whole input: its counts (warnings and repaired lines if any), and how it would be
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


def cut_reason(shard: Shard, max_rows: int, max_bytes: int) -> str:
    """Why a file that another follows ends where it does: it holds as many requests as a file may, or the
    next valid line would take it past the bytes a file may hold (the service's limits of one job unless
    lower ones were given)."""
    if shard.row_count >= max_rows:
        limit = "the most one job takes" if max_rows == MAX_REQUESTS_PER_JOB else "--max-rows-per-file"
        return f"it holds {max_rows:,} requests, {limit}"
    limit = "(1 GB), the most one job takes" if max_bytes == MAX_INPUT_BYTES else "(--max-bytes-per-file)"
    return f"the next line would take it past {max_bytes:,} bytes {limit}"


def file_plan(name: str, scan: InputScan, max_rows: int, max_bytes: int) -> list[str]:
    """The files an input larger than one of them would be uploaded as (nothing for one file): each with its
    lines, requests and bytes, and before which line it is cut, and why (:func:`cut_reason`)."""
    shards = scan.shards
    if len(shards) < 2:
        return []
    lines = []
    for number, shard in enumerate(shards, start=1):
        span = f"line {shard.first_line:,}"
        if shard.last_line > shard.first_line:
            span = f"lines {shard.first_line:,}-{shard.last_line:,}"
        text = (f"{name}: file {number} of {len(shards)}: {span}, {shard.row_count:,} request(s), "
                f"{shard.digest.size:,} bytes")
        if number < len(shards):
            text += f"; cut before line {shards[number].first_line:,}: {cut_reason(shard, max_rows, max_bytes)}"
        lines.append(text)
    return lines


@dataclass(frozen=True)
class CheckOptions:
    """How ``validate`` checks each input (the options of the same names).

    :param max_problems: list at most this many problems, notes and repairs per input (all are counted).
    :param progress: draw a progress bar on the error stream.
    :param repair_empty_tools: check the lines as the operator's ``repair_empty_tools=True`` uploads them.
    :param max_rows_per_file: at most this many requests per uploaded file.
    :param max_bytes_per_file: at most this many bytes per uploaded file.
    :param max_line_bytes: the longest line taken, its line break included (a longer one is invalid).
    """

    max_problems: int = 20
    progress: bool = False
    repair_empty_tools: bool = False
    max_rows_per_file: int = MAX_REQUESTS_PER_JOB
    max_bytes_per_file: int = MAX_INPUT_BYTES
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES


def _listed(out: TextIO, name: str, items: Sequence[object], total: int, kind: str, suffix: str = "") -> None:
    """Write each of ``items`` and, when ``total`` is more, how many more there are."""
    for item in items:
        out.write(f"{name}: {item}{suffix}\n")
    if total > len(items):
        out.write(f"{name}: ... and {total - len(items):,} more {kind}(s)\n")


def validate_input(source: Input, validator: LineValidator, options: CheckOptions, out: TextIO, err: TextIO) -> bool:
    """Check one input, print its repairs (with ``repair_empty_tools``), problems, notes, files when more than
    one, and summary; return whether it is valid (notes do not count).

    :raises InputNotFound: it cannot be read (anymore).
    """
    repairs = EmptyToolRepairs(options.max_problems)
    blocks: Iterable[bytes | OverlongLine] = source.open_blocks(options.max_line_bytes)
    if options.progress:
        blocks = with_progress(blocks, source.short_name, source.size, err)
    if options.repair_empty_tools:
        blocks = repairs.blocks(blocks)
    scan = scan_blocks(blocks, validator, options.max_problems, max_rows_per_file=options.max_rows_per_file,
                       max_bytes_per_file=options.max_bytes_per_file)
    name = source.name
    _listed(out, name, repairs.repairs, repairs.repair_count, "repair", " (repair)")
    _listed(out, name, scan.problems, scan.problem_count, "problem")
    _listed(out, name, scan.notes, scan.note_count, "warning", " (warning)")
    if not scan.row_count and not scan.problem_count:
        out.write(f"{name}: {NO_REQUEST}\n")
    for warning in scan.columns.warnings():
        out.write(f"{name}: warning: {warning}\n")
    for line in file_plan(name, scan, options.max_rows_per_file, options.max_bytes_per_file):
        out.write(line + "\n")
    out.write(summary(name, scan, repairs.line_count) + "\n")
    return scan.problem_count == 0 and scan.row_count > 0


def _count(least: int, most: int | None = None) -> Callable[[str], int]:
    """An argparse type: a whole number from ``least`` to ``most``."""

    def parse(text: str) -> int:
        try:
            number = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if number < least or (most is not None and number > most):
            bound = f"from {least:,} to {most:,}" if most is not None else f"{least:,} or more"
            raise argparse.ArgumentTypeError(f"{number:,} is out of range: give {bound}")
        return number

    return parse


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gemini-batch", description="Tools for Vertex AI Gemini batch input files.")
    commands = parser.add_subparsers(dest="command", required=True)
    validate = commands.add_parser(
        "validate", help="check JSON Lines input files as GeminiBatchPrepareInputOperator does",
        description="Check JSON Lines batch inputs against the request schema and the importer's rules. Exit "
                    "status: 0 all valid, 1 an input is invalid, 2 a usage error (an input that leads nowhere too).",
    )
    validate.add_argument("inputs", nargs="+", metavar="INPUT",
                          help="a local .jsonl file; a folder (its *.jsonl files, in name order); - for standard "
                               "input; a gs://BUCKET/OBJECT, with a * wildcard or ending in / for its *.jsonl "
                               "objects (Application Default Credentials; anonymous with STORAGE_EMULATOR_HOST)")
    validate.add_argument("--max-problems", type=_count(0), default=20, metavar="N",
                          help="list at most N problems per input (all are counted; default 20)")
    validate.add_argument("--extra-schema", type=Path, metavar="SCHEMA.json",
                          help="a JSON Schema (draft 2020-12) every line must satisfy as well")
    validate.add_argument("--allow-unknown-fields", action="store_true",
                          help="accept field names Google's discovery documents do not know (refused by default, "
                               "naming the closest known field)")
    validate.add_argument("--repair-empty-tools", action="store_true",
                          help="check the lines with the empty tools that have a known workaround repaired "
                               "(googleSearch: {} -> {\"excludeDomains\": null}), as the operator's "
                               "repair_empty_tools=True uploads them, and list each repair; the inputs are "
                               "not changed")
    for option, most, unit in (("rows", MAX_REQUESTS_PER_JOB, "requests"), ("bytes", MAX_INPUT_BYTES, "bytes")):
        validate.add_argument(f"--max-{option}-per-file", type=_count(1, most), default=most, metavar="N",
                              help=f"cut the upload into files of at most N {unit}, as the operator's "
                                   f"max_{option}_per_file does (default {most:,}, the most one job takes)")
    validate.add_argument("--show-values", action="store_true",
                          help="say the offending values in the problems (by default a message names the JSON "
                               "path, the type and the size of a value, never the value: inputs may hold "
                               "personal data)")
    validate.add_argument("--max-line-bytes", type=_count(1, MAX_INPUT_BYTES), default=DEFAULT_MAX_LINE_BYTES,
                          metavar="N",
                          help="refuse a line longer than N bytes, its line break included, without holding it, as "
                               f"the operator's max_line_bytes does (default {DEFAULT_MAX_LINE_BYTES:,}, 32 MiB)")
    validate.add_argument("--progress", action="store_true",
                          help="draw a progress bar on stderr even when it is not a terminal")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status (0 valid, 1 invalid, 2 usage error)."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        extra = json.loads(args.extra_schema.read_text("utf-8")) if args.extra_schema else None
        validator = build_validator(extra, allow_unknown_fields=args.allow_unknown_fields, show_values=args.show_values)
    except (OSError, ValueError) as err:
        parser.error(f"--extra-schema: {err}")
    try:
        arguments = resolve(args.inputs)
    except InputNotFound as err:
        parser.exit(2, f"gemini-batch validate: error: {err}\n")
    options = CheckOptions(args.max_problems, args.progress or sys.stderr.isatty(), args.repair_empty_tools,
                           args.max_rows_per_file, args.max_bytes_per_file, args.max_line_bytes)
    valid = True
    try:
        for argument in arguments:
            if argument.found:
                sys.stdout.write(argument.found + "\n")
            for source in argument.inputs:
                valid = validate_input(source, validator, options, sys.stdout, sys.stderr) and valid
    except InputNotFound as err:
        sys.stdout.flush()
        sys.stderr.write(f"gemini-batch validate: error: {err}\n")
        return 2
    return 0 if valid else 1
