"""Counting output rows: successes, failures by status and code, token usage, model versions. Pure.

Failure kinds and model versions are counted one by one up to ``MAX_CATEGORIES``; rarer ones are
counted under ``OTHER``, so that a manifest stays small whatever the rows hold.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from airflow_batch_gemini.manifests import TallyCounts
from airflow_batch_gemini.output.rows import RowOutcome, TokenUsage

#: Failure categories and model versions counted one by one; rarer ones are counted under ``OTHER``.
MAX_CATEGORIES = 20
OTHER_CATEGORY = "OTHER"


def _count(counter: Counter[str], name: str, amount: int = 1) -> None:
    """Count ``name``, or ``OTHER`` once ``MAX_CATEGORIES`` distinct names are counted."""
    if name not in counter and len(counter) >= MAX_CATEGORIES:
        name = OTHER_CATEGORY
    counter[name] += amount


@dataclass
class Tally:
    """Counts of one pass over output rows (or of failures kept between rounds); no rows."""

    succeeded: int = 0
    failed: int = 0
    unexpected: int = 0
    duplicates: int = 0
    by_status: Counter[str] = field(default_factory=Counter)
    by_code: Counter[str] = field(default_factory=Counter)
    usage: TokenUsage = field(default_factory=TokenUsage)
    model_versions: Counter[str] = field(default_factory=Counter)

    def add(self, outcome: RowOutcome) -> None:
        """Count one output row."""
        self.usage += outcome.usage
        if outcome.model_version:
            _count(self.model_versions, outcome.model_version)
        if outcome.error is None:
            self.succeeded += 1
            return
        self.failed += 1
        _count(self.by_status, outcome.error.category)
        _count(self.by_code, str(outcome.error.code) if outcome.error.code is not None else "none")

    def counts(self) -> TallyCounts:
        """The tally as XCom-ready data."""
        return {
            "succeeded": self.succeeded,
            "failed": self.failed,
            "unexpected_rows": self.unexpected,
            "duplicate_rows": self.duplicates,
            "failures_by_status": dict(self.by_status.most_common()),
            "failures_by_code": dict(self.by_code.most_common()),
            "token_usage": self.usage.as_dict(),
            "model_versions": dict(self.model_versions.most_common()),
        }


def sum_counts(mappings: Iterable[Mapping[str, int]]) -> dict[str, int]:
    """Add up count dicts (failures by status, token usage, model versions), keeping at most ``MAX_CATEGORIES``."""
    total: Counter[str] = Counter()
    for mapping in mappings:
        for name, amount in mapping.items():
            _count(total, name, amount)
    return dict(total.most_common())
