"""What time does to points: maturing, expiring, inactivity, birthdays, tiers and segments.

Each job is idempotent and safe with several workers at once: every change happens under the
member's balance row lock and re-checks what is due there, so two workers racing for the same
member find the work done by whichever came first. A worker that was down catches up on its
next run, since every query asks what is due *by now*.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from domain.actions import record_action
from domain.birthday_gifts import celebrate_birthday
from domain.clock import Clock
from domain.errors import DomainError
from domain.ports import BalanceCache, UnitOfWorkFactory
from domain.redemption import expire_unused
from domain.segment_membership import refresh_all
from domain.tier_evaluation import reevaluate_changed_definitions, review_kept_tiers
from domain.wallet import LockedWallet
from domain.winback import continue_campaigns

BIRTHDAY_CATCH_UP_DAYS = 7


@dataclass
class JobReport:
    settled: int = 0
    inactive_expired: int = 0
    birthdays: int = 0
    codes_expired: int = 0
    tiers_reevaluated: int = 0  # members moved because the tier definitions changed
    tiers_reviewed: int = 0  # members moved because their kept tier came due
    segments_refreshed: int = 0  # members whose segments the periodic pass recomputed
    campaigns_finished: int = 0  # win-back campaigns a request left running
    imports_resumed: int = 0  # member imports whose run stopped with its process

    def __iadd__(self, other: JobReport) -> JobReport:
        self.settled += other.settled
        self.inactive_expired += other.inactive_expired
        self.birthdays += other.birthdays
        self.codes_expired += other.codes_expired
        self.tiers_reevaluated += other.tiers_reevaluated
        self.tiers_reviewed += other.tiers_reviewed
        self.segments_refreshed += other.segments_refreshed
        self.campaigns_finished += other.campaigns_finished
        self.imports_resumed += other.imports_resumed
        return self


async def settle_due(
    uow_factory: UnitOfWorkFactory, cache: BalanceCache, clock: Clock, batch: int = 200
) -> int:
    """Matures and expires every lot that is due, member by member."""
    done = 0
    while True:
        now = clock.now()
        async with uow_factory() as uow:
            due = await uow.ledger.wallets_with_due_lots(now, batch)
        for member_id, wallet in due:
            async with uow_factory() as uow:
                opened = await LockedWallet.open_in(uow, member_id, wallet, now)
                balance = await opened.save()
            await cache.put(balance)
        done += len(due)
        if len(due) < batch:
            return done


async def expire_inactive(
    uow_factory: UnitOfWorkFactory, cache: BalanceCache, clock: Clock, batch: int = 200
) -> int:
    """Expires whole balances left untouched for the program's inactivity period."""
    now = clock.now()
    async with uow_factory() as uow:
        program = await uow.programs.current()
    if program.inactivity_days is None:
        return 0
    cutoff = now - timedelta(days=program.inactivity_days)
    done = 0
    while True:
        async with uow_factory() as uow:
            idle = await uow.ledger.inactive_wallets(cutoff, batch)
        for member_id, wallet in idle:
            async with uow_factory() as uow:
                opened = await LockedWallet.open_in(uow, member_id, wallet, now)
                last = await uow.ledger.last_activity(member_id, wallet)
                if last is not None and last <= cutoff:  # re-checked under the lock
                    lots = await uow.ledger.spendable_lots(member_id, wallet, now)
                    await opened.expire(
                        lots,
                        reason=f"Expired after {program.inactivity_days} days without activity",
                    )
                balance = await opened.save()
            await cache.put(balance)
        done += len(idle)
        if len(idle) < batch:
            return done


async def award_birthdays(
    uow_factory: UnitOfWorkFactory, cache: BalanceCache, clock: Clock, batch: int = 500
) -> int:
    """Awards the program's 'birthday' action, and its birthday gift, once a year, catching
    up on a missed week."""
    now = clock.now()
    async with uow_factory() as uow:
        program = await uow.programs.current()
        if program.action("birthday") is None and program.birthday_gift is None:
            return 0
        due = await uow.members.birthdays_due(
            now.date() - timedelta(days=BIRTHDAY_CATCH_UP_DAYS), now.date(), batch
        )
    awarded = 0
    for member_id, day in due:
        if program.birthday_gift is not None:  # points and a gift, in one transaction
            celebrated = await celebrate_birthday(uow_factory, cache, clock, member_id, day)
            awarded += 1 if celebrated else 0
            continue
        try:
            result = await record_action(
                uow_factory,
                cache,
                clock,
                member_id=member_id,
                action="birthday",
                # One key per member and birthday: a second worker, or a rerun, pays nothing
                # more. The birthday's own year, not today's: a 30 December birthday caught
                # up on 2 January still belongs to the year before.
                idempotency_key=f"birthday:{member_id}:{day.year}",
            )
        except DomainError:
            continue  # limits of the program's birthday rule, or a member no longer active
        awarded += 0 if result.replayed else 1
    return awarded


async def run_jobs(uow_factory: UnitOfWorkFactory, cache: BalanceCache, clock: Clock) -> JobReport:
    return JobReport(
        settled=await settle_due(uow_factory, cache, clock),
        inactive_expired=await expire_inactive(uow_factory, cache, clock),
        birthdays=await award_birthdays(uow_factory, cache, clock),
        codes_expired=await expire_unused(uow_factory, cache, clock),
        tiers_reevaluated=await reevaluate_changed_definitions(uow_factory, cache, clock),
        tiers_reviewed=await review_kept_tiers(uow_factory, cache, clock),
        segments_refreshed=await refresh_all(uow_factory, clock),
        campaigns_finished=await continue_campaigns(uow_factory, cache, clock),
    )
