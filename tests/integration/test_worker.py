"""The worker: matures pending points, expires lots and idle balances, awards birthdays.
Idempotent, safe with several workers at once, and exact when it catches up after downtime."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from uuid import UUID

from api.services import Services
from api.settings import Settings
from api.worker import run_once, run_tenant
from domain.jobs import JobReport, run_jobs
from persistence.uow import PgUnitOfWorkFactory
from tests.conftest import CLOCK_START
from tests.support.earning import (
    adjust,
    balance,
    balances_of,
    configure,
    earn,
    enroll,
    fetch,
    ledger_rows,
    lots_of,
    order,
    points_of,
    refund,
    schema_of,
)
from tests.support.gql import TenantKit
from tests.support.ledger_checks import assert_ledger_matches_balances


def small_pool(settings: Settings) -> Settings:
    """Settings for a second worker process: a few connections are all a worker needs, and
    the database server is shared."""
    return settings.model_copy(update={"db_pool_min": 1, "db_pool_max": 4})


async def work(services: Services, kit: TenantKit) -> JobReport:
    """One worker round over this test's tenant only (run_once walks every tenant)."""
    tenant = await services.registry.get(UUID(kit.id))
    assert tenant is not None
    report = await run_tenant(services, tenant)
    assert report is not None, "another worker held the tenant"
    return report


async def indebted_history(gql, kit: TenantKit, members: int = 3) -> None:
    """Members m0..m{n-1}, each: 100 points earned on day 0 and 90 of them spent; $60 of
    the order refunded (a debt of 50 under allow-negative); then 80 points pending for
    7 days. Every lot expires after 10 days."""
    await configure(
        gql, kit, refundPolicy="ALLOW_NEGATIVE", lotExpiry={"after": 10, "unit": "DAYS"}
    )
    ids = [await enroll(gql, kit, externalId=f"m{i}") for i in range(members)]
    for i, member_id in enumerate(ids):
        assert await earn(gql, kit, order(f"o-{i}-1", member_id, ("a", 1, 10_000))) == 100
        assert (await adjust(gql, kit, member_id, -90))["errors"] == []
        refunded = await refund(gql, kit, orderId=f"o-{i}-1", refundId=f"r-{i}", amount=6000)
        assert refunded["shortfall"] == 50
    await configure(gql, kit, pendingDays=7)
    for i, member_id in enumerate(ids):
        assert await earn(gql, kit, order(f"o-{i}-2", member_id, ("a", 1, 8_000))) == 80


async def twins_with_points_due(clocked, make_tenant) -> tuple[TenantKit, TenantKit]:
    """Two tenants with the same indebted history of six members, 12 days on: pending
    points have matured and the first lots have expired, for a worker to settle."""
    twins = await make_tenant(), await make_tenant()
    for kit in twins:
        await indebted_history(clocked.gql, kit, members=6)
    clocked.clock.advance(timedelta(days=12))
    return twins


async def test_pending_points_mature_exactly_at_the_end_of_the_return_window(clocked, tenant):
    # Given an order of 40 points with a 14-day return window
    gql, services, clock = clocked.gql, clocked.services, clocked.clock
    await configure(gql, tenant, pendingDays=14)
    member_id = await enroll(gql, tenant)
    assert await earn(gql, tenant, order("o-1", member_id, ("a", 1, 4_000))) == 40

    # When the worker runs a microsecond before the window ends, and then at its end
    clock.advance(timedelta(days=14) - timedelta(microseconds=1))
    early = await work(services, tenant)
    before = await points_of(gql, tenant, member_id)
    clock.advance(timedelta(microseconds=1))
    on_time = await work(services, tenant)

    # Then the points are pending until the end, and available from it
    assert (early.settled, balance(before)) == (0, (0, 40, 40, 0))
    assert on_time.settled == 1
    assert balance(await points_of(gql, tenant, member_id)) == (40, 0, 40, 0)
    assert await lots_of(services, tenant) == [(40, 40, False)]
    await assert_ledger_matches_balances(services, tenant)


