"""Sliding-window counters of the `limits` package, several spent in one Redis round trip.

limits' async API makes one Redis call per budget spent and another per window read: three
for a request that spends its credential's and its tenant's budgets and reports what is
left. This runs limits' own Lua scripts, on limits' own keys, as functions of one script
sent with one EVALSHA (one command, not a pipeline of three),
so the counters are exactly those limits' API reads, tests and clears (`self.limiter`). It relies
on names of limits' Redis storage that are not public (pinned: limits>=5.8,<6); they are
looked up when built, and a missing one stops start-up with a message naming it.

On Redis Cluster every key of one script call must be in one slot. limits wraps each
budget's key in braces (`rl:{LIMITER/<ids>/…}`), so budgets whose first id is
`tenant_scope(tenant id)`, `{<tenant id>}`, hash by `LIMITER/{<tenant id>`, the text
between the first `{` and the next `}`: one slot for all of a tenant's budgets.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import redis.asyncio as aioredis
from limits import RateLimitItem
from limits.aio.storage import RedisClusterStorage, RedisStorage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from redis.exceptions import NoScriptError

from persistence.held_connections import held_connections_of
from persistence.redis_cluster import RedisClient

Budget = tuple[RateLimitItem, tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class Spent:
    admitted: tuple[bool, ...]  # per budget, in the order given
    remaining: int  # of the first budget, after the spending
    reset_in: float  # seconds until the first budget has room for one more unit


class SlidingWindows:
    def __init__(self, client: RedisClient, key_prefix: str = "rl") -> None:
        storage = _storage(client, key_prefix)
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
        # Every request sends this command: on a single Redis it skips redis-py's per-command
        # layers (persistence/held_connections.py); a cluster routes it by slot.
        self._held = held_connections_of(client) if isinstance(client, aioredis.Redis) else None
        self._script = client.register_script(_combined(acquire, window))
        self._key_cache: dict[tuple[RateLimitItem, tuple[str, ...]], tuple[str, str]] = {}

    def _keys(self, item: RateLimitItem, ids: tuple[str, ...]) -> tuple[str, str]:
        cached = self._key_cache.get((item, ids))
        if cached is None:
            key = item.key_for(*ids)
            previous, current = (
                self._prefixed(self._previous(key)),
                self._prefixed(self._current(key)),
            )
            cached = (previous, current)
            if len(self._key_cache) >= _KEY_CACHE_SIZE:
                self._key_cache.clear()
            self._key_cache[(item, ids)] = cached
        return cached

    async def spend(
        self, budgets: list[Budget], cost: int = 1, owed: Sequence[int] | None = None
    ) -> Spent:
        """Charges what each budget is `owed` (an answered request's rest of cost, or as
        much of it as the budget has room for), then spends `cost` of each budget that has
        room for it, then reads the first's window: one script, one round trip. Raises
        redis' errors."""
        keys: list[str] = []
        words = [len(budgets), cost]
        for index, (item, ids) in enumerate(budgets):
            keys += self._keys(item, ids)
            words += (item.amount, item.get_expiry(), owed[index] if owed else 0)
        # The numbers in one argument, split by the script: redis-py encodes each argument
        # in Python, and a request sends eight.
        numbers = " ".join(map(str, words)).encode()
        script = self._script
        try:
            result = await self._evalsha(script.sha, keys, numbers)
        except NoScriptError:  # a new or flushed Redis
            script.sha = await self._client.script_load(script.script)
            result = await self._evalsha(script.sha, keys, numbers)
        *hits, window = result
        own = budgets[0][0]
        return Spent(tuple(bool(h) for h in hits), *_stats(own, window))

    def _evalsha(self, sha: str, keys: list[str], numbers: bytes) -> Awaitable[Any]:
        if self._held is not None:
            return self._held.execute("EVALSHA", sha, len(keys), *keys, numbers)
        return self._client.execute_command("EVALSHA", sha, len(keys), *keys, numbers)


def tenant_scope(tenant_id: UUID | str) -> str:
    """The first id of a tenant's budgets: its hash tag (see the module's docstring)."""
    return f"{{{tenant_id}}}"


def _storage(client: RedisClient, key_prefix: str) -> RedisStorage:
    """limits' storage on `client`'s connections."""
    if isinstance(client, aioredis.Redis):
        return RedisStorage(
            "async+redis://",
            implementation="redispy",
            key_prefix=key_prefix,
            connection_pool=client.connection_pool,  # type: ignore[arg-type]
        )
    # limits' cluster storage makes a client of its own (which opens nothing until used);
    # it is given this one instead, and its scripts registered on it.
    storage = RedisClusterStorage(
        "async+redis+cluster://127.0.0.1:6379", implementation="redispy", key_prefix=key_prefix
    )
    try:
        storage.bridge.storage = client  # type: ignore[attr-defined]
        storage.bridge.register_scripts()
    except AttributeError as missing:
        raise RuntimeError(f"limits no longer has {missing.name}: pin limits>=5.8,<6") from None
    return storage


_KEY_CACHE_SIZE = 4096

# limits' two scripts, each as a function of its own KEYS and ARGV, run for every budget in
# one EVALSHA: the counters and their arithmetic are exactly limits' own.
_MAIN = """
local ARGV = {}
for number in string.gmatch(KEYS_ARGV[1], "%S+") do
    ARGV[#ARGV + 1] = number
end
local budgets = tonumber(ARGV[1])
local cost = tonumber(ARGV[2])
local hits = {}
for i = 1, budgets do
    local keys = {KEYS[2 * i - 1], KEYS[2 * i]}
    local limit, expiry, owed = ARGV[3 * i], ARGV[3 * i + 1], tonumber(ARGV[3 * i + 2])
    if owed > 0 and not acquire(keys, {limit, expiry, owed}) then
        local seen = window(keys, {expiry})
        local previous_count = tonumber(seen[1]) or 0
        local previous_ttl = math.max(tonumber(seen[2]) or 0, 0)
        local weighted = math.floor(previous_count * previous_ttl / (tonumber(expiry) * 1000))
        local room = tonumber(limit) - (weighted + (tonumber(seen[3]) or 0))
        if room > 0 then
            acquire(keys, {limit, expiry, math.min(owed, room)})
        end
    end
    if acquire(keys, {limit, expiry, cost}) then
        hits[i] = 1
    else
        hits[i] = 0
    end
end
hits[budgets + 1] = window({KEYS[1], KEYS[2]}, {ARGV[4]})
return hits
"""


def _combined(acquire: str | bytes, window: str | bytes) -> str:
    if isinstance(acquire, bytes):
        acquire = acquire.decode()
    if isinstance(window, bytes):
        window = window.decode()
    return (
        f"local function acquire(KEYS, ARGV)\n{acquire}\nend\n"
        f"local function window(KEYS, ARGV)\n{window}\nend\n"
        f"local KEYS_ARGV = ARGV\n{_MAIN}"
    )


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
