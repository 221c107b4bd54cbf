"""The bench's vocabulary: rows, targets, sizes, the context handed to cases, and the case registry."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from gemini_batch_local.local_stack import LocalStack


@dataclass(frozen=True)
class Figure:
    """One absolute measurement: ``value`` in ``unit`` (``s``, ``ms``, ``MB``, ``KB``, ``%``, ``µs``)."""

    value: float
    unit: str

    def __str__(self) -> str:
        return f"{self.value:,.3g} {self.unit}" if abs(self.value) < 100 else f"{self.value:,.0f} {self.unit}"


@dataclass(frozen=True)
class Target:
    """What a row must show: ``ratio`` (or the subject's absolute ``value``) at most ``limit``.

    :param limit: the bound.
    :param on: ``"ratio"`` or ``"value"`` (the subject's absolute figure, in its unit).
    :param strict: ``<`` rather than ``<=``.
    """

    limit: float
    on: str = "ratio"
    strict: bool = False

    def met(self, ratio: float, value: float) -> bool:
        """Whether the measured ratio (or value) is within the bound."""
        measured = ratio if self.on == "ratio" else value
        return measured < self.limit if self.strict else measured <= self.limit

    def describe(self, unit: str) -> str:
        """``≤1.5x`` or ``<200 MB``."""
        sign = "<" if self.strict else "≤"
        return f"{sign}{self.limit:g}x" if self.on == "ratio" else f"{sign}{self.limit:g} {unit}"


@dataclass(frozen=True)
class Row:
    """One line of the table.

    :param name: what is measured, e.g. ``validation vs orjson parse-only``.
    :param size: the input size it was measured on, e.g. ``200,000 rows``.
    :param subject: the package's figure.
    :param baseline: the baseline's figure, same unit.
    :param baseline_name: what the baseline is.
    :param target: the goal of the row.
    :param note: how it was measured, extrapolations, who owns the gap.
    """

    name: str
    size: str
    subject: Figure
    baseline: Figure
    baseline_name: str
    target: Target
    note: str = ""

    @property
    def ratio(self) -> float:
        """Subject over baseline."""
        return self.subject.value / self.baseline.value if self.baseline.value else float("inf")

    @property
    def met(self) -> bool:
        """Whether the row meets its target."""
        return self.target.met(self.ratio, self.subject.value)

    def verdict(self) -> str:
        """``met`` or ``GAP``."""
        return "met" if self.met else "GAP"

    def as_dict(self) -> dict[str, Any]:
        """The row as JSON-ready data, with the derived ratio, target text and verdict."""
        return {
            **asdict(self),
            "ratio": self.ratio,
            "target_text": self.target.describe(self.subject.unit),
            "met": self.met,
        }


@dataclass(frozen=True)
class Sizes:
    """How big each measurement is. :meth:`default`, :meth:`full` (``--full``) and :meth:`smoke` (tests)."""

    validation_rows: int
    upload_rows: int
    split_rows: int
    growth_rows: tuple[int, ...]
    rss_bytes: int
    rss_row_chars: int
    poll_seconds: float
    triggers: int
    trigger_interval: float
    trigger_window: float
    repeat: int
    hostile_line_bytes: int
    bomb_bytes: int
    hostile_max_line_bytes: int

    @classmethod
    def default(cls) -> Sizes:
        """What ``make bench`` runs: the issue's row counts, 250 MB for the memory rows; for the rows of hostile
        input a 200 MB line and a gzip bomb that inflates to 300 MB, read with ``max_line_bytes`` of 8 MiB."""
        return cls(
            validation_rows=200_000, upload_rows=50_000, split_rows=200_000, growth_rows=(10_000, 100_000, 200_000),
            rss_bytes=250_000_000, rss_row_chars=4_000, poll_seconds=5.0, triggers=1_000, trigger_interval=2.0,
            trigger_window=20.0, repeat=3, hostile_line_bytes=200_000_000, bomb_bytes=300_000_000,
            hostile_max_line_bytes=8 * 2**20,
        )

    @classmethod
    def full(cls) -> Sizes:
        """``--full``: the memory rows on 0.99 GB files, just under the service's 10^9-byte input limit
        (longer rows keep the count under its 200,000-request limit)."""
        return cls(**{**asdict(cls.default()), "rss_bytes": 990_000_000, "rss_row_chars": 6_000})

    @classmethod
    def smoke(cls) -> Sizes:
        """``--smoke``: tiny sizes that only prove the harness works (the test suite runs this)."""
        return cls(
            validation_rows=300, upload_rows=300, split_rows=300, growth_rows=(100, 200, 300),
            rss_bytes=2 * 2**20, rss_row_chars=500, poll_seconds=0.5, triggers=20, trigger_interval=0.5,
            trigger_window=1.5, repeat=1, hostile_line_bytes=2_000_000, bomb_bytes=3_000_000,
            hostile_max_line_bytes=256 * 2**10,
        )


@dataclass
class BenchContext:
    """What a case gets: the sizes, the running local stack, a bucket, a scratch folder, shared data."""

    sizes: Sizes
    stack: LocalStack
    bucket: str
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="gemini-bench-")))
    cache: dict[str, Any] = field(default_factory=dict)

    def memo(self, key: str, make: Callable[[], Any]) -> Any:
        """``make()`` once per run, then the same value (e.g. generated lines shared by cases)."""
        if key not in self.cache:
            self.cache[key] = make()
        return self.cache[key]


Case = Callable[[BenchContext], list[Row]]


@dataclass(frozen=True)
class RegisteredCase:
    """A registered case: ``name`` (for ``--only``), its function, and its place in the table."""

    name: str
    run: Case
    order: int


CASES: dict[str, RegisteredCase] = {}


def bench_case(name: str, order: int = 100) -> Callable[[Case], Case]:
    """Register a case under ``name``; rows are printed by ``order``, then by registration."""

    def register(run: Case) -> Case:
        if name in CASES:
            raise ValueError(f"bench case {name!r} is registered twice")
        CASES[name] = RegisteredCase(name, run, order)
        return run

    return register


def selected_cases(only: list[str] | None = None) -> list[RegisteredCase]:
    """The registered cases in table order, keeping those whose name contains one of ``only``."""
    cases = sorted(CASES.values(), key=lambda case: case.order)
    if not only:
        return cases
    return [case for case in cases if any(part in case.name for part in only)]
