"""Whether a scanned input may be uploaded, and if not, why: pure functions, no I/O.

An input is refused when it has an invalid line and ``on_invalid`` is ``"fail"``; when a larger share
of its lines than ``max_rejected_ratio`` is invalid; and when it holds no valid line at all (a batch job
needs at least one request). Otherwise its valid lines may go, the invalid ones skipped.
"""

from __future__ import annotations

from airflow_batch_gemini.input.scanner import InputScan

#: What to do with an input that has invalid lines: refuse it whole, or upload the valid lines.
ON_INVALID_CHOICES = ("fail", "skip")

NO_REQUEST = "the input holds no request (no valid line); a batch job needs at least one"


def upload_refusal(scan: InputScan, on_invalid: str, max_rejected_ratio: float | None) -> tuple[list[str], int]:
    """Why no request of ``scan`` may be uploaded: the messages to show and how many problems there are in
    all (``([], 0)`` when the valid lines may go).

    :param on_invalid: one of :data:`ON_INVALID_CHOICES`.
    :param max_rejected_ratio: the largest share of invalid lines (0 to 1) allowed; ``None``: no bound.
    """
    shown = [str(problem) for problem in scan.problems]
    rejected = len(scan.invalid_lines)
    if rejected and on_invalid == "fail":
        return shown, scan.problem_count
    if max_rejected_ratio is not None and rejected > max_rejected_ratio * scan.line_count:
        ratio = (f"{rejected:,} of {scan.line_count:,} lines are invalid, more than max_rejected_ratio "
                 f"{max_rejected_ratio:g} allows")
        return [ratio, *shown], scan.problem_count + 1
    if not scan.row_count:
        return [NO_REQUEST, *shown], scan.problem_count + 1
    return [], 0
