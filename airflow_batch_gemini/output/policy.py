"""A task's policy on partial results: the share of rows that failed or are missing, and whether that
breaks ``fail_on_partial`` or ``max_failure_ratio``. Pure; works on a split or a resubmit manifest."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from airflow_batch_gemini.exceptions import GeminiBatchConfigurationError


def check_failure_ratio(max_failure_ratio: float | None) -> float | None:
    """``max_failure_ratio`` as given, once checked: ``None``, or a share of the rows from 0 to 1.

    :raises GeminiBatchConfigurationError: anything else (``5`` would never fail a task, ``-1`` always would).
    """
    if max_failure_ratio is None:
        return None
    if isinstance(max_failure_ratio, bool) or not isinstance(max_failure_ratio, int | float) or not (
        0 <= max_failure_ratio <= 1
    ):
        raise GeminiBatchConfigurationError(
            f"max_failure_ratio is {max_failure_ratio!r}; it is the share of rows that may fail or be missing, "
            "from 0 to 1 (0.1 for 10 %), or None for no limit"
        )
    return float(max_failure_ratio)


def failure_ratio(manifest: Mapping[str, Any]) -> float:
    """Failed plus missing rows over all rows (input rows when known, else output rows)."""
    bad = int(manifest.get("failed", 0)) + int(manifest.get("missing", 0))
    total = int(manifest.get("input_rows") or 0) or int(manifest.get("succeeded", 0)) + bad
    return bad / total if total else 0.0


def policy_violation(
    manifest: Mapping[str, Any], fail_on_partial: bool, max_failure_ratio: float | None
) -> str | None:
    """Why the results break the task's policy, or ``None`` when they do not."""
    bad = int(manifest.get("failed", 0)) + int(manifest.get("missing", 0))
    ratio = failure_ratio(manifest)
    if fail_on_partial and bad:
        return f"{bad} row(s) failed or are missing and fail_on_partial is set"
    if max_failure_ratio is not None and ratio > max_failure_ratio:
        return f"{ratio:.1%} of the rows failed or are missing, more than max_failure_ratio {max_failure_ratio:.1%}"
    return None
