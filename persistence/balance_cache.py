"""The Redis balance cache.

Keys: `{t:<tenant id>}:bal:<member id>:<wallet>` (hash-tagged by tenant for Redis Cluster).
Writes go through a compare-and-set script that only stores a newer version, so a slow reader
can never put an older balance back. Redis being slow or down costs one short timeout, then
the breaker skips it; a write that could not be made leaves its key marked dirty with the
version it should have stored. While keys are dirty the cache is not read, and a background
task (never a request) retries until Redis answers again, then drops each dirty key's older
balance and raises its floor (`<key>:floor`, the lowest version the compare-and-set still
accepts): a timed-out write that Redis runs late, when it wakes up, cannot bring an older
balance back. Only then is the cache trusted again, so nothing stale outlives an outage.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from typing import Any
from uuid import UUID

import redis.asyncio as aioredis
from redis.asyncio.cluster import RedisCluster
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import NoScriptError

from domain.ledger import Balance
from persistence.breaker import Breaker
from persistence.member_updates import updates_channel
from persistence.redis_cluster import REDIS_FAILURES, RedisClient, cluster_client, is_cluster_url
from persistence.repositories.records import rebuilder
from persistence.shared_names import (
    MOVED_SECONDS,
    NAME_SECONDS,
    READ,
    WRITE,
    moved_key,
    name_key,
)

log = logging.getLogger(__name__)

_CAS = """
local floor = redis.call('GET', KEYS[2])
if floor and tonumber(floor) > tonumber(ARGV[1]) then return 0 end
local v = redis.call('HGET', KEYS[1], 'v')
if v and tonumber(v) >= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'v', ARGV[1], 'a', ARGV[2], 'p', ARGV[3], 'l', ARGV[4], 'd', ARGV[6])
redis.call('EXPIRE', KEYS[1], ARGV[5])
redis.call('PUBLISH', ARGV[7], ARGV[8])
return 1
"""
# Drops a balance older than version ARGV[1] and raises the key's floor to that version.
_DROP = """
local v = redis.call('HGET', KEYS[1], 'v')
if not v or tonumber(v) < tonumber(ARGV[1]) then redis.call('DEL', KEYS[1]) end
local floor = redis.call('GET', KEYS[2])
if not floor or tonumber(floor) < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[2], ARGV[1], 'EX', ARGV[2])
end
return 1
"""
MAX_DIRTY = 10_000
# The background cleanup tries again at most this often while Redis refuses connections (a
# paused Redis makes each try wait for the socket timeout instead).
RETRY_SECONDS = 0.05


def tenant_prefix(tenant_id: UUID) -> str:
    return f"{{t:{tenant_id}}}"


def balance_key(tenant_id: UUID, member_id: UUID, wallet: str) -> str:
    return _key(tenant_prefix(tenant_id), member_id, wallet)


def _key(prefix: str, member_id: UUID, wallet: str) -> str:
    return f"{prefix}:bal:{member_id}:{wallet}"


def _floor(key: str) -> str:
    return f"{key}:floor"  # the same hash tag, so the same slot as the balance


class RedisBalanceStore:
    """One per process, shared by every tenant; `for_tenant` gives the port a request uses."""

    def __init__(self, client: RedisClient, *, ttl: int = 600, cooldown: float = 5.0) -> None:
        self._redis = client
        self._ttl = ttl
        self._cas = client.register_script(_CAS)
        self._read_name = client.register_script(READ)
        self._write_name = client.register_script(WRITE)
        self.breaker = Breaker(cooldown)
        # Key -> the newest version a write could not store there.
        self._dirty: dict[str, int] = {}
        self._overflowed = False
        self._cleanup: asyncio.Task[None] | None = None

    def for_tenant(self, tenant_id: UUID) -> TenantBalanceCache:
        return TenantBalanceCache(self, tenant_id)

    def _mark_dirty(self, key: str, version: int) -> None:
        if len(self._dirty) >= MAX_DIRTY and key not in self._dirty:
            # Too many to delete one by one: stop trusting the cache until the TTL has
            # removed anything this process may have left stale.
            self._overflowed = True
            self._dirty.clear()
            return
        self._dirty[key] = max(version, self._dirty.get(key, version))
        if self._cleanup is None or self._cleanup.done():
            self._cleanup = asyncio.get_running_loop().create_task(self._clean())

    async def _clean(self) -> None:
        """Until no key is dirty: drop their older balances and raise their floors, in one
        pipeline, tried again (in the background) until Redis answers."""
        loop = asyncio.get_running_loop()
        while self._dirty:
            started = loop.time()
            pending = dict(self._dirty)
            try:
                # EVAL, not EVALSHA: a Redis that was restarted has lost its scripts.
                async with self._redis.pipeline(transaction=False) as pipe:
                    for key, version in pending.items():
                        pipe.eval(_DROP, 2, key, _floor(key), version, self._ttl)
                    await pipe.execute()
            except REDIS_FAILURES as exc:
                log.debug("redis still unavailable, balances stay dirty: %s", exc)
                await asyncio.sleep(max(0.0, RETRY_SECONDS - (loop.time() - started)))
                continue
            for key, version in pending.items():
                if self._dirty.get(key) == version:  # not failed again meanwhile
                    del self._dirty[key]
        # Redis answered: it is trusted again now, not after the rest of the cooldown.
        self.breaker.recovered()

    async def aclose(self) -> None:
        if self._cleanup is not None:
            self._cleanup.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._cleanup

    def _fail(self, exc: BaseException) -> None:
        log.warning("redis unavailable, serving balances from postgres: %s", exc)
        if self._overflowed:
            self._overflowed = False
            self.breaker.failed(for_at_least=self._ttl)
        else:
            self.breaker.failed()

    async def _usable(self) -> bool:
        if self.breaker.open:
            return False
        if self._overflowed:
            self._overflowed = False
            self.breaker.failed(for_at_least=self._ttl)
            return False
        # Dirty keys may hold older balances than the ledger: the cleanup task drops them
        # first. (One script per key: in Redis Cluster, different tenants' keys live in
        # different slots, and a multi-key command across slots is refused.)
        return not self._dirty

    async def get(self, key: str, member_id: UUID, wallet: str) -> Balance | None:
        if not await self._usable():
            return None
        try:
            raw = await self._redis.hgetall(key)
        except REDIS_FAILURES as exc:
            self._fail(exc)
            return None
        return _balance(member_id, wallet, raw) if raw else None

    async def get_many(
        self, keys: Sequence[str], member_ids: Sequence[UUID], wallet: str
    ) -> dict[UUID, Balance]:
        """`get` of each key (the balance of the member at the same position), in one
        pipeline; the misses are left out."""
        if not keys or not await self._usable():
            return {}
        try:
            # One HGETALL per key and no MULTI: each command stays in its own key's slot.
            async with self._redis.pipeline(transaction=False) as pipe:
                for key in keys:
                    pipe.hgetall(key)
                raws = await pipe.execute()
        except REDIS_FAILURES as exc:
            self._fail(exc)
            return {}
        return {m: _balance(m, wallet, raw) for m, raw in zip(member_ids, raws, strict=True) if raw}

    def _cas_args(self, key: str, balance: Balance) -> list[int | str]:
        # The last two: where the script announces a stored balance (persistence/member_updates.py).
        return [
            balance.version,
            balance.available,
            balance.pending,
            balance.lifetime,
            self._ttl,
            balance.debt,
            updates_channel(key[: key.index("}") + 1]),
            str(balance.member_id),
        ]

    async def put(self, key: str, balance: Balance) -> None:
        if not await self._usable():
            self._mark_dirty(key, balance.version)
            return
        try:
            await self._cas(keys=[key, _floor(key)], args=self._cas_args(key, balance))
        except REDIS_FAILURES as exc:
            self._mark_dirty(key, balance.version)
            self._fail(exc)

    async def put_many(self, entries: Sequence[tuple[str, Balance]]) -> None:
        """`put` of each (key, balance), in one pipeline of the compare-and-set script."""
        if not entries:
            return
        if not await self._usable():
            for key, balance in entries:
                self._mark_dirty(key, balance.version)
            return
        try:
            # EVALSHA, not the script object: in a pipeline redis-py would first ask
            # SCRIPT EXISTS, a second round trip. A server that lost its scripts answers
            # those keys NOSCRIPT, and they are put one by one, which loads it again.
            async with self._redis.pipeline(transaction=False) as pipe:
                for key, balance in entries:
                    pipe.evalsha(self._cas.sha, 2, key, _floor(key), *self._cas_args(key, balance))
                results = await pipe.execute(raise_on_error=False)
        except REDIS_FAILURES as exc:
            for key, balance in entries:
                self._mark_dirty(key, balance.version)
            self._fail(exc)
            return
        refused: BaseException | None = None
        for (key, balance), result in zip(entries, results, strict=True):
            if isinstance(result, NoScriptError):
                await self.put(key, balance)
            elif isinstance(result, Exception):
                self._mark_dirty(key, balance.version)
                refused = result
        if refused is not None:
            self._fail(refused)

    async def get_named(
        self, name: str, prefix: str, wallet: str
    ) -> tuple[UUID, Balance | None] | None:
        """The member a shared name points at and its cached balance, in one round trip
        (persistence/shared_names.py); None when Redis does not know, or is not trusted."""
        if not await self._usable():
            return None
        try:
            found = await self._read_name(keys=[name], args=[prefix, wallet])
        except REDIS_FAILURES as exc:
            self._fail(exc)
            return None
        if not found:
            return None
        member_id, raw = UUID(found[0].decode()), found[1]
        if not raw:
            return member_id, None
        return member_id, _balance(member_id, wallet, dict(zip(raw[::2], raw[1::2], strict=True)))

    async def put_name(self, name: str, moved: str, member_id: UUID) -> None:
        """Shares a name read from the ledger, unless its member is marked moved."""
        if self.breaker.open:
            return
        try:
            await self._write_name(keys=[name, moved], args=[str(member_id), NAME_SECONDS])
        except REDIS_FAILURES as exc:
            self._fail(exc)

    async def mark_moved(self, moved: str) -> None:
        if self.breaker.open:
            return
        try:
            await self._redis.set(moved, 1, ex=MOVED_SECONDS)
        except REDIS_FAILURES as exc:
            self._fail(exc)

    async def announce(self, channel: str, member_id: UUID) -> None:
        """Tells live watchers of a change that stored no balance (best effort, as a
        stored balance's own announcement is)."""
        if self.breaker.open:
            return
        try:
            await self._redis.publish(channel, str(member_id))
        except REDIS_FAILURES as exc:
            self._fail(exc)

    async def ping(self) -> bool:
        """Whether Redis answers; on a cluster, whether every primary does (one failed node
        fails its slots' keys, and the others' too while the cluster calls itself down)."""
        try:
            if isinstance(self._redis, RedisCluster):
                answers = await self._redis.ping(target_nodes=RedisCluster.PRIMARIES)
                return answers is True or (
                    isinstance(answers, dict) and all(v is True for v in answers.values())
                )
            return bool(await self._redis.ping())
        except REDIS_FAILURES:
            return False


class TenantBalanceCache:
    """The domain's BalanceCache port, bound to one tenant's key prefix."""

    def __init__(self, store: RedisBalanceStore, tenant_id: UUID) -> None:
        self._store = store
        self._prefix = tenant_prefix(tenant_id)  # made once, not once per key

    @property
    def prefix(self) -> str:
        """The tenant's key prefix, which its live-updates channel shares."""
        return self._prefix

    async def get(self, member_id: UUID, wallet: str) -> Balance | None:
        return await self._store.get(_key(self._prefix, member_id, wallet), member_id, wallet)

    async def put(self, balance: Balance) -> None:
        await self._store.put(_key(self._prefix, balance.member_id, balance.wallet), balance)

    async def announce(self, member_id: UUID) -> None:
        await self._store.announce(updates_channel(self._prefix), member_id)

    async def named(self, external_id: str, wallet: str) -> tuple[UUID, Balance | None] | None:
        """The member the shared name `external_id` points at, with its balance in `wallet`
        when cached; None when it must be read from PostgreSQL."""
        name = name_key(self._prefix, external_id)
        return await self._store.get_named(name, self._prefix, wallet)

    async def share_name(self, external_id: str, member_id: UUID) -> None:
        await self._store.put_name(
            name_key(self._prefix, external_id), moved_key(self._prefix, member_id), member_id
        )

    async def name_moved(self, member_id: UUID) -> None:
        """The member's externalId is changing or changed: no shared name of it is believed
        or written for a while."""
        await self._store.mark_moved(moved_key(self._prefix, member_id))

    async def get_many(self, member_ids: Sequence[UUID], wallet: str) -> dict[UUID, Balance]:
        keys = [_key(self._prefix, m, wallet) for m in member_ids]
        return await self._store.get_many(keys, member_ids, wallet)

    async def put_many(self, balances: Sequence[Balance]) -> None:
        await self._store.put_many(
            [(_key(self._prefix, b.member_id, b.wallet), b) for b in balances]
        )


_rebuild_balance = rebuilder(Balance)


def _balance(member_id: UUID, wallet: str, raw: dict[Any, Any]) -> Balance:
    # Fifty per page with points: rebuilt, not through __init__.
    return _rebuild_balance(
        member_id,
        wallet,
        int(raw[b"a"]),
        int(raw[b"p"]),
        int(raw[b"l"]),
        int(raw[b"v"]),
        int(raw.get(b"d", 0)),
    )


def redis_client(url: str, *, timeout: float = 0.25) -> RedisClient:
    """The client for `url`: a cluster client for `redis+cluster://…`, else a single node's."""
    if is_cluster_url(url):
        return cluster_client(url, timeout=timeout)
    return aioredis.Redis.from_url(
        url,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        retry_on_timeout=False,
        # No retries: a slow Redis must cost one short timeout, then the breaker takes over.
        retry=Retry(NoBackoff(), 0),
        health_check_interval=30,
    )
