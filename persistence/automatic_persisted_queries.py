"""Automatic persisted queries (Apollo's APQ): documents clients registered by sending their
text with its sha256, kept in Redis per tenant with a bound.

Per tenant, in one hash tag (one Redis Cluster slot): a hash of sha256 → text and a sorted
set of sha256 by the time it was last registered. Registering the `limit`+1-th document
drops the one registered longest ago, so one tenant holds at most `limit` documents of at
most the API's query length each, and a client cannot make the server remember more; both
keys expire `ttl` seconds after the last registration. A document that was dropped is
simply not found: an APQ client then sends its text again.

Redis is a cache here: when it fails, a lookup finds nothing and a registration is skipped.

Each process also remembers the documents it found or registered lately, within a budget of
characters: a hash names one text forever (the text was checked against it), so what is
remembered is never wrong, and a hit costs no round trip to Redis.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict

from persistence.redis_cluster import REDIS_FAILURES, RedisClient

log = logging.getLogger(__name__)

# KEYS: the texts (hash), the registration times (sorted set).
# ARGV: sha256, text, now, limit, ttl.
_REGISTER = """
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
local over = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[4])
if over > 0 then
  local dropped = redis.call('ZRANGE', KEYS[2], 0, over - 1)
  redis.call('ZREMRANGEBYRANK', KEYS[2], 0, over - 1)
  redis.call('HDEL', KEYS[1], unpack(dropped))
end
redis.call('EXPIRE', KEYS[1], ARGV[5])
redis.call('EXPIRE', KEYS[2], ARGV[5])
return 1
"""

# Callers that name no tenant (a login form) share one scope.
NO_TENANT = "-"
# Characters of documents each process remembers (the most recently used first kept).
MEMORY_CHARACTERS = 4_000_000


def _keys(scope: str) -> list[str]:
    tag = f"{{apq:{scope}}}"
    return [f"{tag}:texts", f"{tag}:registered"]


class AutomaticPersistedQueries:
    def __init__(
        self, redis: RedisClient, *, limit: int, ttl: int, memory: int = MEMORY_CHARACTERS
    ) -> None:
        self._redis = redis
        self._limit = limit
        self._ttl = ttl
        self._register = redis.register_script(_REGISTER)
        self._memory = memory
        self._remembered: OrderedDict[tuple[str, str], str] = OrderedDict()
        self._characters = 0

    async def text(self, scope: str, sha256: str) -> str | None:
        remembered = self._remembered.get((scope, sha256))
        if remembered is not None:
            self._remembered.move_to_end((scope, sha256))
            return remembered
        try:
            found = await self._redis.hget(_keys(scope)[0], sha256)
        except REDIS_FAILURES as exc:
            log.warning("persisted query lookup failed: %r", exc)
            return None
        if found is None:
            return None
        text = found.decode("utf-8") if isinstance(found, bytes) else str(found)
        self._remember(scope, sha256, text)
        return text

    def _remember(self, scope: str, sha256: str, text: str) -> None:
        if (scope, sha256) in self._remembered or len(text) > self._memory:
            return
        self._remembered[(scope, sha256)] = text
        self._characters += len(text)
        while self._characters > self._memory:
            _, dropped = self._remembered.popitem(last=False)
            self._characters -= len(dropped)

    async def register(self, scope: str, sha256: str, text: str) -> None:
        self._remember(scope, sha256, text)
        try:
            await self._register(
                keys=_keys(scope), args=[sha256, text, time.time(), self._limit, self._ttl]
            )
        except REDIS_FAILURES as exc:
            log.warning("persisted query registration failed: %r", exc)
