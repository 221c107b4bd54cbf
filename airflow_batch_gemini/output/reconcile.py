"""Reconcile a batch job's output rows with its input rows, tally them, and plan resubmissions. No I/O.

Rows are joined by a key: the first of the ``key_fields`` (``key``, ``id``) a line carries, which the
service copies from an input line to its output row; a line without one is joined by a hash of its
request, normalised because the service echoes requests with explicit nulls and may use snake_case.

Memory: :class:`RowLedger` keeps a 16-byte digest and a small count per distinct input row, about
100 bytes in CPython (about 20 MB for the service's maximum of 200,000 rows); rows are never kept.
"""

from __future__ import annotations

import enum
import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from airflow_batch_gemini.fieldnames import camel_case
from airflow_batch_gemini.output.rows import RowError, RowOutcome, TokenUsage, classify_row, load_json

#: Top-level fields that identify a row, tried in this order.
DEFAULT_KEY_FIELDS = ("key", "id")
#: Top-level fields the service adds to an output row; every other one was copied from the input line.
OUTPUT_FIELDS = frozenset({"status", "processed_time", "request", "response"})
#: Field added to each row of ``failed.jsonl``: the error parsed out of its status text.
PARSED_ERROR_FIELD = "parsed_error"
#: Failure categories and model versions counted one by one; rarer ones are counted under ``OTHER``.
MAX_CATEGORIES = 20
OTHER_CATEGORY = "OTHER"
_DIGEST_BYTES = 16


