"""Wire formats of the Vertex AI REST surface: proto3 JSON values and Google-style error bodies.

Everything here is pure: no I/O, no clock.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from airflow_batch_gemini.fieldnames import camel_case

#: ``google.cloud.aiplatform.v1.JobState`` names and their numbers (for ``enum-encoding=int``).
JOB_STATE_NUMBERS: dict[str, int] = {
    "JOB_STATE_UNSPECIFIED": 0,
    "JOB_STATE_QUEUED": 1,
    "JOB_STATE_PENDING": 2,
    "JOB_STATE_RUNNING": 3,
    "JOB_STATE_SUCCEEDED": 4,
    "JOB_STATE_FAILED": 5,
    "JOB_STATE_CANCELLING": 6,
    "JOB_STATE_CANCELLED": 7,
    "JOB_STATE_PAUSED": 8,
    "JOB_STATE_EXPIRED": 9,
    "JOB_STATE_UPDATING": 10,
    "JOB_STATE_PARTIALLY_SUCCEEDED": 11,
}

#: google.rpc.Code: number -> (canonical name, HTTP status).
RPC_CODES: dict[int, tuple[str, int]] = {
    0: ("OK", 200),
    1: ("CANCELLED", 499),
    2: ("UNKNOWN", 500),
    3: ("INVALID_ARGUMENT", 400),
    4: ("DEADLINE_EXCEEDED", 504),
    5: ("NOT_FOUND", 404),
    6: ("ALREADY_EXISTS", 409),
    7: ("PERMISSION_DENIED", 403),
    8: ("RESOURCE_EXHAUSTED", 429),
    9: ("FAILED_PRECONDITION", 400),
    10: ("ABORTED", 409),
    11: ("OUT_OF_RANGE", 400),
    12: ("UNIMPLEMENTED", 501),
    13: ("INTERNAL", 500),
    14: ("UNAVAILABLE", 503),
    15: ("DATA_LOSS", 500),
    16: ("UNAUTHENTICATED", 401),
}

#: HTTP status -> the google.rpc.Code a Google front end reports with it (used for injected faults).
HTTP_TO_RPC: dict[int, int] = {400: 3, 404: 5, 409: 10, 429: 8, 500: 13, 501: 12, 503: 14, 504: 4}

#: HTTP reason phrases as the batch service writes them in front of a failed row's error body.
HTTP_REASONS: dict[int, str] = {
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


class ApiError(Exception):
    """An error answered to an API caller: a google.rpc code plus a developer-facing message."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    @property
    def status(self) -> str:
        """The canonical status name, e.g. ``NOT_FOUND``."""
        return RPC_CODES[self.code][0]

    @property
    def http_status(self) -> int:
        """The HTTP status the REST front end maps the code to."""
        return RPC_CODES[self.code][1]

    def body(self) -> dict[str, Any]:
        """The JSON error body: ``{"error": {"code": HTTP, "message": ..., "status": NAME}}``."""
        return {"error": {"code": self.http_status, "message": self.message, "status": self.status}}


def invalid_argument(message: str) -> ApiError:
    """A 400 INVALID_ARGUMENT error."""
    return ApiError(3, message)


def not_found(message: str) -> ApiError:
    """A 404 NOT_FOUND error."""
    return ApiError(5, message)


def failed_precondition(message: str) -> ApiError:
    """A 400 FAILED_PRECONDITION error."""
    return ApiError(9, message)


def rfc3339(timestamp: float) -> str:
    """Format a POSIX timestamp as proto3 JSON does: UTC, ``Z``, 0, 3, 6 fractional digits."""
    moment = datetime.fromtimestamp(timestamp, tz=timezone.utc)
    fraction = f"{moment.microsecond:06d}"
    if fraction == "000000":
        suffix = ""
    elif fraction.endswith("000"):
        suffix = "." + fraction[:3]
    else:
        suffix = "." + fraction
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + suffix + "Z"


def parse_rfc3339(text: str) -> float:
    """Parse an RFC 3339 timestamp (``Z`` or an offset) into a POSIX timestamp."""
    cleaned = text.strip()
    if cleaned.endswith(("Z", "z")):
        cleaned = cleaned[:-1] + "+00:00"
    moment = datetime.fromisoformat(cleaned)
    if moment.tzinfo is None:
        raise ValueError(f"timestamp without a time zone: {text!r}")
    return moment.timestamp()


def directory_timestamp(timestamp: float) -> str:
    """The UTC timestamp with microseconds used in ``prediction-model-...Z`` directory names."""
    return datetime.fromtimestamp(timestamp, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f") + "Z"


def processed_time(timestamp: float) -> str:
    """A row's ``processed_time``: milliseconds and an explicit ``+00:00`` offset."""
    moment = datetime.fromtimestamp(timestamp, tz=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+00:00"


def int64(value: int) -> str:
    """proto3 JSON encodes int64 values as decimal strings."""
    return str(int(value))


def encode_state(state: str, enum_as_int: bool) -> str | int:
    """An enum value by name, or by number when the caller asked for ``enum-encoding=int``."""
    return JOB_STATE_NUMBERS[state] if enum_as_int else state


def prune_defaults(value: Any) -> Any:
    """Drop proto3 defaults (``None``, ``""``, ``0``, ``False``, empty lists and maps) recursively.

    Not for map fields whose entries must survive with empty values (labels): add those afterwards.
    """
    if isinstance(value, dict):
        pruned = {key: prune_defaults(item) for key, item in value.items()}
        return {key: item for key, item in pruned.items() if not _is_default(item)}
    if isinstance(value, list):
        return [prune_defaults(item) for item in value]
    return value


def _is_default(value: Any) -> bool:
    if isinstance(value, bool):
        return value is False
    return value is None or value == "" or value == 0 or value == {} or value == []


def camelize_keys(value: Any, keep_keys_under: frozenset[str] = frozenset({"labels"})) -> Any:
    """Accept proto field names as proto3 JSON parsers must: rename snake_case keys to lowerCamelCase.

    The keys of map fields named in ``keep_keys_under`` (user data such as labels) are left alone.
    """
    if isinstance(value, dict):
        renamed: dict[str, Any] = {}
        for key, item in value.items():
            new_key = camel_case(key) if isinstance(key, str) else key
            renamed[new_key] = item if new_key in keep_keys_under else camelize_keys(item, keep_keys_under)
        return renamed
    if isinstance(value, list):
        return [camelize_keys(item, keep_keys_under) for item in value]
    return value