async def test_a_lot_expires_exactly_at_its_expiry_time(clocked, tenant):
    # Given 30 points that expire 30 days after they were earned, 12 of them spent
    gql, services, clock = clocked.gql, clocked.services, clocked.clock
    await configure(gql, tenant, lotExpiry={"after": 30, "unit": "DAYS"})
    member_id = await enroll(gql, tenant)
    assert await earn(gql, tenant, order("o-1", member_id, ("a", 1, 3_000))) == 30
    assert (await adjust(gql, tenant, member_id, -12))["errors"] == []

    # When the worker runs a microsecond before they expire, and at the moment they do
    clock.advance(timedelta(days=30) - timedelta(microseconds=1))
    await work(services, tenant)
    before = await points_of(gql, tenant, member_id)
    clock.advance(timedelta(microseconds=1))
    await work(services, tenant)

    # Then the 18 points left are there until that moment and gone at it
    assert balance(before) == (18, 0, 30, 0)
    assert balance(await points_of(gql, tenant, member_id)) == (0, 0, 30, 0)
    expired = await fetch(
        services,
        tenant,
        "SELECT available_delta, created_at FROM ledger_entries WHERE kind = 'EXPIRE'",
    )
    assert expired == [{"available_delta": -18, "created_at": CLOCK_START + timedelta(days=30)}]
    await assert_ledger_matches_balances(services, tenant)


async def test_a_worker_catching_up_after_downtime_ends_where_an_on_time_one_does(
    clocked, make_tenant
):
    # Given two tenants with the same history: debts, and pending points that mature on
    # day 7 and expire on day 10
    gql, services, clock = clocked.gql, clocked.services, clocked.clock
    on_time, caught_up = await make_tenant(), await make_tenant()
    for kit in (on_time, caught_up):
        await indebted_history(gql, kit)

    # When one tenant's worker runs every day for 12 days and the other's only on day 12
    for _ in range(12):
        clock.advance(timedelta(days=1))
        await work(services, on_time)
    await work(services, caught_up)

    # Then both end the same: maturing paid the debt before the rest of the points expired
    expected = {f"m{i}": (0, 0, 120, 0) for i in range(3)}
    assert await balances_of(services, on_time) == expected
    assert await balances_of(services, caught_up) == expected
    assert await lots_of(services, caught_up) == await lots_of(services, on_time)
    for kit in (on_time, caught_up):
        await assert_ledger_matches_balances(services, kit)


async def test_the_worker_run_twice_writes_what_one_run_writes(clocked, tenant):
    # Given points that are due to mature and to expire
    gql, services, clock = clocked.gql, clocked.services, clocked.clock
    await indebted_history(gql, tenant)
    clock.advance(timedelta(days=12))

    # When the worker runs, then runs again
    first = await work(services, tenant)
    after_first = await ledger_rows(services, tenant)
    second = await work(services, tenant)

    # Then the second run finds nothing to do and writes nothing
    assert first.settled == 3
    assert second == JobReport()
    assert await ledger_rows(services, tenant) == after_first
    await assert_ledger_matches_balances(services, tenant)


async def test_two_workers_at_once_write_what_one_worker_writes(clocked, make_tenant, settings):
    # Given twin tenants with points due, and a second worker process (its own pool)
    services, clock = clocked.services, clocked.clock
    alone, raced = await twins_with_points_due(clocked, make_tenant)
    other = await Services.start(small_pool(settings), clock=clock)
    try:
        # When one worker runs for the first tenant, and two at once for the second
        await work(services, alone)
        raced_tenant = await services.registry.get(UUID(raced.id))
        assert raced_tenant is not None
        reports = await asyncio.gather(
            run_tenant(services, raced_tenant), run_tenant(other, raced_tenant)
        )
    finally:
        await other.close()

    # Then the second tenant's ledger is the first one's
    assert any(r is not None and r.settled == 6 for r in reports)
    assert await ledger_rows(services, raced) == await ledger_rows(services, alone)
    assert await balances_of(services, raced) == await balances_of(services, alone)
    await assert_ledger_matches_balances(services, raced)


