"""Two transactions adding days of activity of one member at once (a late fact beside
today's, many writers at random days) leave the links and day counters of migration 0015
exactly as a rebuild from the facts computes them: the member's lock makes the second
writer wait and then see the first one's day."""

from __future__ import annotations

import asyncio
import random
import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from tests.support.analytics_facts import add_entry, add_members
from tests.support.earning import schema_of
from tests.support.gql import TenantKit

DAY0 = date(2026, 3, 2)
_LINKS = """SELECT day, customer, earns, redeems, prev_active, prev_earn, prev_redeem
              FROM customer_days WHERE kind = 'M' ORDER BY day, customer"""
_COUNTERS = """SELECT day, sum(act_days), sum(act_first), sum(act_prev), sum(earn_days),
                      sum(earn_first), sum(earn_prev), sum(redeem_days), sum(redeem_first),
                      sum(redeem_prev), sum(act_week_first), sum(act_month_first)
                 FROM analytics_days GROUP BY day ORDER BY day"""


def _at(offset: int) -> datetime:
    return datetime.combine(DAY0 + timedelta(days=offset), time(12), tzinfo=UTC)


async def _members(services: Any, schema: str, count: int) -> list[uuid.UUID]:
    async with services.pool.acquire() as conn, conn.transaction():
        await conn.execute("SELECT set_config('search_path', $1, true)", schema)
        return await add_members(conn, count, "links", _at(0))


async def _write(services: Any, schema: str, member: uuid.UUID, kind: str, day: int) -> None:
    async with services.pool.acquire() as conn, conn.transaction():
        await conn.execute("SELECT set_config('search_path', $1, true)", schema)
        await add_entry(conn, member, kind, -5 if kind == "REDEEM" else 5, _at(day))


async def _kept_equals_rebuild(services: Any, schema: str) -> None:
    async with services.pool.acquire() as conn:
        tx = conn.transaction()
        await tx.start()
        try:
            await conn.execute("SELECT set_config('search_path', $1, true)", schema)
            kept = [tuple(r) for r in await conn.fetch(_LINKS)]
            counters = [tuple(r) for r in await conn.fetch(_COUNTERS)]
            await conn.execute("SELECT analytics_rebuild()")
            assert [tuple(r) for r in await conn.fetch(_LINKS)] == kept
            assert [tuple(r) for r in await conn.fetch(_COUNTERS)] == counters
        finally:
            await tx.rollback()  # the kept rollups stay as they were


async def test_a_late_day_written_beside_a_later_one_links_between_them(
    services: Any, tenant: TenantKit
) -> None:
    # given a member active on day 1, and a transaction that adds their day 9, not committed
    schema = await schema_of(services, tenant)
    (member,) = await _members(services, schema, 1)
    await _write(services, schema, member, "EARN", 1)
    async with services.pool.acquire() as conn:
        tx = conn.transaction()
        await tx.start()
        await conn.execute("SELECT set_config('search_path', $1, true)", schema)
        await add_entry(conn, member, "EARN", 5, _at(9))

        # when another transaction adds day 5 of the same member meanwhile
        late = asyncio.create_task(_write(services, schema, member, "REDEEM", 5))
        await asyncio.sleep(0.3)
        waited = not late.done()
        await tx.commit()
    await late

    # then it waited for the first, and day 9 now links to day 5, day 5 to day 1
    assert waited
    rows = await _rows(services, schema)
    assert [(r["day"], r["prev_active"]) for r in rows] == [
        (DAY0 + timedelta(days=1), None),
        (DAY0 + timedelta(days=5), DAY0 + timedelta(days=1)),
        (DAY0 + timedelta(days=9), DAY0 + timedelta(days=5)),
    ]
    await _kept_equals_rebuild(services, schema)


async def _rows(services: Any, schema: str) -> list[Any]:
    async with services.pool.acquire() as conn, conn.transaction():
        await conn.execute("SELECT set_config('search_path', $1, true)", schema)
        return list(await conn.fetch(_LINKS))


async def test_many_writers_at_random_days_keep_the_links_a_rebuild_computes(
    services: Any, tenant: TenantKit
) -> None:
    # given three members; when eight writers add earns and redeems at random days at once
    schema = await schema_of(services, tenant)
    members = await _members(services, schema, 3)
    rng = random.Random(15)
    writes = [
        (rng.choice(members), rng.choice(["EARN", "REDEEM"]), rng.randrange(0, 40))
        for _ in range(120)
    ]
    queue: asyncio.Queue[tuple[uuid.UUID, str, int]] = asyncio.Queue()
    for w in writes:
        queue.put_nowait(w)

    async def writer() -> None:
        while not queue.empty():
            await _write(services, schema, *queue.get_nowait())

    await asyncio.gather(*(writer() for _ in range(8)))

    # then the links and counters the triggers kept are those of a rebuild
    await _kept_equals_rebuild(services, schema)
