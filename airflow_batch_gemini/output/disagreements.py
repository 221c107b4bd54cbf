"""What does not add up between a job's output rows, its input rows and its ``completionStats``. Pure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from airflow_batch_gemini.output.tally import Tally


def disagreements(
    tally: Tally, missing: int | None, completion_stats: Mapping[str, Any] | None, uncopied: Sequence[str] = ()
) -> list[str]:
    """What does not add up between the output rows, the input rows and the job's ``completionStats``.

    :param tally: the counts of the output rows.
    :param missing: input rows without an output row (``None`` when there was no input to reconcile).
    :param completion_stats: the job's ``{"succeeded", "failed", "incomplete"}``, if known.
    :param uncopied: missing input lines too long to copy into ``missing.jsonl``, which holds their records
        instead (counted missing all the same), as ``line N of URI``.
    """
    found: list[str] = []
    if tally.unexpected:
        found.append(f"{tally.unexpected} output row(s) match no input row (kept in their result file)")
    if tally.duplicates:
        found.append(f"{tally.duplicates} output row(s) answer an input row a second time (left out)")
    if completion_stats:
        for name, counted in (("succeeded", tally.succeeded), ("failed", tally.failed)):
            reported = completion_stats.get(name)
            if isinstance(reported, int) and reported >= 0 and reported != counted:
                found.append(f"completionStats reports {reported} {name} row(s), the output holds {counted}")
    if missing:
        incomplete = (completion_stats or {}).get("incomplete")
        if not isinstance(incomplete, int) or incomplete != missing:
            found.append(f"{missing} input row(s) have no output row (completionStats incomplete: {incomplete})")
    if uncopied:
        found.append(f"{len(uncopied)} missing input row(s) longer than max_row_bytes are in missing.jsonl as "
                     f"their records (size, SHA-256, key), not whole: {', '.join(uncopied[:5])}")
    return found
