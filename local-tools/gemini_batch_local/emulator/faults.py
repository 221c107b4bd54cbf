"""Fault injection: what goes wrong, where, decided deterministically from the seed (pure).

Every decision is a hash of ``(seed, scope, counter)``, so the same seed and the same sequence of
calls give the same faults. Behaviour comes from command-line defaults, overridden per job by
labels (label values may only hold lowercase letters, digits, ``-`` and ``_``, so rates in labels
are whole percentages).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

#: Not a method of its own: the create succeeds, then its answer is lost (the client sees the injected error).
CREATE_LOST = "create-lost"
METHODS = ("create", "get", "list", "cancel", "delete", CREATE_LOST)
LABEL_METHODS = ("create", "get", "cancel", "delete", CREATE_LOST)  # list calls name no job, so no label applies
OUTCOMES = ("auto", "succeeded", "failed", "expired", "cancelled", "paused", "partially-succeeded")
TRANSIENT_CODES = (429, 500, 503)

LABEL_OUTCOME = "emulator-outcome"
LABEL_ROW_FAILURE = "emulator-row-failure"
LABEL_QUEUE_SECONDS = "emulator-queue-seconds"
LABEL_RUN_SECONDS = "emulator-run-seconds"
LABEL_ROWS_PER_SECOND = "emulator-rows-per-second"
LABEL_API_FAULT_PREFIX = "emulator-api-fault-"


class FaultSpecError(ValueError):
    """A fault flag or label value that cannot be understood."""


def uniform(seed: int, *scope: object) -> float:
    """A number in [0, 1) fixed by the seed and the scope."""
    digest = hashlib.sha256(":".join(str(part) for part in (seed, *scope)).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


@dataclass(frozen=True)
class FaultSpec:
    """Fail a call with ``code`` (a random transient code if ``None``) at ``rate``, or its first ``first``."""

    rate: float = 0.0
    first: int = 0
    code: int | None = None

    def decide(self, seed: int, scope: str, attempt: int) -> int | None:
        """The HTTP code to fail attempt number ``attempt`` (0-based) with, or ``None``."""
        if attempt < self.first or (self.rate > 0 and uniform(seed, scope, attempt) < self.rate):
            if self.code is not None:
                return self.code
            pick = uniform(seed, scope, attempt, "code")
            return TRANSIENT_CODES[int(pick * len(TRANSIENT_CODES))]
        return None


def _code(text: str) -> int:
    code = int(text)
    if not 400 <= code <= 599:
        raise FaultSpecError(f"not an HTTP error code: {text}")
    return code


def _rate(text: str, scale: float) -> float:
    try:
        rate = float(text) / scale
    except ValueError as err:
        raise FaultSpecError(f"not a rate: {text!r}") from err
    if not 0.0 <= rate <= 1.0:
        raise FaultSpecError(f"a rate must lie between 0 and {scale:g}: {text}")
    return rate


def parse_label_fault(value: str) -> FaultSpec:
    """A label value: ``30`` (30 %), ``503-30`` (30 % as 503), ``first-2`` or ``429-first-2``."""
    match = re.fullmatch(r"(?:(\d{3})-)?(?:first-(\d+)|(\d{1,3}))", value)
    if match is None:
        raise FaultSpecError(f"bad fault label value {value!r}; expected [CODE-]PERCENT or [CODE-]first-N")
    code = _code(match.group(1)) if match.group(1) else None
    if match.group(2) is not None:
        return FaultSpec(first=int(match.group(2)), code=code)
    return FaultSpec(rate=_rate(match.group(3), 100.0), code=code)


def parse_method_rates(text: str) -> dict[str, FaultSpec]:
    """``--fault-rate get=0.3,create=503:0.1``: per method, a fraction, optionally with a code."""
    specs: dict[str, FaultSpec] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        method, sep, value = item.partition("=")
        if not sep or method not in METHODS:
            raise FaultSpecError(f"bad --fault-rate item {item!r}; expected METHOD=[CODE:]RATE, METHOD in {METHODS}")
        code_text, _, rate_text = value.rpartition(":")
        specs[method] = FaultSpec(rate=_rate(rate_text, 1.0), code=_code(code_text) if code_text else None)
    return specs


def _parse_row_failures(text: str, item_sep: str, pair_sep: str, scale: float) -> tuple[tuple[int, float], ...]:
    pairs: list[tuple[int, float]] = []
    for item in filter(None, (part.strip() for part in text.split(item_sep))):
        code_text, sep, rate_text = item.partition(pair_sep)
        if not sep:
            raise FaultSpecError(f"bad row failure {item!r}; expected CODE{pair_sep}RATE")
        try:
            pairs.append((_code(code_text), _rate(rate_text, scale)))
        except ValueError as err:
            raise FaultSpecError(f"bad row failure {item!r}: {err}") from err
    if sum(rate for _, rate in pairs) > 1.0:
        raise FaultSpecError(f"row failure rates add up to more than 100 %: {text!r}")
    return tuple(pairs)


def parse_row_failure_flag(text: str) -> tuple[tuple[int, float], ...]:
    """``--row-failure 429=0.5,503=0.1``."""
    return _parse_row_failures(text, ",", "=", 1.0)


def parse_row_failure_label(value: str) -> tuple[tuple[int, float], ...]:
    """``emulator-row-failure: 429-50`` or ``429-50_503-10`` (percentages)."""
    return _parse_row_failures(value, "_", "-", 100.0)


def row_failure_code(
    seed: int, job_id: str, index: int, failures: Sequence[tuple[int, float]]
) -> int | None:
    """The injected HTTP code for input line ``index`` of a job, or ``None``."""
    draw = uniform(seed, job_id, "row", index)
    threshold = 0.0
    for code, rate in failures:
        threshold += rate
        if draw < threshold:
            return code
    return None


@dataclass(frozen=True)
class Behaviour:
    """How one job behaves: timing, final outcome, injected row and API failures."""

    queue_seconds: float = 0.3
    run_seconds: float = 0.5
    rows_per_second: float = 100.0
    outcome: str = "auto"
    row_failures: tuple[tuple[int, float], ...] = ()
    api_faults: Mapping[str, FaultSpec] = field(default_factory=dict)


def _seconds(label: str, value: str) -> float:
    if not value.isdigit():
        raise FaultSpecError(f"label {label}: expected whole seconds, got {value!r}")
    return float(value)


def behaviour_for(defaults: Behaviour, labels: Mapping[str, str]) -> Behaviour:
    """Apply a job's ``emulator-*`` labels on top of the defaults. Raises :class:`FaultSpecError`."""
    behaviour = defaults
    api_faults = dict(defaults.api_faults)
    for label, value in labels.items():
        if label == LABEL_OUTCOME:
            if value not in OUTCOMES:
                raise FaultSpecError(f"label {label}: expected one of {', '.join(OUTCOMES)}, got {value!r}")
            behaviour = replace(behaviour, outcome=value)
        elif label == LABEL_ROW_FAILURE:
            behaviour = replace(behaviour, row_failures=parse_row_failure_label(value))
        elif label == LABEL_QUEUE_SECONDS:
            behaviour = replace(behaviour, queue_seconds=_seconds(label, value))
        elif label == LABEL_RUN_SECONDS:
            behaviour = replace(behaviour, run_seconds=_seconds(label, value))
        elif label == LABEL_ROWS_PER_SECOND:
            rate = _seconds(label, value)
            if rate <= 0:
                raise FaultSpecError(f"label {label}: must be positive")
            behaviour = replace(behaviour, rows_per_second=rate)
        elif label.startswith(LABEL_API_FAULT_PREFIX):
            method = label[len(LABEL_API_FAULT_PREFIX):]
            if method not in LABEL_METHODS:
                raise FaultSpecError(f"label {label}: unknown method {method!r}; expected one of {LABEL_METHODS}")
            api_faults[method] = parse_label_fault(value)
    return replace(behaviour, api_faults=api_faults)
