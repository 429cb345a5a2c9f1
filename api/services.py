"""Process-wide services, made once at startup and shared by every request."""

from __future__ import annotations

from dataclasses import dataclass, field

import asyncpg
import redis.asyncio as aioredis

from api.auth.token_cache import VerifiedMemberTokens
from api.settings import Settings
from domain.clock import Clock, SystemClock
from persistence.balance_cache import RedisBalanceStore, redis_client
from persistence.control_store import ControlStore
from persistence.db import create_pool
from persistence.member_ids import MemberIdCache
from persistence.migrator import migrate_control
from persistence.program_memory import ProgramMemory
from tenants.registry import TenantRegistry


@dataclass
class Services:
    settings: Settings
    pool: asyncpg.Pool
    redis: aioredis.Redis
    balances: RedisBalanceStore
    registry: TenantRegistry
    control: ControlStore
    clock: Clock
    member_tokens: VerifiedMemberTokens = field(default_factory=VerifiedMemberTokens)
    member_ids: MemberIdCache = field(default_factory=MemberIdCache)
    programs: ProgramMemory = field(default_factory=ProgramMemory)

    @classmethod
    async def start(cls, settings: Settings, clock: Clock | None = None) -> Services:
        pool = await create_pool(
            settings.database_dsn(), min_size=settings.db_pool_min, max_size=settings.db_pool_max
        )
        async with pool.acquire() as conn:
            await migrate_control(conn)
        client = redis_client(settings.redis_dsn(), timeout=settings.redis_timeout)
        control = ControlStore(pool)
        member_ids = MemberIdCache(external_id_seconds=settings.external_id_cache_seconds)
        programs = ProgramMemory(seconds=settings.program_cache_seconds)
        await control.listen_for_revocations(also=(member_ids, programs))
        return cls(
            settings=settings,
            pool=pool,
            redis=client,
            balances=RedisBalanceStore(
                client, ttl=settings.balance_cache_ttl, cooldown=settings.redis_breaker_seconds
            ),
            registry=TenantRegistry(pool),
            control=control,
            clock=clock or SystemClock(),
            member_ids=member_ids,
            programs=programs,
        )

    async def close(self) -> None:
        await self.control.stop_listening()
        await self.balances.aclose()
        await self.redis.aclose()
        await self.pool.close()
