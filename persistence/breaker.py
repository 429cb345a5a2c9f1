"""A circuit breaker: after a failure, skip the dependency for a while instead of waiting on it."""

from __future__ import annotations

import time
from collections.abc import Callable


class Breaker:
    def __init__(self, cooldown: float = 5.0, now: Callable[[], float] = time.monotonic) -> None:
        self._cooldown = cooldown
        self._now = now
        self._open_until = 0.0

    @property
    def open(self) -> bool:
        return self._now() < self._open_until

    def failed(self, *, for_at_least: float = 0.0) -> None:
        self._open_until = self._now() + max(self._cooldown, for_at_least)

    def succeeded(self) -> None:
        self._open_until = 0.0

    def recovered(self) -> None:
        """The dependency answered a probe: close, unless opened for longer than the usual
        cooldown on purpose."""
        if self._open_until - self._now() <= self._cooldown:
            self._open_until = 0.0
