"""The settings of a wait on a batch job, checked where a DAG declares them. Pure.

A DAG file is parsed long before its tasks run. A value that cannot work is refused in the constructor of the
operator, sensor or trigger, so that the DAG shows an import error instead of a task that pays for nothing: a
poll interval of 0 polls the service thousands of times a second, a timeout of 0 or less creates a job and
cancels it at once. Each check returns the value in seconds (a ``timedelta`` or a number of seconds is
accepted) and raises :class:`InvalidWaitSettingError`, which says which setting of which task is wrong, the
range it must lie in, and why.
"""

from __future__ import annotations

import math
from datetime import timedelta

from airflow_batch_gemini.exceptions import GeminiBatchConfigurationError

#: The longest a Vertex AI batch job can take: 72 h in the queue plus 24 h running.
SERVICE_MAX_WAIT = timedelta(hours=96)
#: How long polling may fail with transient errors (429, 5xx, no connection) before a wait gives up.
DEFAULT_MAX_OUTAGE = timedelta(hours=1)
#: The shortest poll interval: anything shorter hammers the service's quota for nothing.
MIN_POLL_INTERVAL = 0.1


class InvalidWaitSettingError(GeminiBatchConfigurationError, ValueError):
    """A wait setting that cannot work (a permanent error, raised while the DAG is parsed)."""


def _seconds(value: object, name: str, owner: str) -> float:
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value)
    else:
        raise InvalidWaitSettingError(
            f"{owner}: {name}={value!r} is not a duration; give a timedelta or a number of seconds"
        )
    if not math.isfinite(seconds):
        raise InvalidWaitSettingError(f"{owner}: {name}={value!r} is not a finite duration")
    return seconds


def _refuse(owner: str, name: str, value: object, rule: str, why: str) -> InvalidWaitSettingError:
    return InvalidWaitSettingError(f"{owner}: {name}={value!r} {rule}; {why}")


def check_poll_interval(value: object, owner: str, name: str = "poll_interval") -> float:
    """Seconds between two polls: from :data:`MIN_POLL_INTERVAL` to :data:`SERVICE_MAX_WAIT`."""
    seconds = _seconds(value, name, owner)
    longest = SERVICE_MAX_WAIT.total_seconds()
    if not MIN_POLL_INTERVAL <= seconds <= longest:
        raise _refuse(owner, name, value, f"must lie between {MIN_POLL_INTERVAL} s and {longest:.0f} s (96 h)",
                      "a shorter interval polls the service without pause, a longer one outlives any job")
    return seconds


def check_timeout(value: object, owner: str, name: str = "timeout") -> float | None:
    """Seconds the wait may last, more than 0; ``None`` waits as long as the job runs."""
    if value is None:
        return None
    seconds = _seconds(value, name, owner)
    if seconds <= 0:
        raise _refuse(owner, name, value, "must be more than 0 (or None)",
                      "the job would be created and cancelled at once, as the wait is over before it starts")
    return seconds


def _zero_or_more(value: object, owner: str, name: str, why: str) -> float:
    seconds = _seconds(value, name, owner)
    if seconds < 0:
        raise _refuse(owner, name, value, "must be 0 or more", why)
    return seconds


def check_margin(value: object, owner: str, name: str = "timeout_margin") -> float:
    """Seconds kept between the wait's deadline and ``execution_timeout``: 0 or more."""
    return _zero_or_more(value, owner, name, "it is how long before execution_timeout the wait stops to cancel the job")


def check_max_outage(value: object, owner: str, name: str = "max_outage") -> float:
    """Seconds polling may keep failing with transient errors before the wait gives up: 0 or more."""
    why = f"it is how long an outage the wait rides out (default {DEFAULT_MAX_OUTAGE})"
    return _zero_or_more(value, owner, name, why)


def check_max_transient_errors(value: object, owner: str, name: str = "max_transient_errors") -> int | None:
    """An extra bound on transient errors in a row: ``None`` (none, the default) or a whole number, 0 or more."""
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise _refuse(owner, name, value, "must be a whole number, 0 or more, or None",
                      "it bounds how many transient errors in a row a wait tolerates (max_outage bounds how long)")
    return value
