"""The fast path of the per-customer analytics (members counted on their first activity day
in a period through migration 0015's links) gives the same numbers as the plain path
(the period's rows grouped by customer), on random facts and random periods.

Facts are written straight into the tables, out of time order (late facts), with the
rollup triggers on, and include what moves rows between days and customers (an order's
refund, an order moved to another day and customer). Each example runs in a transaction
of its own that is rolled back, on one tenant, on an event loop of its own."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from api.services import Services
from api.settings import Settings
from domain.records.analytics import Interval
from persistence import migrator
from persistence.repositories.analytics import PgAnalyticsRepository
from persistence.repositories.analytics_plain import PgPlainAnalyticsRepository
from tenants.provisioning import create_tenant
from tests.support.analytics_facts import add_entry, add_members

DAY0 = date(2026, 1, 26)  # a Monday; weeks and months (Feb 1st on day 6) cut the days
DAYS = 70
MEMBERS = 5

day = st.integers(0, DAYS - 1)
# A member (0..4), a guest with a guestId ("g0".."g2"), or an anonymous guest (None).
customer = st.one_of(st.integers(0, MEMBERS - 1), st.sampled_from(["g0", "g1", "g2", None]))
order = st.tuples(customer, day, st.integers(0, 5000), st.booleans())
entry = st.tuples(
    st.integers(0, MEMBERS - 1),
    st.sampled_from(["EARN", "EARN", "REDEEM", "ADJUST", "REVERSE", "MATURE"]),
    st.integers(-50, 50),
    day,
)
change = st.tuples(st.integers(0, 29), st.sampled_from(["refund", "move"]), day, customer)
period = st.tuples(st.integers(-5, DAYS), st.integers(1, 80), st.sampled_from(list(Interval)))


@pytest.fixture(scope="module")
def world(settings: Settings) -> Iterator[tuple[asyncio.AbstractEventLoop, Services, str]]:
    loop = asyncio.new_event_loop()
    few = settings.model_copy(update={"db_pool_min": 1, "db_pool_max": 2})
    services = loop.run_until_complete(Services.start(few))
    try:
        tenant = loop.run_until_complete(
            create_tenant(
                services.pool,
                migrator=migrator,
                slug=f"paths-{uuid.uuid4().hex[:8]}",
                name="Paths",
            )
        )
        yield loop, services, tenant.schema_name
    finally:
        loop.run_until_complete(services.close())
        loop.close()


def _at(offset: int) -> datetime:
    return datetime.combine(DAY0, datetime.min.time(), tzinfo=UTC) + timedelta(
        days=offset, hours=offset % 24
    )


async def _write(conn: Any, orders: list, entries: list, changes: list) -> list[uuid.UUID]:
    members = await add_members(conn, MEMBERS, "m", _at(0))

    def who(c: int | str | None) -> tuple[uuid.UUID | None, str | None]:
        return (members[c], None) if isinstance(c, int) else (None, c)

    for n, (c, d, paid, multi) in enumerate(orders):
        member, guest = who(c)
        skus = ["a", "b"] if multi else ["a"]
        await conn.execute(
            """INSERT INTO orders (order_id, member_id, guest_id, currency, channel, placed_at,
                                   paid_minor, body, fingerprint, config_version, created_at,
                                   updated_at)
               VALUES ($1, $2, $3, 'USD', 'WEB', $4, $5,
                       jsonb_build_object('lines', (SELECT jsonb_agg(jsonb_build_object('sku', s))
                                                      FROM unnest($6::text[]) s)),
                       'p', 1, $4, $4)""",
            f"o{n}",
            member,
            guest,
            _at(d),
            paid,
            skus,
        )
    for m, kind, points, d in entries:
        if kind == "REDEEM":
            points = -abs(points) or -1
        await add_entry(conn, members[m], kind, points, _at(d), -points if kind == "MATURE" else 0)
    for n, what, d, c in changes:
        if n >= len(orders):
            continue
        if what == "refund":
            await conn.execute(
                "UPDATE orders SET refunded_minor = paid_minor / 2 WHERE order_id = $1", f"o{n}"
            )
        else:
            member, guest = who(c)
            await conn.execute(
                "UPDATE orders SET placed_at = $2, member_id = $3, guest_id = $4"
                " WHERE order_id = $1",
                f"o{n}",
                _at(d),
                member,
                guest,
            )
    return members


async def _rollups(conn: Any) -> tuple[list[dict], list[dict]]:
    customers = [
        r
        for r in map(dict, await conn.fetch("SELECT * FROM customer_days ORDER BY 1, 2, 3"))
        if any(r[k] for k in ("orders", "revenue_minor", "earns", "redeems"))
    ]
    columns = [
        r["attname"]
        for r in await conn.fetch(
            "SELECT attname FROM pg_attribute WHERE attrelid = 'analytics_days'::regclass"
            " AND attnum > 0 AND NOT attisdropped AND attname NOT IN ('day', 'shard')"
        )
    ]
    sums = ", ".join(f"sum({c}) AS {c}" for c in columns)
    days = [
        r
        for r in map(dict, await conn.fetch(f"SELECT day, {sums} FROM analytics_days GROUP BY 1"))
        if any(r[c] for c in columns)
    ]
    return customers, sorted(days, key=lambda r: r["day"])


@hypothesis_settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    orders=st.lists(order, max_size=30),
    entries=st.lists(entry, max_size=40),
    changes=st.lists(change, max_size=6),
    periods=st.lists(period, min_size=1, max_size=4),
)
def test_the_fast_path_gives_the_numbers_of_the_plain_path(
    world: tuple[asyncio.AbstractEventLoop, Services, str],
    orders: list,
    entries: list,
    changes: list,
    periods: list,
) -> None:
    loop, services, schema = world

    async def check() -> None:
        async with services.pool.acquire() as conn:
            tx = conn.transaction()
            await tx.start()
            try:
                await conn.execute("SELECT set_config('search_path', $1, true)", schema)
                await _write(conn, orders, entries, changes)
                fast, plain = PgAnalyticsRepository(conn), PgPlainAnalyticsRepository(conn)
                for first, length, width in periods:
                    start = DAY0 + timedelta(days=first)
                    end = start + timedelta(days=length)
                    cohort = start - timedelta(days=length)
                    assert await fast.customers(cohort, start, end) == await plain.customers(
                        cohort, start, end
                    ), (start, end)
                    assert await fast.series(start, end, width) == await plain.series(
                        start, end, width
                    ), (start, end, width)
                # The links and day counters the triggers kept are those a rebuild computes
                # from the facts.
                kept = await _rollups(conn)
                await conn.execute("SELECT analytics_rebuild()")
                assert await _rollups(conn) == kept
            finally:
                await tx.rollback()

    loop.run_until_complete(check())
