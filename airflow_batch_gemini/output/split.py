"""Split a job's output rows into succeeded, failed and missing results, reconciled with its input. Pure:
rows come from a :class:`~airflow_batch_gemini.output.ports.RowSource` and go to a
:class:`~airflow_batch_gemini.output.ports.ResultSink`.

Streams: memory holds one row at a time (and what the source and the sink buffer, e.g. one chunk) plus
the :class:`~airflow_batch_gemini.output.ledger.RowLedger` (about 100 bytes per input row). A row longer than
the source's limit is never held: it fails alone as ``ROW_TOO_LARGE``
(:mod:`~airflow_batch_gemini.output.large_rows`), joined to its input line when its key is in its first or last 64 KiB.
The input is read once for the ledger and once more only when rows are missing; the output is read once.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from airflow_batch_gemini.exceptions import GeminiBatchConfigurationError, GeminiBatchOutputError
from airflow_batch_gemini.lines import OverlongLine
from airflow_batch_gemini.manifests import ResultUris, SplitSummary
from airflow_batch_gemini.output.annotation import annotate_failure, too_large_record
from airflow_batch_gemini.output.disagreements import disagreements
from airflow_batch_gemini.output.large_rows import too_large_row
from airflow_batch_gemini.output.ledger import Claim, RowLedger
from airflow_batch_gemini.output.ports import ResultSink, RowSource
from airflow_batch_gemini.output.row_identity import DEFAULT_KEY_FIELDS, line_identity, row_identity
from airflow_batch_gemini.output.rows import classify_row, read_row, too_large_error, with_line_break
from airflow_batch_gemini.output.tally import Tally
from airflow_batch_gemini.package_files import PACKAGE_FILE_KEY, may_be_job_input, package_file_kind


class Log(Protocol):
    """What the split logs to: a :class:`logging.Logger`, or a task's ``self.log``."""

    def info(self, msg: str, /, *args: Any) -> object:
        """Log a message at INFO level."""
        ...


def refuse_package_files(source: RowSource, input_uris: Sequence[str]) -> None:
    """Check that each input is a job's input: a user's own object or an ``input`` the package wrote.

    :raises GeminiBatchConfigurationError: an input is a file the package wrote as something else (a result
        or a rejects file, picked up by a wildcard say): its lines are no input rows.
    """
    for uri in input_uris:
        metadata = source.part_metadata(uri)
        if not may_be_job_input(metadata):
            kind = package_file_kind(metadata)
            raise GeminiBatchConfigurationError(
                f"Input {uri} is a {kind} file this package wrote ({PACKAGE_FILE_KEY}: {kind}), not a job's "
                "input: its lines are not counted as input rows, and nothing was split. Give input_uris the "
                "job's own input, or a wildcard that matches no result or rejects file."
            )


def split_job_output(
    source: RowSource,
    sink: ResultSink,
    *,
    output_directory: str,
    results: ResultUris,
    input_uris: Sequence[str],
    key_fields: Sequence[str] = DEFAULT_KEY_FIELDS,
    completion_stats: Mapping[str, Any] | None = None,
    log: Log | None = None,
) -> SplitSummary:
    """Stream a job's output rows into the ``succeeded``, ``failed`` and ``missing`` results.

    With ``input_uris``, every input row ends in exactly one result: its output row is joined to it by
    key (or request hash); input lines without an output row are copied to ``missing``. A second
    output row for one input row is left out, an output row of no input row is kept; both, and counts
    that differ from ``completion_stats``, are listed under ``disagreements``. A succeeded row is
    written as the source gave it; a failed one with its ``parsed_error`` added. All three results are
    written, even when empty.

    :param source: the job's output rows (``output_parts(output_directory)``) and its input lines.
    :param sink: where the three results go.
    :param output_directory: the job's output; the results, if they lie there, are never read back.
    :param results: where each result goes.
    :param input_uris: the job's input, to reconcile with; none: rows are split, not reconciled.
    :param key_fields: top-level fields that identify a row, first present wins.
    :param completion_stats: the job's ``{"succeeded", "failed", "incomplete"}``, if known.
    :return: counts, result URIs, failures by status and code, token usage, model versions (no rows).
    :raises GeminiBatchConfigurationError: the results cannot go where ``results`` says (checked before
        anything is read), or an input is a file the package wrote as something else than an input.
    :raises GeminiBatchOutputError: the output has no part (no ``*.jsonl`` under ``output_directory``).
    """
    log = log or logging.getLogger(__name__)
    sink.require_destinations([results["succeeded_uri"], results["failed_uri"], results["missing_uri"]])
    refuse_package_files(source, input_uris)
    own = set(results.values())
    # our own result files may sit under the output directory: never read them back as output
    files = [uri for uri in source.output_parts(output_directory) if uri not in own]
    if not files:
        raise GeminiBatchOutputError(
            f"No *.jsonl file under {output_directory}; check that this is the job's outputInfo."
            "gcsOutputDirectory and that the job has ended."
        )
    ledger = RowLedger()
    for uri in input_uris:
        log.info("Reading input %s", uri)
        for raw in source.read_rows(uri):
            if isinstance(raw, OverlongLine) or raw.strip():
                ledger.expect(line_identity(raw, key_fields))
    tally = Tally()
    with sink.open_writer(results["succeeded_uri"]) as succeeded, sink.open_writer(results["failed_uri"]) as failed:
        for uri in files:
            log.info("Reading output %s", uri)
            for number, line in enumerate(source.read_rows(uri), 1):
                if (read := read_row(line, uri, number)) is None:
                    continue
                # bounded: a row too deep to decode fails as ROW_TOO_DEEP, one too long to hold as ROW_TOO_LARGE
                row, raw = read
                if input_uris:
                    claim = ledger.claim(row_identity(row, key_fields))
                    if claim is Claim.DUPLICATE:
                        tally.duplicates += 1
                        continue
                    tally.unexpected += claim is Claim.UNEXPECTED
                outcome = classify_row(row)
                tally.add(outcome)
                if outcome.error is None:
                    succeeded.write(with_line_break(raw))
                else:
                    failed.write(annotate_failure(raw, row, outcome.error))
    missing = ledger.outstanding
    uncopied: list[str] = []  # missing input lines too long to copy, in missing.jsonl as records: line N of URI
    with sink.open_writer(results["missing_uri"]) as missing_file:
        for uri in input_uris if missing else ():
            for number, raw in enumerate(source.read_rows(uri), 1):
                if isinstance(raw, bytes) and not raw.strip():
                    continue
                if ledger.claim(line_identity(raw, key_fields)) is not Claim.MATCHED:
                    continue
                if isinstance(raw, OverlongLine):  # never held: its record takes its place (a round keeps it)
                    row = too_large_row(raw, uri, number)
                    missing_file.write(too_large_record(row, too_large_error(row)))
                    uncopied.append(f"line {number} of {uri}")
                else:
                    missing_file.write(with_line_break(raw))
    if uncopied:
        log.info("Missing input lines longer than max_row_bytes, in missing.jsonl as records: %s", uncopied[:20])
    return {
        **tally.counts(),
        "missing": missing,
        "input_rows": ledger.rows if input_uris else None,
        "reconciled": bool(input_uris),
        "total": tally.succeeded + tally.failed,
        **results,
        "output_directory": output_directory,
        "files_read": len(files),
        "disagreements": disagreements(tally, missing if input_uris else None, completion_stats, uncopied),
    }
