"""When a Vertex AI call is retried, and how long to wait: the package's one retry rule. Pure.

A transient answer (408, 429, 500, 502, 503, 504) or a dropped connection is retried with exponential backoff
and jitter; anything else (400, 403, 404, 501, ...) is permanent and is never retried. The hooks retry one call
with :class:`RetryPolicy`; a wait on a job backs off between polls with :func:`poll_backoff`, the same rule
scaled to its poll interval, and :class:`~airflow_batch_gemini.job.watch.JobWatch` decides how long an outage
it tolerates.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

#: HTTP codes worth retrying: too many requests, and the server-side failures that pass.
TRANSIENT_STATUS_CODES = frozenset({408, 429, 500, 502, 503, 504})
#: The longest pause between two polls of a job during an outage, unless the poll interval is longer.
MAX_POLL_BACKOFF = 600.0
#: During an outage the pause between polls grows up to this many poll intervals (and MAX_POLL_BACKOFF).
POLL_BACKOFF_INTERVALS = 10


def is_transient_status(status_code: int) -> bool:
    """Whether an HTTP status code is worth retrying."""
    return status_code in TRANSIENT_STATUS_CODES


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter for transient API errors: the wait before retry ``n`` is drawn
    uniformly between half and all of ``min(max_delay, initial_delay * multiplier ** (n - 1))``.

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


def poll_backoff(poll_interval: float) -> RetryPolicy:
    """The backoff between polls of a job after transient errors: the first retry within one poll interval,
    then twice as long each time, up to ten intervals or :data:`MAX_POLL_BACKOFF` (whichever is shorter, but
    never below the interval itself). How many retries there are is the wait's outage tolerance, not a count:
    ``attempts`` is unused here."""
    ceiling = max(poll_interval, min(POLL_BACKOFF_INTERVALS * poll_interval, MAX_POLL_BACKOFF))
    return RetryPolicy(initial_delay=poll_interval, max_delay=ceiling)