async def test_the_jobs_are_safe_without_the_tenant_lock(clocked, make_tenant, settings):
    # Given twin tenants with points due, and a second pool
    services, clock = clocked.services, clocked.clock
    alone, raced = await twins_with_points_due(clocked, make_tenant)
    other = await Services.start(small_pool(settings), clock=clock)
    try:
        # When the jobs run once for the first, and three times at once for the second,
        # bypassing the worker's advisory lock (only the members' row locks protect them)
        await work(services, alone)
        schema = await schema_of(services, raced)
        pools = (services, other, services)
        await asyncio.gather(
            *(
                run_jobs(
                    PgUnitOfWorkFactory(s.pool, schema),
                    s.balances.for_tenant(UUID(raced.id)),
                    clock,
                )
                for s in pools
            )
        )
    finally:
        await other.close()

    # Then the ledger is the same as one run's
    assert await ledger_rows(services, raced) == await ledger_rows(services, alone)
    assert await balances_of(services, raced) == await balances_of(services, alone)
    await assert_ledger_matches_balances(services, raced)


async def test_two_whole_worker_rounds_at_once_over_every_tenant(clocked, tenant, settings):
    # Given pending points due to mature, and two worker processes
    gql, services, clock = clocked.gql, clocked.services, clocked.clock
    await configure(gql, tenant, pendingDays=3)
    member_id = await enroll(gql, tenant)
    assert await earn(gql, tenant, order("o-1", member_id, ("a", 1, 2_500))) == 25
    clock.advance(timedelta(days=3))
    other = await Services.start(small_pool(settings), clock=clock)
    try:
        # When both run a full round over every tenant at the same time
        await asyncio.gather(run_once(services), run_once(other))
    finally:
        await other.close()

    # Then the points matured exactly once
    assert balance(await points_of(gql, tenant, member_id)) == (25, 0, 25, 0)
    kinds = await fetch(services, tenant, "SELECT kind FROM ledger_entries ORDER BY id")
    assert kinds == [{"kind": "EARN"}, {"kind": "MATURE"}]
    await assert_ledger_matches_balances(services, tenant)


async def test_a_balance_left_idle_expires_whole_after_the_inactivity_period(clocked, tenant):
    # Given a 30-day inactivity rule, and two members who earned on day 0, one of whom
    # spent a little on day 20
    gql, services, clock = clocked.gql, clocked.services, clocked.clock
    await configure(gql, tenant, inactivityDays=30)
    idle, active = await enroll(gql, tenant), await enroll(gql, tenant)
    assert await earn(gql, tenant, order("o-1", idle, ("a", 1, 4_000))) == 40
    assert await earn(gql, tenant, order("o-2", active, ("a", 1, 4_000))) == 40
    clock.advance(timedelta(days=20))
    assert (await adjust(gql, tenant, active, -5))["errors"] == []

    # When the worker runs just before day 30, on day 30, and on day 50
    clock.advance(timedelta(days=10) - timedelta(microseconds=1))
    assert (await work(services, tenant)).inactive_expired == 0
    clock.advance(timedelta(microseconds=1))
    day_30 = await work(services, tenant)
    idle_on_30 = await points_of(gql, tenant, idle)
    active_on_30 = await points_of(gql, tenant, active)
    clock.advance(timedelta(days=20))
    day_50 = await work(services, tenant)

    # Then each balance expired whole exactly 30 days after its member's last activity
    assert (day_30.inactive_expired, day_50.inactive_expired) == (1, 1)
    assert balance(idle_on_30) == (0, 0, 40, 0)
    assert balance(active_on_30) == (35, 0, 40, 0)
    assert balance(await points_of(gql, tenant, active)) == (0, 0, 40, 0)
    reasons = await fetch(
        services, tenant, "SELECT reason FROM ledger_entries WHERE kind = 'EXPIRE'"
    )
    assert reasons == [{"reason": "Expired after 30 days without activity"}] * 2
    await assert_ledger_matches_balances(services, tenant)


