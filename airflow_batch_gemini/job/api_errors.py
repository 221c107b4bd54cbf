"""Reading a failed Vertex AI call: the typed error built from a Google error body. Pure; shared by the sync
and async hooks."""

from __future__ import annotations

import json

from airflow_batch_gemini.exceptions import GeminiBatchApiError, GeminiBatchTransientError
from airflow_batch_gemini.job.retry import is_transient_status

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
