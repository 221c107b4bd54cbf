"""How API failures are read and retried: pure functions shared by the sync and async hooks."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass

from airflow_batch_gemini.exceptions import GeminiBatchApiError, GeminiBatchTransientError

#: HTTP codes worth retrying: too many requests, and the server-side failures that pass.
TRANSIENT_STATUS_CODES = frozenset({408, 429, 500, 502, 503, 504})

_STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    408: "DEADLINE_EXCEEDED",
    409: "ALREADY_EXISTS",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    502: "UNAVAILABLE",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}


def is_transient_status(status_code: int) -> bool:
    """Whether an HTTP status code is worth retrying."""
    return status_code in TRANSIENT_STATUS_CODES


def api_error(status_code: int, body: str | bytes, method: str) -> GeminiBatchApiError:
    """Build the typed error for a failed call from its Google-style error body.

    A body that is not ``{"error": {...}}`` (a proxy's HTML page, say) is kept as the message.
    Transient codes give a :class:`GeminiBatchTransientError`.
    """
    text = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else body
    status = _STATUS_NAMES.get(status_code, "UNKNOWN")
    message = text.strip()[:1000]
    try:
        error = json.loads(text)["error"]
        status = str(error.get("status") or status)
        message = str(error.get("message") or message)
    except (ValueError, KeyError, TypeError, AttributeError):
        pass
    cls = GeminiBatchTransientError if is_transient_status(status_code) else GeminiBatchApiError
    return cls(status_code, status, message, method)


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter for transient API errors.

    :param attempts: calls in all, the first included.
    :param initial_delay: seconds before the first retry (before jitter).
    :param max_delay: the longest wait between two calls.
    :param multiplier: growth of the wait from one retry to the next.
    """

    attempts: int = 5
    initial_delay: float = 1.0
    max_delay: float = 30.0
    multiplier: float = 2.0

    def delay(self, retry_number: int, rng: random.Random | None = None) -> float:
        """Seconds to wait before retry ``retry_number`` (1 for the first retry)."""
        ceiling = min(self.max_delay, self.initial_delay * self.multiplier ** (retry_number - 1))
        return (rng or random).uniform(ceiling / 2, ceiling)
