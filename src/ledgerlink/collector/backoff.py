"""Retry delays: exponential backoff with jitter and a cap.

``delay(n) = uniform(0.5, 1.0) × min(cap, base × 2^(n-1))`` for the n-th failed attempt (n ≥ 1);
a server's ``Retry-After`` is honoured when larger, but never beyond the cap.
"""

from __future__ import annotations

import random

_RNG = random.Random()


def retry_delay(attempt: int, *, base: float, cap: float, retry_after: float | None = None,
                rng: random.Random | None = None) -> float:
    exponent = min(max(attempt, 1) - 1, 30)
    ceiling = min(cap, base * 2.0**exponent)
    jitter: float = (rng or _RNG).uniform(0.5, 1.0)
    delay = jitter * ceiling
    if retry_after is not None:
        delay = max(delay, min(retry_after, cap))
    return delay
