"""The manifests tasks hand each other through XCom, declared once as TypedDicts. Pure.

A manifest holds counts, URIs and names, never rows or credentials. At run time each is a plain ``dict``
(XCom stores JSON, a deferral's kwargs are serialized), so these types only name the keys and their values
for readers and mypy. The keys are part of the package's interface: downstream tasks, DAGs and templates
read them, so a key is never renamed or dropped.

* :class:`JobManifest`: a job, as the submit operator and the sensor return it.
* :class:`PreparedInput`: the uploaded input, as the prepare operator returns it.
* :class:`SplitManifest`: a split job output, as the split operator returns it.
* :class:`ResubmitManifest`: the results over all rounds, as the resubmit operator returns it; the rounds
  travel between its deferrals as :class:`PendingRound` and :class:`RoundRecord`, in a :class:`RoundState`.
"""

from __future__ import annotations

from typing import Any, TypedDict


class CompletionStats(TypedDict):
    """A job's ``completionStats`` as rows: ``-1`` where the service did not say."""

    succeeded: int
    failed: int
    incomplete: int


class _JobManifestRequired(TypedDict):
    """The keys every job manifest has."""

    job_name: str | None
    display_name: str | None
    model: str | None
    input_uris: list[str]
    state: str
    #: ``outputInfo.gcsOutputDirectory``, else the BigQuery table or dataset the job wrote to.
    output_directory: str | None
    completion_stats: CompletionStats
    create_time: str | None
    start_time: str | None
    end_time: str | None


class JobManifest(_JobManifestRequired, total=False):
    """A batch job: its names, input, state, output location, counts and times (``error`` when it failed)."""

    error: dict[str, Any]


class _PreparedInputRequired(TypedDict):
    """The keys every prepared-input manifest has."""

    input_uris: list[str]
    input_uri: str
    row_count: int
    row_counts: list[int]
    reused: bool
    skipped_count: int
    rejects_uri: str | None


class PreparedInput(_PreparedInputRequired, total=False):
    """The validated input as uploaded: one URI per file (several when the input was cut), its counts.

    ``note_count`` (warnings on valid lines) and ``repaired_count`` (lines whose empty tools were repaired)
    came later: the operator always sets them, but a manifest of an earlier version lacks them, so read
    them with ``.get(key, 0)``.
    """

    note_count: int
    repaired_count: int


class ResultUris(TypedDict):
    """Where the three result files of a split (or of all rounds) are."""

    succeeded_uri: str
    failed_uri: str
    missing_uri: str


class RowCounts(TypedDict):
    """Succeeded and failed rows; failures by status and code, token usage and model versions by name."""

    succeeded: int
    failed: int
    failures_by_status: dict[str, int]
    failures_by_code: dict[str, int]
    token_usage: dict[str, int]
    model_versions: dict[str, int]


class TallyCounts(RowCounts):
    """The counts of one pass over output rows, with the rows that did not join the input as expected."""

    unexpected_rows: int
    duplicate_rows: int


class SplitSummary(TallyCounts, ResultUris):
    """What splitting one job's output tells: the counts, the reconciliation with the input, the files."""

    missing: int
    #: Input rows reconciled with, ``None`` when there was no input to reconcile with.
    input_rows: int | None
    reconciled: bool
    total: int
    output_directory: str
    files_read: int
    disagreements: list[str]


class SplitManifest(SplitSummary):
    """The split operator's XCom: the summary, with the job it came from."""

    job_name: str | None
    model: str | None
    completion_stats: CompletionStats | None
    #: The input as given, wildcards and all.
    input_uris: list[str]


class RoundLayout(TypedDict):
    """Where a resubmission round keeps its input, the failed rows it does not resend, its job's output and
    its results."""

    input_uri: str
    kept_failed_uri: str
    output_prefix: str
    results_prefix: str


class KeptFailures(RoundLayout):
    """A round's files, with the failed rows of the round before it that it keeps instead of resending."""

    round: int
    kept_failed: int
    kept_failures_by_status: dict[str, int]
    kept_failures_by_code: dict[str, int]


class PendingRound(KeptFailures):
    """A round whose input is written: how many rows it resends."""

    input_rows: int


class UnfinishedRound(TypedDict):
    """A round whose job did not finish (FAILED, CANCELLED, EXPIRED or timed out)."""

    round: int
    job_name: str | None
    state: str
    error: str


class _RoundRecordRequired(KeptFailures, SplitSummary):
    """The keys every round record has."""

    job_name: str | None


class RoundRecord(_RoundRecordRequired, total=False):
    """A round that ran: its files and kept failures, its job's output split and reconciled with its input
    (``unfinished`` when its job did not finish)."""

    unfinished: UnfinishedRound


class RoundSummary(TypedDict):
    """One round's counts in the final manifest (round 0 is the first split)."""

    round: int
    job_name: str | None
    input_rows: int | None
    succeeded: int
    failed: int
    missing: int
    resubmitted: int


class MergedRounds(RowCounts):
    """The counts over all rounds: the final rows, failures, usage, each round's summary, disagreements."""

    job_name: str | None
    job_names: list[str | None]
    rounds: int
    input_rows: int | None
    reconciled: bool
    missing: int
    round_summaries: list[RoundSummary]
    unfinished_rounds: list[UnfinishedRound]
    disagreements: list[str]


class ResubmitManifest(MergedRounds, ResultUris):
    """The resubmit operator's XCom: the merged counts and the final files."""


class RoundState(TypedDict):
    """A round whose job the resubmit operator waits on in the triggerer: what its resumed task needs to go on
    (the rounds so far and the pending round), and whose wait it is (the try that deferred, the job)."""

    try_number: int
    job_name: str
    rounds: list[SplitManifest | RoundRecord]
    pending: PendingRound
