"""Process-wide services, made once at startup and shared by every request."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from functools import cached_property

import asyncpg

from api.abuse import AbuseGuards
from api.auth.token_cache import VerifiedMemberTokens
from api.member_import_runner import ImportTasks
from api.settings import Settings
from api.startup_checks import refuse_unsafe_start
from domain.clock import Clock, SystemClock
from persistence.allowed_origins import AllowedOrigins
from persistence.announcements import AnnouncementListener, ListenerTiming
from persistence.balance_cache import RedisBalanceStore, redis_client
from persistence.control_store import ControlStore
from persistence.db import STATEMENT_CACHE_SIZE, create_pool
from persistence.hearing import Hearing
from persistence.member_gates import MemberGates
from persistence.member_ids import MemberIdCache
from persistence.member_updates import MemberUpdatesHub
from persistence.migrator import bootstrap, migrate_control
from persistence.operator_sessions import OperatorSessions
from persistence.program_memory import ProgramMemory
from persistence.redis_cluster import RedisClient
from persistence.team_store import TeamStore
from persistence.trusted_documents import TrustedDocuments
from tenants.clusters import Clusters
from tenants.registry import TenantRegistry

log = logging.getLogger("loyalty.services")


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
    # The manifests operators registered (api/http/persisted_queries.py).
    trusted_documents: TrustedDocuments
    member_tokens: VerifiedMemberTokens = field(default_factory=VerifiedMemberTokens)
    member_ids: MemberIdCache = field(default_factory=MemberIdCache)
    programs: ProgramMemory = field(default_factory=ProgramMemory)
    # Where this process's at-once credits of one wallet queue (persistence/member_gates.py).
    member_gates: MemberGates = field(default_factory=MemberGates)
    announcements: AnnouncementListener | None = None
    # The listener's own pool of one direct connection, when the main pool goes through a
    # transaction-mode pooler (LOYALTY_LISTEN_DATABASE_URL).
    listen_pool: asyncpg.Pool | None = None
    # Live member updates (subscriptions): one subscribing Redis connection per process,
    # opened when the first subscriber arrives.
    member_updates: MemberUpdatesHub | None = None
    # Member imports started by requests of this process (api/member_import_runner.py).
    imports: ImportTasks = field(default_factory=ImportTasks)
    # The pool of each PostgreSQL cluster, by name; tenant SQL goes through
    # `clusters.of(tenant)` (tenants/clusters.py). Without LOYALTY_CLUSTERS, `pool` alone.
    clusters: Clusters = field(init=False)
    # One announcement listener per cluster other than the default, on the cluster's pool or,
    # for one reached through a transaction-mode pooler, on a pool of one direct connection
    # of its own (LOYALTY_CLUSTER_LISTEN_URLS), kept here to be closed.
    cluster_listeners: dict[str, AnnouncementListener] = field(default_factory=dict)
    cluster_listen_pools: dict[str, asyncpg.Pool] = field(default_factory=dict)
    others: dict[str, asyncpg.Pool] = field(default_factory=dict)
    # The closing of everything `start` opened, in the order it was opened (`close`).
    opened: AsyncExitStack = field(default_factory=AsyncExitStack, repr=False)

    def __post_init__(self) -> None:
        self.clusters = Clusters(self.pool, self.others)

    @cached_property
    def sessions(self) -> OperatorSessions:
        """Operator sessions: read from the control schema on every request, never cached."""
        return OperatorSessions(self.pool)

    @cached_property
    def team(self) -> TeamStore:
        return TeamStore(self.pool, self.control)

    @classmethod
    async def start(cls, settings: Settings, clock: Clock | None = None) -> Services:
        """Opens everything the process shares; if any step fails, closes what the earlier
        ones opened, the last first, and raises that step's error."""
        refuse_unsafe_start(settings)
        async with closed_on_failure() as opened:
            services = await cls._open(settings, clock, opened)
            unplaced = await services.clusters.unplaced()
            if unplaced:
                raise RuntimeError(
                    f"tenants are placed on clusters with no address: {', '.join(unplaced)}"
                    " (LOYALTY_CLUSTERS)"
                )
        return services

    @classmethod
    async def _open(
        cls, settings: Settings, clock: Clock | None, opened: AsyncExitStack
    ) -> Services:
        """Each resource's closing is put on `opened` as soon as it is open."""
        pool = await _sized_pool(settings.database_dsn(), settings, opened)
        async with pool.acquire() as conn:
            await migrate_control(conn)
        client = redis_client(settings.redis_dsn(), timeout=settings.redis_timeout)
        opened.push_async_callback(client.aclose)
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
        trusted = TrustedDocuments(
            pool, seconds=settings.trusted_documents_cache_seconds, hearing=hearing
        )
        registry = TenantRegistry(pool, hearing.trust)
        listen_pool = await _listen_pool(settings.listen_database_url, opened)
        announcements = AnnouncementListener(
            listen_pool or pool,
            (control, member_ids, programs, origins, trusted, registry),
            hearing,
            listener_timing(settings),
        )
        await _started(announcements, opened)
        others = await _cluster_pools(settings, opened)
        cluster_listen_pools = await _cluster_listen_pools(settings, opened)
        cluster_listeners = {
            name: AnnouncementListener(
                cluster_listen_pools.get(name, other),
                (control, member_ids, programs, origins, trusted, registry),
                _included(hearing, settings),
                listener_timing(settings),
            )
            for name, other in others.items()
        }
        for listener in cluster_listeners.values():
            await _started(listener, opened)
        balances = RedisBalanceStore(
            client, ttl=settings.balance_cache_ttl, cooldown=settings.redis_breaker_seconds
        )
        opened.push_async_callback(balances.aclose)
        abuse = AbuseGuards.start(settings, client, pool)
        opened.callback(abuse.close)
        member_updates = MemberUpdatesHub(settings.redis_dsn())
        opened.push_async_callback(member_updates.aclose)
        services = cls(
            settings=settings,
            pool=pool,
            redis=client,
            balances=balances,
            registry=registry,
            control=control,
            clock=clock or SystemClock(),
            origins=origins,
            abuse=abuse,
            trusted_documents=trusted,
            member_ids=member_ids,
            programs=programs,
            announcements=announcements,
            listen_pool=listen_pool,
            member_updates=member_updates,
            cluster_listeners=cluster_listeners,
            cluster_listen_pools=cluster_listen_pools,
            others=others,
            opened=opened,
        )
        opened.push_async_callback(services.imports.aclose)
        return services

    async def close(self) -> None:
        """Closes what `start` opened, the last first (the member imports it runs before the
        listeners, the listeners before their pools); once."""
        await self.opened.aclose()


