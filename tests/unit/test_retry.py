from __future__ import annotations

import random

from airflow_batch_gemini.job.retry import RetryPolicy


def test_backoff_grows_and_is_capped() -> None:
    policy = RetryPolicy(initial_delay=1, max_delay=8, multiplier=2)
    rng = random.Random(0)
    delays = [policy.delay(n, rng) for n in range(1, 7)]
    assert 0.5 <= delays[0] <= 1 and all(d <= 8 for d in delays) and delays[-1] >= 4

