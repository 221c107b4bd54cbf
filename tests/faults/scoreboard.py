"""The fault suite's scoreboard (pure): what each fault case injected and what it lost."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass
class FaultRecord:
    """One fault case.

    :param case: the test's id.
    :param label: a label value unique to the case; its jobs carry it as ``fault-case``.
    :param injected: faults injected (API errors answered, restarts, malformed lines, ...).
    :param rows_in: input rows that had to come out somewhere.
    :param rows_found: of those, how many the outputs hold (each counted once).
    :param logical_jobs: jobs the case asked for.
    :param jobs_created: jobs the emulator created for it.
    :param outcome: ``survived``, ``FAILED``, ``xfail`` (set from the test's result).
    """

    case: str
    label: str
    injected: int = 0
    rows_in: int = 0
    rows_found: int = 0
    logical_jobs: int = 0
    jobs_created: int = 0
    outcome: str = "not run"
    reason: str = ""

    @property
    def rows_lost(self) -> int:
        """Input rows missing from the outputs."""
        return max(0, self.rows_in - self.rows_found)

    @property
    def duplicate_jobs(self) -> int:
        """Jobs created beyond one per logical job."""
        return max(0, self.jobs_created - self.logical_jobs)

    def rows(self, input_keys: Iterable[str], output_keys: Iterable[str]) -> None:
        """Account rows: every input key must appear in the outputs (a key seen twice counts once)."""
        wanted = list(input_keys)
        found = set(output_keys)
        self.rows_in += len(wanted)
        self.rows_found += sum(key in found for key in wanted)

    def finished_rows(self, finished: int, input_keys: Iterable[str], output_keys: Iterable[str]) -> None:
        """Account a stopped job: the ``finished`` rows it reports must all be in the outputs."""
        found = set(output_keys) & set(input_keys)
        self.rows_in += finished
        self.rows_found += min(finished, len(found))

    def jobs(self, logical: int, created: int) -> None:
        """Account jobs: ``created`` by the emulator for ``logical`` jobs asked."""
        self.logical_jobs += logical
        self.jobs_created += created


@dataclass
class Scoreboard:
    """Every fault case of the session."""

    records: list[FaultRecord] = field(default_factory=list)


def scoreboard_lines(board: Scoreboard) -> list[str]:
    """The printed scoreboard: one line per case, then the totals."""
    width = max(len(record.case) for record in board.records)
    header = f"{'case'.ljust(width)}  injected  rows in  lost  jobs  dup  outcome"
    lines = [header, "-" * len(header)]
    for record in board.records:
        outcome = f"xfail: {record.reason}" if record.outcome == "xfail" else record.outcome
        lines.append(
            f"{record.case.ljust(width)}  {record.injected:8d}  {record.rows_in:7d}  {record.rows_lost:4d}"
            f"  {record.jobs_created:4d}  {record.duplicate_jobs:3d}  {outcome}"
        )
    ran = [record for record in board.records if record.outcome in ("survived", "FAILED")]
    lines.append("-" * len(header))
    lines.append(
        f"faults injected: {sum(record.injected for record in board.records)}   "
        f"survived: {sum(record.outcome == 'survived' for record in board.records)} of {len(ran)} cases   "
        f"rows lost: {sum(record.rows_lost for record in board.records)}   "
        f"duplicate jobs: {sum(record.duplicate_jobs for record in board.records)}   "
        f"not yet (xfail): {sum(record.outcome == 'xfail' for record in board.records)}"
    )
    return lines