def normalise(value: Any) -> Any:
    """A request as the service would read it: null fields dropped, keys in lowerCamelCase, recursively."""
    if isinstance(value, Mapping):
        return {camel_case(str(key)): normalise(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [normalise(item) for item in value]
    return value


def row_key(row: Mapping[str, Any], key_fields: Sequence[str] = DEFAULT_KEY_FIELDS) -> str | None:
    """The row's key: the first of ``key_fields`` holding a string or a number, as text; else ``None``.

    Numbers and strings compare as text, because the service may turn a numeric-looking string key
    into a number in the output row.
    """
    for name in key_fields:
        value = row.get(name)
        if isinstance(value, str | int | float) and not isinstance(value, bool) and value != "":
            return str(value)
    return None


def row_identity(row: Any, key_fields: Sequence[str] = DEFAULT_KEY_FIELDS) -> bytes:
    """A 16-byte digest joining an input line and its output row: of the key, else of the normalised request."""
    if isinstance(row, Mapping):
        key = row_key(row, key_fields)
        if key is not None:
            material = b"k" + key.encode()
        else:
            request = json.dumps(normalise(row.get("request")), sort_keys=True, separators=(",", ":"))
            material = b"r" + request.encode()
    else:
        material = b"v" + json.dumps(row, sort_keys=True).encode()
    return hashlib.blake2b(material, digest_size=_DIGEST_BYTES).digest()


def line_identity(raw: bytes, key_fields: Sequence[str] = DEFAULT_KEY_FIELDS) -> bytes:
    """:func:`row_identity` of a raw line; a line that is not JSON is identified by its bytes."""
    try:
        row = load_json(raw)
    except ValueError:
        return hashlib.blake2b(b"x" + raw.strip(), digest_size=_DIGEST_BYTES).digest()
    return row_identity(row, key_fields)


class Claim(enum.Enum):
    """What an output row is to the input: its row, a second answer to it, or no row of it."""

    MATCHED = "matched"
    DUPLICATE = "duplicate"
    UNEXPECTED = "unexpected"


class RowLedger:
    """The input rows, by identity, with how many of each are still waiting for an output row."""

    def __init__(self) -> None:
        self._open: dict[bytes, int] = {}
        self.rows = 0
        self.outstanding = 0

    def expect(self, identity: bytes) -> None:
        """Record one input row."""
        self._open[identity] = self._open.get(identity, 0) + 1
        self.rows += 1
        self.outstanding += 1

    def claim(self, identity: bytes) -> Claim:
        """Match one row against the input rows still open, closing one of them if it matches."""
        left = self._open.get(identity)
        if left is None:
            return Claim.UNEXPECTED
        if left == 0:
            return Claim.DUPLICATE
        self._open[identity] = left - 1
        self.outstanding -= 1
        return Claim.MATCHED


def retry_line(row: Mapping[str, Any]) -> bytes:
    """The input line that sends a failed row's request again, with the row's own extra keys (its key).

    The echoed request is normalised (no nulls, lowerCamelCase), so it joins back to the same input row.
    """
    line = {name: value for name, value in row.items() if name not in OUTPUT_FIELDS and name != PARSED_ERROR_FIELD}
    line["request"] = normalise(row.get("request"))
    return json.dumps(line, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


def is_retryable(row: Any) -> bool:
    """Whether a failed output row is worth sending again: it echoes its request and its error is retryable
    (429 RESOURCE_EXHAUSTED, a 5xx, deadline exceeded; never 400 INVALID_ARGUMENT)."""
    if not isinstance(row, Mapping) or not isinstance(row.get("request"), Mapping):
        return False
    error = classify_row(row).error
    return error is not None and error.retryable


def annotate_failure(raw: bytes, row: Any, error: RowError) -> bytes:
    """A failed row's line with its parsed error added (``parsed_error``); a line that is no object stays as is."""
    if not isinstance(row, Mapping):
        return raw if raw.endswith(b"\n") else raw + b"\n"
    annotated = {**row, PARSED_ERROR_FIELD: error.as_dict()}
    if b"NaN" not in raw and b"Infinity" not in raw:  # orjson would write them as null
        try:
            return orjson.dumps(annotated, option=orjson.OPT_APPEND_NEWLINE)
        except TypeError:  # an integer beyond 64 bits
            pass
    return json.dumps(annotated, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


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

    def counts(self) -> dict[str, Any]:
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


def disagreements(
    tally: Tally, missing: int | None, completion_stats: Mapping[str, Any] | None
) -> list[str]:
    """What does not add up between the output rows, the input rows and the job's ``completionStats``.

    :param tally: the counts of the output rows.
    :param missing: input rows without an output row (``None`` when there was no input to reconcile).
    :param completion_stats: the job's ``{"succeeded", "failed", "incomplete"}``, if known.
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
    return found


def sum_counts(mappings: Iterable[Mapping[str, int]]) -> dict[str, int]:
    """Add up count dicts (failures by status, token usage, model versions), keeping at most ``MAX_CATEGORIES``."""
    total: Counter[str] = Counter()
    for mapping in mappings:
        for name, amount in mapping.items():
            _count(total, name, amount)
    return dict(total.most_common())


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


def summary_table(manifest: Mapping[str, Any]) -> str:
    """The result counts, failures and token usage as a small text table for the task log."""
    lines = [f"{'rows':<28}{'count':>12}  file"]
    for name in ("succeeded", "failed", "missing"):
        lines.append(f"{name:<28}{manifest.get(name, 0):>12,}  {manifest.get(f'{name}_uri', '')}")
    if manifest.get("input_rows") is not None:
        lines.append(f"{'input rows':<28}{manifest['input_rows']:>12,}")
    for status, count in (manifest.get("failures_by_status") or {}).items():
        lines.append(f"{'  failed: ' + status:<28}{count:>12,}")
    for name, count in (manifest.get("token_usage") or {}).items():
        if count:
            lines.append(f"{'tokens: ' + name:<28}{count:>12,}")
    lines.extend(f"DISAGREEMENT: {text}" for text in manifest.get("disagreements") or [])
    return "\n".join(lines)


def final_sources(rounds: Sequence[Mapping[str, Any]]) -> dict[str, list[str]]:
    """The files whose concatenation makes each final result file, over the rounds run so far.

    Round 0 is the first split; each later round holds ``kept_failed_uri`` (the failures of the
    round before that were not resubmitted) and its own result files. Succeeded rows of every round
    count; failed rows are the ones kept at each resubmission plus the last round's; missing rows are
    the last round's (missing rows are always resubmitted).
    """
    later, last = rounds[1:], rounds[-1]
    return {
        "succeeded_uri": [str(item["succeeded_uri"]) for item in rounds],
        "failed_uri": [str(item["kept_failed_uri"]) for item in later] + [str(last["failed_uri"])],
        "missing_uri": [str(last["missing_uri"])],
    }


def merge_rounds(rounds: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """One manifest over all rounds: final counts, failures, token usage, model versions, disagreements.

    :param rounds: round 0 (the split's manifest), then one record per resubmission round.
    """
    first, later, last = rounds[0], rounds[1:], rounds[-1]
    failed = sum(int(item["kept_failed"]) for item in later) + int(last["failed"])
    manifest: dict[str, Any] = {
        "job_name": first.get("job_name"),
        "job_names": [item.get("job_name") for item in rounds],
        "rounds": len(later),
        "input_rows": first.get("input_rows"),
        "reconciled": bool(first.get("reconciled")),
        "succeeded": sum(int(item["succeeded"]) for item in rounds),
        "failed": failed,
        "missing": int(last.get("missing", 0)),
        "failures_by_status": sum_counts(
            [item["kept_failures_by_status"] for item in later] + [last.get("failures_by_status") or {}]
        ),
        "failures_by_code": sum_counts(
            [item["kept_failures_by_code"] for item in later] + [last.get("failures_by_code") or {}]
        ),
        "token_usage": sum_counts(item.get("token_usage") or {} for item in rounds),
        "model_versions": sum_counts(item.get("model_versions") or {} for item in rounds),
        "round_summaries": [
            {
                "round": index,
                "job_name": item.get("job_name"),
                "input_rows": item.get("input_rows"),
                "succeeded": item["succeeded"],
                "failed": item["failed"],
                "missing": item.get("missing", 0),
                "resubmitted": rounds[index + 1]["input_rows"] if index + 1 < len(rounds) else 0,
            }
            for index, item in enumerate(rounds)
        ],
        "unfinished_rounds": [item["unfinished"] for item in later if item.get("unfinished")],
        "disagreements": [
            f"round {index}: {text}" for index, item in enumerate(rounds) for text in item.get("disagreements") or []
        ],
    }
    accounted = manifest["succeeded"] + manifest["failed"] + manifest["missing"]
    if manifest["reconciled"] and manifest["input_rows"] is not None and accounted != manifest["input_rows"]:
        manifest["disagreements"].append(
            f"succeeded + failed + missing is {accounted}, the input holds {manifest['input_rows']} row(s)"
        )
    return manifest
