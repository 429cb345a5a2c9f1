"""Process-wide services, made once at startup and shared by every request."""

from __future__ import annotations

from dataclasses import dataclass, field

import asyncpg

from api.abuse import AbuseGuards
from api.auth.token_cache import VerifiedMemberTokens
from api.settings import Settings
from api.startup_checks import refuse_unsafe_start
from domain.clock import Clock, SystemClock
from persistence.allowed_origins import AllowedOrigins
from persistence.announcements import AnnouncementListener, ListenerTiming
from persistence.balance_cache import RedisBalanceStore, redis_client
from persistence.control_store import ControlStore
from persistence.db import create_pool
from persistence.hearing import Hearing
from persistence.member_ids import MemberIdCache
from persistence.migrator import migrate_control
from persistence.program_memory import ProgramMemory
from persistence.redis_cluster import RedisClient
from tenants.registry import TenantRegistry


@dataclass
class Services:
    settings: Settings
    pool: asyncpg.Pool
    redis: RedisClient
    balances: RedisBalanceStore
    registry: TenantRegistry
    control: ControlStore
    clock: Clock
    origins: AllowedOrigins  # the browser origins each tenant allows (api/http/cors.py)
    abuse: AbuseGuards  # password hashing, login throttling, tenants' rate limits
    member_tokens: VerifiedMemberTokens = field(default_factory=VerifiedMemberTokens)
    member_ids: MemberIdCache = field(default_factory=MemberIdCache)
    programs: ProgramMemory = field(default_factory=ProgramMemory)
    announcements: AnnouncementListener | None = None

    @classmethod
    async def start(cls, settings: Settings, clock: Clock | None = None) -> Services:
        refuse_unsafe_start(settings)
        pool = await create_pool(
            settings.database_dsn(), min_size=settings.db_pool_min, max_size=settings.db_pool_max
        )
        async with pool.acquire() as conn:
            await migrate_control(conn)
        client = redis_client(settings.redis_dsn(), timeout=settings.redis_timeout)
        hearing = Hearing(unheard_seconds=settings.unheard_cache_seconds)
        control = ControlStore(
            pool, key_cache_seconds=settings.api_key_cache_seconds, hearing=hearing
        )
        member_ids = MemberIdCache(
            external_id_seconds=settings.external_id_cache_seconds, hearing=hearing
        )
        programs = ProgramMemory(seconds=settings.program_cache_seconds, hearing=hearing)
        origins = AllowedOrigins(
            pool, seconds=settings.allowed_origins_cache_seconds, hearing=hearing
        )
        announcements = AnnouncementListener(
            pool, (control, member_ids, programs, origins), hearing, listener_timing(settings)
        )
        await announcements.start()
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
            origins=origins,
            abuse=AbuseGuards.start(settings, client, pool),
            member_ids=member_ids,
            programs=programs,
            announcements=announcements,
        )

    async def close(self) -> None:
        if self.announcements is not None:
            await self.announcements.stop()
        self.abuse.close()
        await self.balances.aclose()
        await self.redis.aclose()
        await self.pool.close()


def listener_timing(settings: Settings) -> ListenerTiming:
    return ListenerTiming(
        retry_first=settings.listen_retry_first_seconds,
        retry_cap=settings.listen_retry_max_seconds,
        check_every=settings.listen_check_seconds,
        check_timeout=settings.listen_check_timeout,
    )
