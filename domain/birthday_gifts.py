"""Birthday gifts: on a member's birthday the worker gives the `birthday` action's points
(when the program has that action) and a catalog reward issued free, the one configured for
the member's tier, else the program's default (domain.program.BirthdayGift).

Both are given in one transaction under the member's wallet lock, once per birthday: an
award of the birthday recorded on or after the day means it was celebrated, so a second
worker, or a rerun, gives nothing more. A reward that cannot be given (archived, ended, out
of stock, not for the member's tier) gives nothing; the points are given all the same.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from uuid import UUID

from domain.actions import award_action, limit_refusal
from domain.clock import Clock
from domain.errors import DomainError
from domain.ledger import DEFAULT_WALLET, Balance
from domain.members import active_member
from domain.ports import BalanceCache, TenantUnitOfWork, UnitOfWorkFactory
from domain.program import BirthdayGift, ProgramConfig
from domain.referral_grants import Grant, check_gift_reward, grant
from domain.referral_settings import ReferralReward
from domain.segment_membership import refresh_member
from domain.tier_evaluation import evaluate_member_tier
from domain.wallet import LockedWallet

BIRTHDAY = "birthday"
GIFT_REASON = "Birthday gift"


async def check_birthday_gift(uow: TenantUnitOfWork, gift: BirthdayGift | None) -> None:
    """Every reward the gift names exists, is not archived and has a fixed cost."""
    if gift is None:
        return
    what = "A birthday gift"
    await check_gift_reward(uow, gift.reward_id, ("birthdayGift", "rewardId"), what)
    for i, given in enumerate(gift.by_tier):
        field = ("birthdayGift", "byTier", str(i), "rewardId")
        await check_gift_reward(uow, given.reward_id, field, what)


async def celebrate_birthday(
    uow_factory: UnitOfWorkFactory, cache: BalanceCache, clock: Clock, member_id: UUID, day: date
) -> bool:
    """Gives the birthday of `day` its points and gift; False when it had been celebrated
    already, or there was nothing to give (the member is not active, the action's limits,
    the reward unavailable and no points)."""
    now = clock.now()
    balances: list[Balance] = []
    async with uow_factory() as uow:
        program = await uow.programs.current()
        try:
            await active_member(uow.members, member_id)
        except DomainError:
            return False
        wallet = await LockedWallet.open_in(uow, member_id, DEFAULT_WALLET, now)
        last = await uow.actions.last_at(member_id, BIRTHDAY)
        if last is not None and last >= datetime.combine(day, time(), tzinfo=UTC):
            return False
        entry_id = None
        rule = program.action(BIRTHDAY)
        if rule is not None and await limit_refusal(uow.actions, member_id, rule, now) is None:
            entry, stamped = await award_action(uow, program, rule, wallet)
            entry_id = entry.id
            if stamped.balance is not None:
                balances.append(stamped.balance)
        gift = await _gift(uow, wallet, program)
        if entry_id is None and gift is None:
            return False
        if entry_id is None and gift is not None:  # the gift alone marks the birthday done
            await uow.actions.add(member_id, BIRTHDAY, now, gift.entry_id)
        balances.insert(0, await wallet.save())
        await evaluate_member_tier(uow, member_id, now)
        await refresh_member(uow, member_id, now)
    for balance in balances:
        await cache.put(balance)
    return True


async def _gift(
    uow: TenantUnitOfWork, wallet: LockedWallet, program: ProgramConfig
) -> Grant | None:
    """The gift of the member's tier (held now), issued free; None when there is none."""
    gift = program.birthday_gift
    if gift is None:
        return None
    held = await uow.tiers.held(wallet.member_id)
    tier = held.name if held is not None else None
    reward_id = gift.reward_for(tier)
    if reward_id is None:
        return None
    spec = ReferralReward(reward_id=reward_id)
    return await grant(
        uow, wallet, spec, program, reason=GIFT_REASON, available_at=wallet.now, tier=tier
    )
