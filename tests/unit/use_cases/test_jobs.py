"""What time does to points: the worker's jobs (domain/jobs.py)."""

from __future__ import annotations

from datetime import date, timedelta

from domain.jobs import award_birthdays, expire_inactive, run_jobs, settle_due
from domain.ledger import EntryKind
from domain.orders import record_order
from domain.program import ActionRule, ExpiryUnit, LotExpiry


async def test_pending_points_mature_when_their_window_ends(world):
    # given a 14-day return window and an order's 50 pending points
    await world.configure(pending_days=14)
    member = await world.member()
    await record_order(world.uow, world.cache, world.clock, world.order(member.id))

    # when the job runs before and after the window
    early = await settle_due(world.uow, world.cache, world.clock)
    world.clock.advance(timedelta(days=14))
    settled = await settle_due(world.uow, world.cache, world.clock)

    # then only the second matured them, and the cache learnt it
    assert (early, settled) == (0, 1)
    balance = await world.balance(member.id)
    assert (balance.available, balance.pending) == (50, 0)
    assert await world.cache.get(member.id, "points") == balance


async def test_lots_expire_at_their_time_and_only_what_is_left_of_them(world):
    # given points that expire after 30 days, of which some were spent
    await world.configure(lot_expiry=LotExpiry(30, ExpiryUnit.DAYS))
    member = await world.member(points=80)
    await world.adjust(member.id, -30)

    # when 30 days pass and the job runs, twice
    world.clock.advance(timedelta(days=30))
    first = await settle_due(world.uow, world.cache, world.clock)
    second = await settle_due(world.uow, world.cache, world.clock)

    # then the 50 left expired in one entry, once
    assert (first, second) == (1, 0)
    expiries = [e.entry for e in world.db.tables.entries.values()]
    assert [e.available_delta for e in expiries if e.kind is EntryKind.EXPIRE] == [-50]
    assert (await world.balance(member.id)).available == 0


async def test_an_idle_balance_expires_after_the_inactivity_period(world):
    # given a 90-day inactivity rule, an idle member and one who kept earning
    await world.configure(inactivity_days=90)
    idle, busy = await world.member(points=40), await world.member(points=40)
    world.clock.advance(timedelta(days=60))
    await world.adjust(busy.id, 1)

    # when 91 days have passed since the first earnings
    world.clock.advance(timedelta(days=31))
    expired = await expire_inactive(world.uow, world.cache, world.clock)

    # then only the idle balance expired
    assert expired == 1
    assert (await world.balance(idle.id)).available == 0
    assert (await world.balance(busy.id)).available == 41


async def test_birthdays_are_awarded_once_a_year_even_when_the_job_runs_late(world):
    # given a birthday action and a member whose birthday was two days ago
    await world.configure(actions=(ActionRule("birthday", 200),))
    today = world.clock.now().date()
    member = await world.member(birthday=date(1990, today.month, today.day) - timedelta(days=2))

    # when the job runs twice
    first = await award_birthdays(world.uow, world.cache, world.clock)
    second = await award_birthdays(world.uow, world.cache, world.clock)

    # then the member got 200 points once
    assert (first, second) == (1, 0)
    assert (await world.balance(member.id)).available == 200


async def test_all_jobs_run_together_and_report_what_they_did(world):
    # given pending points due to mature
    await world.configure(pending_days=1)
    member = await world.member()
    await record_order(world.uow, world.cache, world.clock, world.order(member.id))
    world.clock.advance(timedelta(days=1))

    # when every job runs
    report = await run_jobs(world.uow, world.cache, world.clock)

    # then one wallet was settled and nothing else had anything to do
    assert (report.settled, report.inactive_expired, report.birthdays) == (1, 0, 0)
    assert (report.codes_expired, report.tiers_reevaluated, report.tiers_reviewed) == (0, 0, 0)
