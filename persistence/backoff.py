"""Delays between attempts to reach a server that went away."""

from __future__ import annotations

import random
from collections.abc import Callable


def backoff_delay(
    attempt: int,
    *,
    first: float,
    cap: float,
    uniform: Callable[[float, float], float] = random.uniform,
) -> float:
    """The wait before retry number `attempt` (0 for the first): doubling from `first` up
    to `cap`, of which a random half is kept ("equal jitter"), so that every replica that
    lost the same server does not knock on it at the same instant, yet none spins."""
    ceiling = min(cap, first * 2 ** min(attempt, 32))
    return ceiling / 2 + uniform(0, ceiling / 2)
