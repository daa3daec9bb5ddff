"""Retry delays grow exponentially, are jittered, capped, and honour Retry-After up to the cap."""

from __future__ import annotations

import random

from ledgerlink.collector.backoff import retry_delay


def test_delays_grow_exponentially_with_jitter_and_stay_under_the_cap() -> None:
    rng = random.Random(1)
    for attempt, ceiling in [(1, 1.0), (2, 2.0), (3, 4.0), (6, 32.0), (9, 60.0), (40, 60.0)]:
        delays = [retry_delay(attempt, base=1.0, cap=60.0, rng=rng) for _ in range(200)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len({round(d, 6) for d in delays}) > 100  # jittered, not fixed


def test_retry_after_is_honoured_but_capped() -> None:
    assert retry_delay(1, base=1.0, cap=60.0, retry_after=30.0) == 30.0
    assert retry_delay(1, base=1.0, cap=60.0, retry_after=3600.0) == 60.0
