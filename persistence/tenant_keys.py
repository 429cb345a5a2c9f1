"""Removing a deleted tenant's keys from Redis (all start with `{t:<tenant id>}`,
persistence/balance_cache.py): best effort, as they expire with their TTL anyway."""

from __future__ import annotations

import logging
from uuid import UUID

from persistence.balance_cache import tenant_prefix
from persistence.redis_cluster import REDIS_FAILURES, RedisClient

log = logging.getLogger(__name__)
_BATCH = 500


async def forget_tenant_keys(client: RedisClient, tenant_id: UUID) -> int:
    """Deletes the tenant's keys; how many. One hash tag: every batch is one slot."""
    deleted = 0
    batch: list[bytes | str] = []
    try:
        async for key in client.scan_iter(match=f"{tenant_prefix(tenant_id)}*", count=1000):
            batch.append(key)
            if len(batch) >= _BATCH:
                deleted += await client.delete(*batch)
                batch.clear()
        if batch:
            deleted += await client.delete(*batch)
    except REDIS_FAILURES as exc:  # they expire with their TTL
        log.warning("could not remove the Redis keys of deleted tenant %s: %r", tenant_id, exc)
    return deleted
