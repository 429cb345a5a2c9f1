"""Live member updates across replicas: Redis pub/sub, one channel per tenant.

Publishing costs no round trip of its own: the balance cache's compare-and-set script
publishes the member's id on `{t:<tenant id>}:mu` when it stores a newer balance, which every
change of points does after its commit (persistence/balance_cache.py); a change that moves no
points (a code marked used) publishes with `announce`. Redis Cluster forwards a PUBLISH to
every node, so a subscriber on any node hears it.

Each process keeps one subscribing connection (`MemberUpdatesHub`), whatever the number of
sockets: the first watcher of a tenant subscribes to its channel, the last one to leave
unsubscribes. A watcher is woken, not sent data: it reads the member's state itself, so a
burst of changes costs one read, and a message lost while Redis was away costs nothing that
the next change does not repair. Published ids are only hints for that reason too: a
watcher reads through the same tenant-checked paths as any request.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import AsyncIterator
from uuid import UUID

import redis.asyncio as aioredis
from redis.asyncio.client import PubSub

from persistence.backoff import backoff_delay
from persistence.redis_cluster import REDIS_FAILURES, is_cluster_url

log = logging.getLogger("loyalty.member_updates")


def updates_channel(prefix: str) -> str:
    """The tenant's channel, under its key prefix (`{t:<tenant id>}`): the hash tag keeps a
    script that publishes on it in its balance keys' slot."""
    return f"{prefix}:mu"


def subscriber_url(url: str) -> str:
    """A single node's URL for subscribing: for a cluster, its first listed node."""
    if not is_cluster_url(url):
        return url
    scheme, _, rest = url.partition("://")
    credentials, at, hosts = rest.rpartition("@")
    first = hosts.split(",")[0].split("/")[0]
    plain = "rediss" if scheme.startswith("rediss") else "redis"
    return f"{plain}://{credentials}{at}{first}"


class Watch:
    """One watcher's wake-ups: `changed()` returns once something was published for its
    member since the last call (several publications wake it once)."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def wake(self) -> None:
        self._event.set()

    async def changed(self) -> None:
        await self._event.wait()
        self._event.clear()


class MemberUpdatesHub:
    def __init__(self, url: str) -> None:
        self._url = subscriber_url(url)
        self._client: aioredis.Redis | None = None
        self._pubsub: PubSub | None = None
        self._watchers: defaultdict[str, defaultdict[str, set[Watch]]] = defaultdict(
            lambda: defaultdict(set)
        )
        self._reader: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    @contextlib.asynccontextmanager
    async def watch(self, prefix: str, member_id: UUID) -> AsyncIterator[Watch]:
        channel, member = updates_channel(prefix), str(member_id)
        watch = Watch()
        async with self._lock:
            first = channel not in self._watchers
            self._watchers[channel][member].add(watch)
            if first:
                await self._subscribe(channel)
        try:
            yield watch
        finally:
            async with self._lock:
                members = self._watchers.get(channel)
                if members is not None:
                    members[member].discard(watch)
                    if not members[member]:
                        del members[member]
                    if not members:
                        del self._watchers[channel]
                        await self._unsubscribe(channel)

    async def _subscribe(self, channel: str) -> None:
        if self._pubsub is None:
            # No socket timeout: a subscribing connection is quiet for as long as nothing
            # changes. Its health check pings it instead.
            self._client = aioredis.Redis.from_url(self._url, health_check_interval=30)
            self._pubsub = self._client.pubsub(ignore_subscribe_messages=True)
        await self._pubsub.subscribe(channel)
        if self._reader is None or self._reader.done():
            self._reader = asyncio.get_running_loop().create_task(self._read())

    async def _unsubscribe(self, channel: str) -> None:
        if self._pubsub is not None:
            with contextlib.suppress(*REDIS_FAILURES):
                await self._pubsub.unsubscribe(channel)

    async def _read(self) -> None:
        attempt = 0
        while self._watchers:
            pubsub = self._pubsub
            assert pubsub is not None
            try:
                message = await pubsub.get_message(timeout=1.0)
                attempt = 0
            except REDIS_FAILURES as exc:
                # redis-py subscribes again on the next read after a reconnect; wake everyone,
                # since something may have changed while nobody heard it.
                log.warning("member updates: redis unavailable: %r", exc)
                self._wake_all()
                await asyncio.sleep(backoff_delay(attempt, first=0.1, cap=5.0))
                attempt += 1
                continue
            if message is not None and message.get("type") == "message":
                self._wake(_text(message["channel"]), _text(message["data"]))

    def _wake(self, channel: str, member: str) -> None:
        members = self._watchers.get(channel)
        for watch in members.get(member, ()) if members is not None else ():
            watch.wake()

    def _wake_all(self) -> None:
        for members in self._watchers.values():
            for watches in members.values():
                for watch in watches:
                    watch.wake()

    async def aclose(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        if self._pubsub is not None:
            with contextlib.suppress(*REDIS_FAILURES):
                await self._pubsub.aclose()
        if self._client is not None:
            with contextlib.suppress(*REDIS_FAILURES):
                await self._client.aclose()


def _text(raw: object) -> str:
    return raw.decode() if isinstance(raw, bytes) else str(raw)
