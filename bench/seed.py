"""Loads a benchmark tenant through the application's own code: members, points, history, keys.

Every member gets a welcome bonus (so each has a balance row and a cached balance); the
history members get more entries; the status members get member tokens.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from api.auth.keys import display_prefix, hash_key, new_key
from api.auth.tokens import issue_member_token
from api.schema.common.ids import to_global_id
from api.services import Services
from domain.catalog import create_reward, draft_reward
from domain.enrolment import enroll
from domain.ledger import DEFAULT_WALLET
from domain.members import draft
from domain.points import AdjustPoints, adjust_points, read_balances
from persistence import migrator
from persistence.balance_cache import TenantBalanceCache
from persistence.uow import PgUnitOfWorkFactory
from tenants.provisioning import create_tenant

STATUS_MEMBERS = 256
# Status reads spread over many members: each read is of a member the server has not seen
# lately (its externalId remembered for seconds only), unlike the 256 status members.
SPREAD_MEMBERS = 10_000
MUTATION_MEMBERS = 256
HISTORY_MEMBERS = 20
# Request budget per credential for benchmark servers (api/http/rate_limits.py): high enough that
# a load from one key is never refused, so the limiter's cost is measured, not its 429s.
BENCH_RATE_LIMIT = 1_000_000_000


@dataclass
class BenchMember:
    id: str
    gid: str
    external_id: str
    token: str | None = None


@dataclass
class Fixture:
    tenant_id: str
    slug: str
    schema: str
    secret_key: str
    status: list[BenchMember] = field(default_factory=list)
    mutation: list[BenchMember] = field(default_factory=list)
    history: list[BenchMember] = field(default_factory=list)
    spread: list[BenchMember] = field(default_factory=list)
    members: int = 0
    entries: int = 0
    reward_id: str = ""
    reward_gid: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


async def _bounded(jobs: Iterable[Awaitable[Any]], limit: int) -> list[Any]:
    gate = asyncio.Semaphore(limit)

    async def one(job: Awaitable[Any]) -> Any:
        async with gate:
            return await job

    return await asyncio.gather(*(one(j) for j in jobs))


async def seed(
    services: Services,
    *,
    members: int = 1000,
    history_entries: int = 20,
    spread_members: int = SPREAD_MEMBERS,
    concurrency: int = 8,
) -> Fixture:
    if members < 3:
        raise ValueError("need at least 3 members")
    slug = "bench-" + uuid.uuid4().hex[:8]
    tenant = await create_tenant(
        services.pool, migrator=migrator, slug=slug, name="Bench Coffee Co."
    )
    secret_key = new_key("SECRET")
    await services.control.add_api_key(
        tenant.id,
        "SECRET",
        "bench",
        display_prefix(secret_key),
        hash_key(secret_key, services.settings.resolved_secret_key),
    )
    uow = PgUnitOfWorkFactory(services.pool, tenant.schema_name)
    cache = services.balances.for_tenant(tenant.id)
    clock = services.clock
    today = clock.now().date()

    enrolled = await _bounded(
        (
            enroll(
                uow,
                clock,
                draft(
                    external_id=f"m{i:06d}",
                    email=f"m{i:06d}@bench.example",
                    name=f"Member {i}",
                    birthday=None,
                    today=today,
                ),
            )
            for i in range(1, members + 1)
        ),
        concurrency,
    )
    enrolled.sort(key=lambda m: m.seq)

    def bonus(member_id: uuid.UUID, points: int, reason: str) -> Awaitable[Any]:
        cmd = AdjustPoints(member_id, points, DEFAULT_WALLET, reason, "bench seed", None, "seed")
        return adjust_points(uow, cache, clock, cmd)

    await _bounded(
        (bonus(m.id, 100 + (i * 37) % 900, "Welcome bonus") for i, m in enumerate(enrolled)),
        concurrency,
    )
    entries = len(enrolled)

    # Disjoint sets, so mutations never add to the history being paged and no two
    # connections of the mutation load share a member (no lock waits between them).
    n_history = min(HISTORY_MEMBERS, max(1, members // 10))
    history = enrolled[-n_history:]
    rest = enrolled[:-n_history]
    n_status = min(STATUS_MEMBERS, max(1, len(rest) // 2))
    status, mutation = rest[:n_status], rest[n_status : n_status + MUTATION_MEMBERS]

    extra = max(0, history_entries - 1)
    await _bounded(
        (bonus(m.id, 1 + k % 7, f"Visit {k}") for m in history for k in range(extra)),
        concurrency,
    )
    entries += extra * len(history)

    # One point each: the mutation members' welcome bonuses pay for thousands of codes.
    reward = await create_reward(
        uow, draft_reward({"name": "Bench sticker", "points_cost": 1}, clock)
    )

    spread = await _spread_members(services, tenant.schema_name, uow, cache, spread_members)

    # Fresh tables have no statistics until autovacuum gets to them: analyse now, so every
    # run plans its queries on the same footing instead of racing the autovacuum daemon.
    async with services.pool.acquire() as conn:
        await conn.execute("ANALYZE")

    now = datetime.now(UTC)

    def bench_member(m: Any, with_token: bool = False) -> BenchMember:
        token = None
        if with_token:
            token, _ = issue_member_token(
                tenant.id, m.id, tenant.jwt_secret, timedelta(minutes=60), now
            )
        return BenchMember(str(m.id), to_global_id("Member", m.id), m.external_id, token)

    return Fixture(
        tenant_id=str(tenant.id),
        slug=tenant.slug,
        schema=tenant.schema_name,
        secret_key=secret_key,
        status=[bench_member(m, with_token=True) for m in status],
        mutation=[bench_member(m) for m in mutation],
        history=[bench_member(m) for m in history],
        spread=[
            BenchMember(str(member_id), to_global_id("Member", member_id), external_id)
            for member_id, external_id in spread
        ],
        members=len(enrolled),
        entries=entries,
        reward_id=str(reward.id),
        reward_gid=to_global_id("Reward", reward.id),
    )


async def _spread_members(
    services: Services,
    schema: str,
    uow: PgUnitOfWorkFactory,
    cache: TenantBalanceCache,
    count: int,
) -> list[tuple[uuid.UUID, str]]:
    """`count` members written in one statement (enrolling ten thousand through the use case
    would take minutes on a busy machine), their (empty) balances read through the domain so
    the balance cache holds each of them, as it holds the other members', and their names
    shared through Redis as enrollMember shares them (persistence/shared_names.py)."""
    if count <= 0:
        return []
    async with services.pool.acquire() as conn, conn.transaction():
        await conn.execute("SELECT set_config('search_path', $1, true)", schema)
        rows = await conn.fetch(
            """INSERT INTO members (id, external_id, email, name, referral_code, enrolled_at)
               SELECT gen_random_uuid(), 's' || lpad(i::text, 6, '0'),
                      's' || lpad(i::text, 6, '0') || '@bench.example', 'Spread ' || i,
                      'SPREAD' || i, now()
               FROM generate_series(1, $1) AS i
               RETURNING id, external_id""",
            count,
        )
    # In order of their random ids: consecutive requests name unrelated members.
    spread = sorted((r["id"], r["external_id"]) for r in rows)
    ids = [member_id for member_id, _ in spread]
    for start in range(0, len(ids), 500):
        await read_balances(uow, cache, ids[start : start + 500], DEFAULT_WALLET)
    for start in range(0, len(spread), 8):  # a few at once: each takes a Redis connection
        await asyncio.gather(*(cache.share_name(x, m) for m, x in spread[start : start + 8]))
    return spread