async def test_a_birthday_is_awarded_once_a_year(clocked, tenant):
    # Given a birthday action of 100 points and members born on 2 March (today),
    # 26 February (4 days ago, a missed run) and 20 February (too long ago)
    gql, services, clock = clocked.gql, clocked.services, clocked.clock
    await configure(gql, tenant, actions=[{"key": "birthday", "points": 100}])
    today = await enroll(gql, tenant, birthday="1990-03-02")
    missed = await enroll(gql, tenant, birthday="1985-02-26")
    stale = await enroll(gql, tenant, birthday="1985-02-20")

    # When the worker runs today, again today, and every day for the rest of the week
    reports = [await work(services, tenant), await work(services, tenant)]
    for _ in range(5):
        clock.advance(timedelta(days=1))
        reports.append(await work(services, tenant))

    # Then the two members in the window were awarded once, and no one else
    assert [r.birthdays for r in reports] == [2, 0, 0, 0, 0, 0, 0]
    assert [(await points_of(gql, tenant, m))["available"] for m in (today, missed, stale)] == [
        100,
        100,
        0,
    ]

    # And a year later, both birthdays are awarded again
    clock.advance(timedelta(days=360))
    assert clock.now().date() == date(2027, 3, 2)
    assert (await work(services, tenant)).birthdays == 2
    assert [(await points_of(gql, tenant, m))["available"] for m in (today, missed, stale)] == [
        200,
        200,
        0,
    ]
    await assert_ledger_matches_balances(services, tenant)


async def test_a_birthday_missed_over_new_year_is_caught_up_and_still_comes_next_year(
    clocked, tenant
):
    # Given a member born on 30 December, and the worker down from 29 December to 2 January
    gql, services, clock = clocked.gql, clocked.services, clocked.clock
    await configure(gql, tenant, actions=[{"key": "birthday", "points": 100}])
    member_id = await enroll(gql, tenant, birthday="1990-12-30")
    clock.advance(datetime(2027, 1, 2, 9, tzinfo=UTC) - clock.now())

    # When it runs on 2 January, and again on 30 December that year
    caught_up = await work(services, tenant)
    clock.advance(datetime(2027, 12, 30, 9, tzinfo=UTC) - clock.now())
    next_year = await work(services, tenant)

    # Then both birthdays were awarded
    assert (caught_up.birthdays, next_year.birthdays) == (1, 1)
    assert (await points_of(gql, tenant, member_id))["available"] == 200


async def test_an_order_that_earns_nothing_still_counts_as_activity(clocked, tenant):
    # Given a 30-day inactivity rule and 40 points earned on day 0
    gql, services, clock = clocked.gql, clocked.services, clocked.clock
    await configure(gql, tenant, inactivityDays=30)
    member_id = await enroll(gql, tenant)
    assert await earn(gql, tenant, order("o-1", member_id, ("a", 1, 4_000))) == 40

    # When on day 20 the member places an order too small to earn a point
    clock.advance(timedelta(days=20))
    assert await earn(gql, tenant, order("o-2", member_id, ("a", 1, 50))) == 0

    # Then the balance is still there on day 30, and expires on day 50
    clock.advance(timedelta(days=10))
    assert (await work(services, tenant)).inactive_expired == 0
    clock.advance(timedelta(days=20))
    assert (await work(services, tenant)).inactive_expired == 1
    assert balance(await points_of(gql, tenant, member_id)) == (0, 0, 40, 0)
    await assert_ledger_matches_balances(services, tenant)
