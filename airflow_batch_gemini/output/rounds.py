"""Resubmission rounds: where a round keeps its files, and what it sends again. Pure: rows come from a
:class:`~airflow_batch_gemini.output.ports.RowSource` and go to a
:class:`~airflow_batch_gemini.output.ports.ResultSink`.

Round 0 is the first split; round ``N`` resends the previous round's failed rows whose error is retryable
(as lines that join back to the same input rows) and its missing rows, and keeps its other failed rows. A row
too long to read (over ``max_row_bytes``, never held) cannot be resent: it is kept, as its ``ROW_TOO_LARGE`` record.
"""

from __future__ import annotations

from airflow_batch_gemini.exceptions import GeminiBatchConfigurationError
from airflow_batch_gemini.manifests import PendingRound, RoundLayout, RoundRecord, SplitManifest
from airflow_batch_gemini.output.annotation import TOO_LARGE_FIELD, annotate_failure
from airflow_batch_gemini.output.large_rows import TooLargeRow
from airflow_batch_gemini.output.ports import ResultSink, RowSource
from airflow_batch_gemini.output.resend import is_retryable, retry_line
from airflow_batch_gemini.output.results import join_uri
from airflow_batch_gemini.output.rows import classify_row, read_row, with_line_break
from airflow_batch_gemini.output.tally import Tally
from airflow_batch_gemini.package_files import INPUT_KIND

#: The most follow-up jobs a resubmission may run: rows still failing after that many rounds fail for good.
MAX_ROUNDS = 10


def check_max_rounds(max_rounds: int) -> int:
    """``max_rounds`` as given, once checked: a whole number of follow-up jobs from 0 to :data:`MAX_ROUNDS`.

    :raises GeminiBatchConfigurationError: anything else.
    """
    if isinstance(max_rounds, bool) or not isinstance(max_rounds, int) or not 0 <= max_rounds <= MAX_ROUNDS:
        raise GeminiBatchConfigurationError(
            f"max_rounds is {max_rounds!r}; give a whole number of follow-up jobs from 0 (only merge) to "
            f"{MAX_ROUNDS}: each round is a batch job that may queue for 72 h, and rows still failing after a few "
            "rounds fail for good"
        )
    return max_rounds


def round_layout(destination_prefix: str, number: int) -> RoundLayout:
    """Where round ``number`` keeps its input, the rows it does not resend, the job's output and its results."""
    folder = join_uri(destination_prefix, f"rounds/{number}")
    return {
        "input_uri": join_uri(folder, "input.jsonl"),
        "kept_failed_uri": join_uri(folder, "kept_failed.jsonl"),
        "output_prefix": join_uri(folder, "output"),
        "results_prefix": join_uri(folder, "results"),
    }


def _kept_line(raw: bytes, row: object, kept: Tally) -> bytes:
    """A failed row a round keeps, counted in ``kept``: as it was read; one too long to read (never held) as its
    record (:func:`~airflow_batch_gemini.output.annotation.too_large_record`)."""
    outcome = classify_row(row)
    kept.add(outcome)
    if isinstance(row, TooLargeRow) and outcome.error is not None:
        return annotate_failure(raw, row, outcome.error)
    return with_line_break(raw)


def prepare_round(
    source: RowSource,
    sink: ResultSink,
    previous: SplitManifest | RoundRecord,
    number: int,
    destination_prefix: str,
) -> PendingRound:
    """Write round ``number``'s input (the previous round's retryable failed rows and missing rows, marked as a
    job's ``input``) and the failed rows it keeps (a ``result``); return the round's record so far (layout,
    ``input_rows``, kept counts)."""
    layout = round_layout(destination_prefix, number)
    kept = Tally()
    resent = 0
    with (
        sink.open_writer(layout["input_uri"], INPUT_KIND) as retry,
        sink.open_writer(layout["kept_failed_uri"]) as keep,
    ):
        failed_uri = str(previous["failed_uri"])
        for line_number, line in enumerate(source.read_rows(failed_uri), 1):
            if (read := read_row(line, failed_uri, line_number)) is None:
                continue
            row, raw = read
            if is_retryable(row):
                retry.write(retry_line(row))
                resent += 1
            else:
                keep.write(_kept_line(raw, row, kept))
        missing_uri = str(previous["missing_uri"])
        for line_number, line in enumerate(source.read_rows(missing_uri) if previous.get("missing") else (), 1):
            if (read := read_row(line, missing_uri, line_number)) is None:
                continue
            row, raw = read
            if isinstance(row, TooLargeRow) or (isinstance(row, dict) and TOO_LARGE_FIELD in row):
                # too long to hold, so to resend (read now, or recorded by the split): kept as failed
                keep.write(_kept_line(raw, row, kept))
            else:
                retry.write(with_line_break(raw))
                resent += 1
    return {
        "round": number,
        **layout,
        "input_rows": resent,
        "kept_failed": kept.failed,
        "kept_failures_by_status": dict(kept.by_status),
        "kept_failures_by_code": dict(kept.by_code),
    }
