"""Sliding-window counters of the `limits` package, several spent in one Redis round trip.

limits' async API makes one Redis call per budget spent and another per window read: three
for a request that spends its credential's and its tenant's budgets and reports what is
left. This sends limits' own Lua scripts, on limits' own keys, in one pipeline, so the
counters are exactly those limits' API reads, tests and clears (`self.limiter`). It relies
on names of limits' Redis storage that are not public (pinned: limits>=5.8,<6); they are
looked up when built, and a missing one stops start-up with a message naming it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis
from limits import RateLimitItem
from limits.aio.storage import RedisStorage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from redis.exceptions import NoScriptError

Budget = tuple[RateLimitItem, tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class Spent:
    admitted: tuple[bool, ...]  # per budget, in the order given
    remaining: int  # of the first budget, after the spending
    reset_in: float  # seconds until the first budget has room for one more unit


class SlidingWindows:
    def __init__(self, client: aioredis.Redis, key_prefix: str = "rl") -> None:
        storage = RedisStorage(
            "async+redis://",
            implementation="redispy",
            key_prefix=key_prefix,
            connection_pool=client.connection_pool,  # type: ignore[arg-type]
        )
        self.limiter = SlidingWindowCounterRateLimiter(storage)
        try:
            bridge = storage.bridge
            self._prefixed = bridge.prefixed_key
            self._previous = storage._previous_window_key
            self._current = storage._current_window_key
            acquire, window = bridge.SCRIPT_ACQUIRE_SLIDING_WINDOW, bridge.SCRIPT_SLIDING_WINDOW
        except AttributeError as missing:
            raise RuntimeError(f"limits no longer has {missing.name}: pin limits>=5.8,<6") from None
        self._client = client
        self._acquire = client.register_script(acquire)
        self._window = client.register_script(window)

    def _keys(self, item: RateLimitItem, ids: tuple[str, ...]) -> list[str]:
        key = item.key_for(*ids)
        return [self._prefixed(self._previous(key)), self._prefixed(self._current(key))]

    async def spend(self, budgets: list[Budget], cost: int = 1) -> Spent:
        """Spends `cost` of each budget that has room for it, then reads the first's window,
        in one round trip. Raises redis' errors."""
        results = await self._send(budgets, cost)
        if any(isinstance(r, NoScriptError) for r in results):  # a new or flushed Redis
            await self._client.script_load(self._acquire.script)
            await self._client.script_load(self._window.script)
            results = await self._send(budgets, cost)
        for result in results:
            if isinstance(result, Exception):
                raise result
        *hits, window = results
        own = budgets[0][0]
        return Spent(tuple(bool(h) for h in hits), *_stats(own, window))

    async def _send(self, budgets: list[Budget], cost: int) -> list[Any]:
        pipe = self._client.pipeline(transaction=False)
        for item, ids in budgets:
            args = (item.amount, item.get_expiry(), cost)
            pipe.evalsha(self._acquire.sha, 2, *self._keys(item, ids), *args)
        own, who = budgets[0]
        pipe.evalsha(self._window.sha, 2, *self._keys(own, who), own.get_expiry())
        return list(await pipe.execute(raise_on_error=False))


def _stats(item: RateLimitItem, window: list[Any]) -> tuple[int, float]:
    """As limits' SlidingWindowCounterRateLimiter.get_window_stats: what is left, and when
    the window next has room."""
    previous_count, current_count = int(window[0] or 0), int(window[2] or 0)
    previous_ttl = max(0.0, float(window[1] or 0)) / 1000
    current_ttl = max(0.0, float(window[3] or 0)) / 1000
    expiry = item.get_expiry()
    weighted = previous_count * previous_ttl / expiry + current_count
    remaining = max(0, item.amount - math.floor(weighted))
    if not (previous_count or current_count):
        return remaining, 0.0
    previous_reset = previous_ttl % (expiry / previous_count) if previous_count else math.inf
    current_reset = current_ttl % expiry if current_count else math.inf
    return remaining, min(previous_reset, current_reset)
