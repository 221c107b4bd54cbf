"""Output rows of a batch job: success or failure, the error inside a failure, token usage. No I/O.

A row's ``status`` is the empty string when the request succeeded; anything else is the error text,
e.g. ``Bad Request: {"error": {"code": 400, "message": "...", "status": "INVALID_ARGUMENT"}}``.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from http import HTTPStatus
from typing import Any

import msgspec

from airflow_batch_gemini.bounds import MAX_JSON_DEPTH, nesting_depth_over
from airflow_batch_gemini.fieldnames import snake_case
from airflow_batch_gemini.lines import OverlongLine
from airflow_batch_gemini.output.deep_rows import top_level_members
from airflow_batch_gemini.output.large_rows import TooLargeRow, too_large_row

#: Top-level fields the service writes in an output row; every other one was copied from the input line.
OUTPUT_FIELDS = frozenset({"status", "processed_time", "request", "response"})
#: Category of a line of the output that is not a JSON object (it is kept, as a failure).
UNREADABLE_ROW = "UNREADABLE_ROW"
#: Category of a row without a ``status`` field.
MISSING_STATUS = "MISSING_STATUS"
#: Category of a row nested deeper than :data:`~airflow_batch_gemini.bounds.MAX_JSON_DEPTH` (never decoded).
ROW_TOO_DEEP = "ROW_TOO_DEEP"
#: Category of a row longer than ``max_row_bytes`` (never held: :mod:`~airflow_batch_gemini.output.large_rows`).
ROW_TOO_LARGE = "ROW_TOO_LARGE"
#: Category of a status text whose head is no known reason phrase (it could quote a row's values).
OTHER_STATUS_TEXT = "OTHER_STATUS_TEXT"
#: Status names of errors worth sending again: quota, overload, server-side and deadline errors.
RETRYABLE_STATUSES = frozenset({"RESOURCE_EXHAUSTED", "UNAVAILABLE", "INTERNAL", "DEADLINE_EXCEEDED"})
#: Words of a status text without embedded JSON that name a retryable error.
RETRYABLE_PHRASES = ("too many requests", "resource exhausted", "service unavailable", "internal error",
                     "internal server error", "deadline exceeded", "gateway timeout")
#: Heads of a status text (before its first ``:``) counted as their own category: HTTP reason phrases and the
#: service's phrases. Any other head counts as :data:`OTHER_STATUS_TEXT`, so that a status text quoting a
#: row's value never puts it into the manifest or the logs.
#: What a status name looks like (``RESOURCE_EXHAUSTED``, or the package's own ``ROW_TOO_DEEP``).
_STATUS_NAME = re.compile(r"[A-Z][A-Z0-9_]{0,59}")
KNOWN_STATUS_HEADS = frozenset(
    {status.phrase.lower() for status in HTTPStatus} | set(RETRYABLE_PHRASES) | {"internal error encountered"}
)


@dataclass(frozen=True)
class RowError:
    """The error of a failed row, as far as its status text tells.

    :param raw: the status text, unchanged.
    :param code: the numeric error code (e.g. ``400``), if the text embeds a JSON error.
    :param status: the Google status name (e.g. ``INVALID_ARGUMENT``), if embedded.
    :param message: the error message; the whole text when nothing is embedded.
    """

    raw: str
    code: int | None = None
    status: str | None = None
    message: str = ""

    @property
    def category(self) -> str:
        """A short label to count failures by: the status name (``INVALID_ARGUMENT``), else the code, else the
        text's head when it is a known reason phrase (:data:`KNOWN_STATUS_HEADS`); :data:`OTHER_STATUS_TEXT` for
        anything else, which could quote a row's value."""
        if self.status:
            return self.status if _STATUS_NAME.fullmatch(self.status) else OTHER_STATUS_TEXT
        if self.code is not None:
            return f"CODE_{self.code}"
        head = self.raw.split(":", 1)[0].strip()
        if not head:
            return MISSING_STATUS
        return head if head.lower().rstrip(".") in KNOWN_STATUS_HEADS else OTHER_STATUS_TEXT

    @property
    def retryable(self) -> bool:
        """Whether sending the same request again may succeed: 429, a 5xx, a deadline exceeded.

        A 4xx other than 429 (``400 INVALID_ARGUMENT`` above all) never is: the request itself is wrong.
        Without an embedded code or status, the text's wording decides.
        """
        if self.code is not None and 400 <= self.code < 500 and self.code != 429:
            return False
        if self.code == 429 or (self.code is not None and 500 <= self.code < 600):
            return True
        if self.status is not None:
            return self.status in RETRYABLE_STATUSES
        text = self.raw.lower()
        return any(phrase in text for phrase in RETRYABLE_PHRASES)

    def as_dict(self) -> dict[str, Any]:
        """``{"code", "status", "message"}``: the parsed error as it is added to a failed row."""
        return {"code": self.code, "status": self.status, "message": self.message}


