"""The externalId → id names shared through Redis (persistence/shared_names.py), as tests
see them."""

from __future__ import annotations

import redis.asyncio as aioredis

from tests.support.gql import TenantKit


def name_key(kit: TenantKit, external_id: str) -> str:
    return f"{{t:{kit.id}}}:xid:{external_id}"


async def unshare(redis_dsn: str, kit: TenantKit, external_id: str) -> None:
    """Drops the name enrollMember shared: the member is then named as one never shared
    (enrolled before names were shared, or its name expired)."""
    client = aioredis.Redis.from_url(redis_dsn)
    try:
        await client.delete(name_key(kit, external_id))
    finally:
        await client.aclose()
