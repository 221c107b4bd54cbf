"""Output rows of a batch job: success or failure, the error inside a failure, token usage. No I/O.

A row's ``status`` is the empty string when the request succeeded; anything else is the error text,
e.g. ``Bad Request: {"error": {"code": 400, "message": "...", "status": "INVALID_ARGUMENT"}}``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

import msgspec

from airflow_batch_gemini.fieldnames import snake_case

#: Top-level fields the service writes in an output row; every other one was copied from the input line.
OUTPUT_FIELDS = frozenset({"status", "processed_time", "request", "response"})
#: Category of a line of the output that is not a JSON object (it is kept, as a failure).
UNREADABLE_ROW = "UNREADABLE_ROW"
#: Category of a row without a ``status`` field.
MISSING_STATUS = "MISSING_STATUS"
#: Longest category derived from free error text; the rest is cut so that counts stay small.
MAX_CATEGORY_CHARS = 60
#: Status names of errors worth sending again: quota, overload, server-side and deadline errors.
RETRYABLE_STATUSES = frozenset({"RESOURCE_EXHAUSTED", "UNAVAILABLE", "INTERNAL", "DEADLINE_EXCEEDED"})
#: Words of a status text without embedded JSON that name a retryable error.
RETRYABLE_PHRASES = ("too many requests", "resource exhausted", "service unavailable", "internal error",
                     "internal server error", "deadline exceeded", "gateway timeout")


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
        """A short label to count failures by: the status name, else the code, else the text's head."""
        if self.status:
            return self.status
        if self.code is not None:
            return f"CODE_{self.code}"
        head = self.raw.split(":", 1)[0].strip()
        return head[:MAX_CATEGORY_CHARS] or MISSING_STATUS

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


def _first_json_object(text: str) -> dict[str, Any] | None:
    """Return the first JSON object embedded in ``text``, or ``None``."""
    decoder = json.JSONDecoder()
    start = text.find("{")
    while start != -1:
        try:
            value, _ = decoder.raw_decode(text, start)
        except json.JSONDecodeError:
            start = text.find("{", start + 1)
            continue
        return value if isinstance(value, dict) else None
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
    JSON object (a ``dict``) is an unreadable row."""
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
        return json.loads(raw)


def parse_row(raw: bytes) -> Any:
    """Parse one raw line of an output file into its row; ``None`` when it is not JSON."""
    try:
        return load_json(raw)
    except ValueError:
        return None


def with_line_break(raw: bytes) -> bytes:
    """A raw line as a result file holds it: with its line break (a file's last line may have none)."""
    return raw if raw.endswith(b"\n") else raw + b"\n"


def classify_line(raw: bytes) -> RowOutcome:
    """Classify one raw line of an output file; a line that is not JSON counts as a failure."""
    return classify_row(parse_row(raw))