@dataclass(frozen=True)
class TokenUsage:
    """Token counts of one row, or summed over many (``usageMetadata`` of the response)."""

    prompt_tokens: int = 0
    candidates_tokens: int = 0
    thoughts_tokens: int = 0
    cached_tokens: int = 0
    total_tokens: int = 0

    def __add__(self, other: TokenUsage) -> TokenUsage:
        return TokenUsage(
            self.prompt_tokens + other.prompt_tokens,
            self.candidates_tokens + other.candidates_tokens,
            self.thoughts_tokens + other.thoughts_tokens,
            self.cached_tokens + other.cached_tokens,
            self.total_tokens + other.total_tokens,
        )

    def as_dict(self) -> dict[str, int]:
        """The counts as a plain dict, for XCom."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class RowOutcome:
    """How one output line ended.

    :param succeeded: ``True`` when the row's status is the empty string.
    :param error: the parsed error of a failed row, ``None`` for a success.
    :param usage: the row's token usage (zero when the response has none).
    :param model_version: the response's ``modelVersion``, if any.
    """

    succeeded: bool
    error: RowError | None
    usage: TokenUsage
    model_version: str | None = None


@dataclass(frozen=True)
class TooDeepRow:
    """A line nested deeper than :data:`~airflow_batch_gemini.bounds.MAX_JSON_DEPTH`: never decoded, it fails
    as :data:`ROW_TOO_DEEP`.

    :param top_level: its top-level members, nested values as ``None``
        (:func:`~airflow_batch_gemini.output.deep_rows.top_level_members`); ``None`` when it is no JSON object.
    :param fingerprint: a digest of its bytes, which identifies it when it has no key.
    """

    top_level: dict[str, Any] | None
    fingerprint: bytes


def too_deep_row(raw: bytes) -> TooDeepRow:
    """The :class:`TooDeepRow` of a line nested too deep to decode."""
    return TooDeepRow(top_level_members(raw), hashlib.blake2b(raw.strip(), digest_size=16).digest())


#: The error of a :class:`TooDeepRow`.
TOO_DEEP_ERROR = RowError(
    raw="", status=ROW_TOO_DEEP,
    message=f"the row nests objects or arrays more than {MAX_JSON_DEPTH} levels deep, so it was not decoded; the "
    "service is said to refuse requests nested beyond 15 levels (not documented): flatten the request",
)


def too_large_error(row: TooLargeRow) -> RowError:
    """The error of a :class:`~airflow_batch_gemini.output.large_rows.TooLargeRow`: its size, the limit, what to do."""
    return RowError(
        raw="", status=ROW_TOO_LARGE,
        message=f"the row is {row.size:,} bytes long, over max_row_bytes ({row.limit:,} bytes), so it was not read "
        f"(line {row.line} of {row.part}, SHA-256 {row.sha256}); raise max_row_bytes to read it",
    )


#: How much of a status text is searched for an embedded JSON error (its start), and how many ``{`` tried there.
STATUS_SEARCH_CHARS = 64 * 1024
STATUS_SEARCH_STARTS = 16


def _first_json_object(text: str) -> dict[str, Any] | None:
    """Return the first JSON object embedded in ``text``, or ``None``. Bounded whatever the text: only its first
    :data:`STATUS_SEARCH_CHARS` are searched, at most :data:`STATUS_SEARCH_STARTS` ``{`` are tried, and one nested
    deeper than :data:`~airflow_batch_gemini.bounds.MAX_JSON_DEPTH` is passed over, never decoded."""
    decoder = json.JSONDecoder()
    head = text[:STATUS_SEARCH_CHARS]
    start = head.find("{")
    for _ in range(STATUS_SEARCH_STARTS):
        if start == -1:
            break
        if not nesting_depth_over(head[start:].encode(errors="surrogatepass")):
            try:
                value, _ = decoder.raw_decode(head, start)
            except json.JSONDecodeError:
                pass
            else:
                return value if isinstance(value, dict) else None
        start = head.find("{", start + 1)
    return None


def _as_int(value: Any) -> int | None:
    """Return ``value`` as an int (proto3 JSON sends int64 as strings), or ``None``."""
    if type(value) is int:
        return value
    if isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def parse_row_error(status_text: str) -> RowError:
    """Parse the error out of a failed row's status text; keep the raw text when it embeds no JSON.

    ``Bad Request: {"error": {"code": 400, "message": "m", "status": "INVALID_ARGUMENT"}}`` gives code
    400, status ``INVALID_ARGUMENT`` and message ``m``; ``Internal error`` gives only the raw text.
    """
    embedded = _first_json_object(status_text)
    error = embedded.get("error", embedded) if embedded is not None else None
    if not isinstance(error, dict):
        return RowError(raw=status_text, message=status_text)
    status = error.get("status")
    message = error.get("message")
    return RowError(
        raw=status_text,
        code=_as_int(error.get("code")),
        status=status if isinstance(status, str) and status else None,
        message=message if isinstance(message, str) else status_text,
    )


def _lookup(mapping: Mapping[str, Any], camel: str) -> Any:
    """Get a field by its lowerCamelCase name or its snake_case twin."""
    if camel in mapping:
        return mapping[camel]
    return mapping.get(snake_case(camel))


def token_usage(row: Mapping[str, Any]) -> TokenUsage:
    """Return the token counts of a parsed output row (all zero when the response has no usage metadata)."""
    response = row.get("response")
    usage = _lookup(response, "usageMetadata") if isinstance(response, dict) else None
    if not isinstance(usage, dict):
        return TokenUsage()

    def count(name: str) -> int:
        return _as_int(_lookup(usage, name)) or 0

    return TokenUsage(
        prompt_tokens=count("promptTokenCount"),
        candidates_tokens=count("candidatesTokenCount"),
        thoughts_tokens=count("thoughtsTokenCount"),
        cached_tokens=count("cachedContentTokenCount"),
        total_tokens=count("totalTokenCount"),
    )


def model_version(row: Mapping[str, Any]) -> str | None:
    """Return the ``modelVersion`` of an output row's response, or ``None``."""
    response = row.get("response")
    version = _lookup(response, "modelVersion") if isinstance(response, dict) else None
    return version if isinstance(version, str) and version else None


def classify_row(row: Any) -> RowOutcome:
    """Tell whether a parsed output row succeeded (``status == ""``) and, if not, why; anything but a
    JSON object (a ``dict``) is an unreadable row, a :class:`TooDeepRow` fails as :data:`ROW_TOO_DEEP`, a
    :class:`~airflow_batch_gemini.output.large_rows.TooLargeRow` as :data:`ROW_TOO_LARGE`."""
    if isinstance(row, TooDeepRow):
        return RowOutcome(False, TOO_DEEP_ERROR, TokenUsage())
    if isinstance(row, TooLargeRow):
        return RowOutcome(False, too_large_error(row), TokenUsage())
    if not isinstance(row, dict):
        return RowOutcome(False, RowError(raw="", status=UNREADABLE_ROW, message="not a JSON object"), TokenUsage())
    usage = token_usage(row)
    version = model_version(row)
    status = row.get("status")
    if status == "":
        return RowOutcome(True, None, usage, version)
    if status is None:
        error = RowError(raw="", status=MISSING_STATUS, message="the row has no status")
        return RowOutcome(False, error, usage, version)
    text = status if isinstance(status, str) else json.dumps(status)
    return RowOutcome(False, parse_row_error(text), usage, version)


#: Decodes JSON fast, integers of any size exactly (orjson turns those beyond 64 bits into floats).
_DECODE = msgspec.json.Decoder().decode


def load_json(raw: bytes) -> Any:
    """Parse JSON text: msgspec, and the standard library for what only it accepts (``NaN``, ``Infinity``).

    :raises ValueError: ``raw`` is not JSON (or not UTF-8).
    """
    try:
        return _DECODE(raw)
    except ValueError:
        # decoded as UTF-8 first: json.loads(bytes) would take UTF-16 and UTF-32 too, which the depth check does
        # not read (a row nested beyond the recursion limit in UTF-16 passed it)
        return json.loads(raw.decode("utf-8"))


def decode_line(raw: bytes) -> Any:
    """Decode one raw line of an output or an input file, bounded in depth: a line nested deeper than
    :data:`~airflow_batch_gemini.bounds.MAX_JSON_DEPTH` becomes a :class:`TooDeepRow` and is never decoded.

    :raises ValueError: ``raw`` is not JSON (or not UTF-8).
    """
    if nesting_depth_over(raw):
        return too_deep_row(raw)
    return load_json(raw)


def parse_row(raw: bytes) -> Any:
    """Parse one raw line of an output file into its row (:func:`decode_line`); ``None`` when it is not JSON."""
    try:
        return decode_line(raw)
    except ValueError:
        return None


def read_row(raw: bytes | OverlongLine, part: str, number: int) -> tuple[Any, bytes] | None:
    """A line as a :class:`~airflow_batch_gemini.output.ports.RowSource` gives it, line ``number`` (from 1) of
    ``part``: its row (:func:`parse_row`) and its bytes; ``None`` for a blank line. An over-long line is its
    :class:`~airflow_batch_gemini.output.large_rows.TooLargeRow`, with no bytes (it was never held)."""
    if isinstance(raw, OverlongLine):
        return too_large_row(raw, part, number), b""
    return (parse_row(raw), raw) if raw.strip() else None


def json_line(value: Any) -> bytes:
    """``value`` as one compact JSON line in UTF-8; a string UTF-8 cannot hold (a lone surrogate, which a row may
    carry as ``"\\ud800"``) is written escaped, as the row had it."""
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"
    except UnicodeEncodeError:
        return json.dumps(value, separators=(",", ":")).encode() + b"\n"


def with_line_break(raw: bytes) -> bytes:
    """A raw line as a result file holds it: with its line break (a file's last line may have none)."""
    return raw if raw.endswith(b"\n") else raw + b"\n"


def classify_line(raw: bytes) -> RowOutcome:
    """Classify one raw line of an output file; a line that is not JSON counts as a failure."""
    return classify_row(parse_row(raw))
