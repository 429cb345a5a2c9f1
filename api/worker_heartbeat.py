"""When the worker loop of this process last made progress, so that /readyz can tell a loop
that is stuck (or gone) from one that is working."""

from __future__ import annotations

import asyncio
import time


class WorkerHeartbeat:
    def __init__(self, stale_after: float) -> None:
        self._stale_after = stale_after
        self._last = time.monotonic()
        self.task: asyncio.Task[None] | None = None

    def beat(self) -> None:
        """Called as each round starts and as each tenant's jobs are done."""
        self._last = time.monotonic()

    def state(self) -> str:
        """`ok`, `stale` (no progress for too long) or `stopped` (the loop has ended)."""
        if self.task is not None and self.task.done():
            return "stopped"
        return "ok" if time.monotonic() - self._last <= self._stale_after else "stale"


def stale_after(interval: float, configured: float | None) -> float:
    """How long without progress means stuck: three rounds' waits plus a minute for a slow
    tenant, unless configured."""
    return configured if configured is not None else 3 * interval + 60