def listener_timing(settings: Settings) -> ListenerTiming:
    return ListenerTiming(
        retry_first=settings.listen_retry_first_seconds,
        retry_cap=settings.listen_retry_max_seconds,
        check_every=settings.listen_check_seconds,
        check_timeout=settings.listen_check_timeout,
    )


def statement_cache_size(settings: Settings) -> int:
    """No statement cache behind a pooler that cannot keep named prepared statements."""
    return 0 if settings.database_pooler == "pgbouncer-transaction" else STATEMENT_CACHE_SIZE


@asynccontextmanager
async def closed_on_failure() -> AsyncIterator[AsyncExitStack]:
    """A stack for the closing of each thing a start opens. When the start fails, everything
    on it is closed, the last opened first, and the start's own error is raised: a failure to
    close one thing is logged, and neither hides that error nor keeps the rest open. When the
    start succeeds, the stack is the caller's, to close when it stops."""
    opened = AsyncExitStack()
    try:
        yield opened
    except BaseException:
        try:
            await opened.aclose()
        except Exception:
            log.exception("closing what a failed start had opened failed too")
        raise


async def _started(listener: AnnouncementListener, opened: AsyncExitStack) -> None:
    await listener.start()
    opened.push_async_callback(listener.stop)


async def _listen_pool(url: str | None, opened: AsyncExitStack) -> asyncpg.Pool | None:
    """One direct connection for LISTEN, around a transaction-mode pooler: through one, LISTEN
    would be run on a server connection the pooler hands to others, and nothing would be
    heard."""
    if not url:
        return None
    return await _opened_pool(opened, url, min_size=1, max_size=1)


async def _cluster_listen_pools(
    settings: Settings, opened: AsyncExitStack
) -> dict[str, asyncpg.Pool]:
    """The same for each other cluster given a session URL (LOYALTY_CLUSTER_LISTEN_URLS)."""
    pools: dict[str, asyncpg.Pool] = {}
    for name, url in settings.cluster_listen_dsns().items():
        pools[name] = await _opened_pool(opened, url, min_size=1, max_size=1)
    return pools


async def _cluster_pools(settings: Settings, opened: AsyncExitStack) -> dict[str, asyncpg.Pool]:
    """A pool per cluster of LOYALTY_CLUSTERS, each with the table of its schemas' applied
    migrations (recorded beside the schemas, in the same transactions as their DDL)."""
    pools: dict[str, asyncpg.Pool] = {}
    for name, dsn in settings.cluster_dsns().items():
        pools[name] = pool = await _sized_pool(dsn, settings, opened)
        async with pool.acquire() as conn:
            await bootstrap(conn)
    return pools


async def _sized_pool(dsn: str, settings: Settings, opened: AsyncExitStack) -> asyncpg.Pool:
    """A pool for a cluster's requests, sized by the settings."""
    return await _opened_pool(
        opened,
        dsn,
        min_size=settings.db_pool_min,
        max_size=settings.db_pool_max,
        statement_cache_size=statement_cache_size(settings),
    )


async def _opened_pool(opened: AsyncExitStack, dsn: str, **options: int) -> asyncpg.Pool:
    """A pool whose closing is put on `opened` the moment it is open."""
    pool = await create_pool(dsn, **options)
    opened.push_async_callback(pool.close)
    return pool


def _included(hearing: Hearing, settings: Settings) -> Hearing:
    """A cluster's own hearing, counted in the process's."""
    own = Hearing(unheard_seconds=settings.unheard_cache_seconds)
    hearing.include(own)
    return own
