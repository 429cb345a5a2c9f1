"""0015_analytics_first_days upgrades a schema whose rollups were kept without links: the
migration rebuilds them, so the fast path reads the same numbers as the plain one."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from domain.records.analytics import Interval
from persistence import migrator
from persistence.repositories.analytics import PgAnalyticsRepository
from persistence.repositories.analytics_plain import PgPlainAnalyticsRepository
from tenants.migrate_all import migrate_all
from tests.support.analytics_facts import add_entry, add_members
from tests.support.earning import schema_of
from tests.support.gql import TenantKit

DAY0 = date(2026, 1, 5)


def _as_in_0010(*names: str) -> str:
    """The functions `names` as migration 0010 defined them."""
    sql = next(m.sql for m in migrator.migrations("tenant") if m.version == 10)
    out = []
    for name in names:
        start = sql.index(f"CREATE FUNCTION {name}()")
        out.append("CREATE OR REPLACE " + sql[start + len("CREATE ") : sql.index("$$;", start) + 3])
    return "\n".join(out)


# What 0015 adds, taken away again: the schema as it was at the version before.
BEFORE_0015 = (
    _as_in_0010("analytics_on_entry", "analytics_on_order", "analytics_rebuild")
    + """
DROP INDEX customer_days_member;
DROP INDEX customer_days_orders;
ALTER TABLE customer_days DROP COLUMN prev_active, DROP COLUMN prev_earn,
    DROP COLUMN prev_redeem;
ALTER TABLE analytics_days DROP COLUMN act_days, DROP COLUMN act_first, DROP COLUMN act_prev,
    DROP COLUMN earn_days, DROP COLUMN earn_first, DROP COLUMN earn_prev,
    DROP COLUMN redeem_days, DROP COLUMN redeem_first, DROP COLUMN redeem_prev,
    DROP COLUMN act_week_first, DROP COLUMN act_month_first;
DROP FUNCTION analytics_lock_member(uuid);
DROP FUNCTION analytics_first_in(date, date, text);
"""
)


async def _facts(conn: Any) -> None:
    """Members earning and redeeming at random days, some of them ordering."""
    rng = random.Random(10)
    members = await add_members(conn, 6, "mig", datetime.combine(DAY0, time(), tzinfo=UTC))
    for n in range(80):
        at = datetime.combine(DAY0 + timedelta(days=rng.randrange(60)), time(9), tzinfo=UTC)
        kind = rng.choice(["EARN", "EARN", "REDEEM"])
        await add_entry(conn, rng.choice(members), kind, -3 if kind == "REDEEM" else 3, at)
        if n % 4 == 0:
            await conn.execute(
                """INSERT INTO orders (order_id, member_id, currency, channel, placed_at,
                                       paid_minor, body, fingerprint, config_version,
                                       created_at, updated_at)
                   VALUES ($1, $2, 'USD', 'WEB', $3, 1000, '{"lines": []}', 'p', 1, $3, $3)""",
                f"mig-{n}",
                rng.choice(members),
                at,
            )


async def _both_paths(conn: Any) -> list[tuple[Any, Any]]:
    fast, plain = PgAnalyticsRepository(conn), PgPlainAnalyticsRepository(conn)
    found = []
    for first, days in ((0, 60), (10, 30), (20, 7), (35, 40)):
        start = DAY0 + timedelta(days=first)
        end = start + timedelta(days=days)
        cohort = start - timedelta(days=days)
        for repo in (fast, plain):
            found.append(
                (
                    await repo.customers(cohort, start, end),
                    await repo.series(start, end, Interval.WEEK),
                )
            )
    return found


async def test_rollups_kept_before_the_upgrade_are_linked_by_it(
    services: Any, tenant: TenantKit
) -> None:
    # given a schema at the version before 0015, whose triggers kept its facts' rollups
    schema = await schema_of(services, tenant)
    async with services.pool.acquire() as conn, conn.transaction():
        await conn.execute("SELECT set_config('search_path', $1, true)", schema)
        await conn.execute(BEFORE_0015)
        await conn.execute(
            "DELETE FROM control.schema_migrations WHERE schema_name = $1 AND version = 15",
            schema,
        )
        await _facts(conn)

    # when it is upgraded
    summary = await migrate_all(services.pool, migrator=migrator, schemas=[schema])

    # then the fast path reads what the plain one does, and the migration's rebuild left the
    # links a rebuild makes
    assert summary.ok and summary.upgraded == {schema: [15]}
    async with services.pool.acquire() as conn:
        tx = conn.transaction()
        await tx.start()
        try:
            await conn.execute("SELECT set_config('search_path', $1, true)", schema)
            found = await _both_paths(conn)
            assert found[0::2] == found[1::2]
            assert found[0][0].members.active > 0
        finally:
            await tx.rollback()
