"""Giving one side of a referral its reward, and taking it back.

Runs inside the caller's transaction with the member's wallet already locked, and never
raises for a reward it cannot give (archived, out of stock, pool exhausted): recording an
order or a sign-up must not fail because a referral gift is unavailable. That side simply
gets nothing, which the referral records (no entry, no redemption).

A catalog reward is given as its points cost, credited and at once spent on the reward:
the ledger shows both lines, the redemption is an ordinary one, and cancelling its code
leaves the member the points, worth what the reward was.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from uuid import UUID, uuid4

from domain.earned import earn_now
from domain.errors import DomainError, NotFound
from domain.ledger import EntryKind, LedgerEntry
from domain.ports import TenantUnitOfWork
from domain.program import ProgramConfig
from domain.redemption import issue_code, new_redemption
from domain.referral_settings import ReferralReward
from domain.rewards import RedemptionStatus
from domain.wallet import LockedWallet


async def check_gift_reward(
    uow: TenantUnitOfWork, reward_id: UUID | None, field: tuple[str, ...], what: str
) -> None:
    """A reward given free (`what`: a referral's, a welcome's) exists, is not archived, and
    has a fixed cost: what it is worth is credited, then spent on it."""
    if reward_id is None:
        return
    found = await uow.rewards.get(reward_id)
    if found is None or found.archived:
        raise NotFound("No such reward.", field=field)
    if found.points_cost is None:
        raise DomainError(f"{what} must have a fixed pointsCost.", field=field)


@dataclass(frozen=True, slots=True)
class Grant:
    points: int
    entry_id: int
    redemption_id: UUID | None = None


async def grant(
    uow: TenantUnitOfWork,
    wallet: LockedWallet,
    spec: ReferralReward | None,
    program: ProgramConfig,
    *,
    reason: str,
    available_at: datetime,
    tier: str | None = None,
) -> Grant | None:
    """Gives `spec` (None: this side gets nothing) to a member holding `tier`; None when
    nothing was given."""
    if spec is None:
        return None
    now = wallet.now
    if spec.points is not None:
        entry = await _earn(wallet, spec.points, program, reason, available_at)
        return Grant(spec.points, entry.id)
    assert spec.reward_id is not None
    reward = await uow.rewards.get(spec.reward_id)
    # A debt would swallow the credited points and leave nothing to spend on the reward.
    if reward is None or reward.points_cost is None or wallet.balance.debt > 0:
        return None
    if not reward.live(now) or not reward.eligible(tier):
        return None
    if not await uow.rewards.reserve_stock(reward.id):
        return None
    redemption_id = uuid4()
    try:
        code = await issue_code(uow, reward, redemption_id)
    except DomainError:  # the pool ran dry, or no free code was found
        await uow.rewards.release_stock(reward.id)
        return None
    cost = reward.points_cost
    credit = await _earn(wallet, cost, program, reason, now)
    spend = await wallet.spend(cost, kind=EntryKind.REDEEM, reason=f"Reward: {reward.name}")
    await uow.redemptions.add(
        new_redemption(
            reward,
            redemption_id=redemption_id,
            member_id=wallet.member_id,
            code=code,
            points=cost,
            value_minor=reward.value_minor,
            spend_entry_id=spend.id,
            now=now,
        )
    )
    return Grant(cost, credit.id, redemption_id)


async def _earn(
    wallet: LockedWallet, points: int, program: ProgramConfig, reason: str, available_at: datetime
) -> LedgerEntry:
    return await earn_now(wallet, program, points, reason, available_at=available_at)


async def take_back(
    uow: TenantUnitOfWork,
    wallet: LockedWallet,
    points: int,
    redemption_id: UUID | None,
    program: ProgramConfig,
    *,
    order_id: str,
    reason: str,
) -> None:
    """Reverses a grant with new entries. An unused gifted code is cancelled first (its
    points go back to the member, then leave with the reversal); a used one cannot be, so
    its points are clawed back like spent points of a refunded order."""
    if points <= 0:
        return
    if redemption_id is not None:
        redemption = await uow.redemptions.lock(redemption_id)
        if redemption is not None and redemption.status is RedemptionStatus.ISSUED:
            back = await wallet.restore(redemption.spend_entry_id, redemption.points, reason=reason)
            await uow.rewards.release_stock(redemption.reward_id)
            await uow.redemptions.update(
                replace(
                    redemption,
                    status=RedemptionStatus.CANCELLED,
                    return_entry_id=back.id,
                    closed_at=wallet.now,
                )
            )
    await wallet.reverse(
        points, order_id=order_id, policy=program.refund_policy, reason=reason, rate=program.rate
    )
