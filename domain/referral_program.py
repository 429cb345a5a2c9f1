"""Configuring the referral program, and enrolling a shopper who came with a code."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from domain import enrolment
from domain.clock import Clock
from domain.ledger import Balance
from domain.ports import BalanceCache, TenantUnitOfWork, UnitOfWorkFactory
from domain.records.members import Member, MemberDraft
from domain.records.referrals import Referral
from domain.referral_grants import check_gift_reward
from domain.referral_settings import ReferralReward, ReferralSettings, validate
from domain.referring import link


async def _check_catalog_reward(
    uow: TenantUnitOfWork, reward: ReferralReward | None, name: str
) -> None:
    if reward is not None:
        await check_gift_reward(uow, reward.reward_id, (name, "rewardId"), "A referral reward")


async def configure_referrals(
    uow_factory: UnitOfWorkFactory,
    clock: Clock,
    change: Callable[[ReferralSettings], ReferralSettings],
    by: str | None,
) -> ReferralSettings:
    """Applies `change` to the current settings and saves the result as a new version."""
    async with uow_factory() as uow:
        current = await uow.referrals.settings()
        updated = replace(validate(change(current)), version=current.version + 1)
        await _check_catalog_reward(uow, updated.referrer_reward, "referrerReward")
        await _check_catalog_reward(uow, updated.referee_reward, "refereeReward")
        await uow.referrals.save_settings(updated, clock.now(), by)
    return updated


async def current_settings(uow_factory: UnitOfWorkFactory) -> ReferralSettings:
    async with uow_factory() as uow:
        return await uow.referrals.settings()


@dataclass(frozen=True, slots=True)
class Enrolled:
    member: Member
    referral: Referral


async def enroll_referred(
    uow_factory: UnitOfWorkFactory,
    cache: BalanceCache,
    clock: Clock,
    d: MemberDraft,
    code: str,
    then: enrolment.AfterEnrol | None = None,
) -> Enrolled:
    """Enrols a shopper and links them to the member whose code they came with, in one
    transaction: an unknown code enrols nobody. `then` runs after the link, in the same
    transaction (the welcome offer)."""
    found: list[Referral] = []
    balances: list[Balance] = []

    async def linked(uow: TenantUnitOfWork, member: Member) -> None:
        outcome = await link(uow, member, code, clock.now())
        found.append(outcome.referral)
        balances.extend(outcome.balances)
        if then is not None:
            await then(uow, member)

    member = await enrolment.enroll(uow_factory, clock, d, linked=linked)
    for balance in balances:
        await cache.put(balance)
    return Enrolled(member, found[0])
