"""The life of a referral: linked at sign-up, rewarded once, clawed back on refund.

Each step runs inside the transaction of the sign-up, order or refund that causes it, so a
reward is never given without its cause, nor kept after its cause is undone.

Locks, always in this order: the referee's wallet, then the referral row, then the
referrer's wallet, then reward rows. A referrer always enrolled before their referee, so
no two transactions can take two members' wallets in opposite orders. The referral row
lock is what makes a reward happen once: a second, concurrent first order finds the
referral no longer pending.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from uuid import uuid4

from domain.earning import available_from
from domain.errors import NotFound
from domain.events import referral_completed
from domain.ledger import DEFAULT_WALLET, Balance
from domain.periods import counted_since
from domain.ports import TenantUnitOfWork
from domain.records.members import Member
from domain.records.orders import OrderRecord
from domain.records.referrals import Referral, ReferralStatus, RejectReason
from domain.referral_grants import grant, take_back
from domain.referral_settings import ReferralSettings, ReferralTrigger
from domain.referrals import clean_code, refusal
from domain.tier_evaluation import evaluate_member_tier
from domain.wallet import LockedWallet


@dataclass(frozen=True, slots=True)
class Outcome:
    referral: Referral
    balances: tuple[Balance, ...] = ()


async def link(uow: TenantUnitOfWork, referee: Member, code: str, now: datetime) -> Outcome:
    """Links a member who has just enrolled to the owner of `code`; rewards at once when the
    program rewards sign-ups. Fraud rules reject the referral, never the enrolment."""
    referrer = await uow.members.get_by_referral_code(clean_code(code))
    if referrer is None:
        raise NotFound("No member has this referral code.", field=("referralCode",))
    reason = await _refusal(uow, referrer, referee)
    referral = await uow.referrals.add(
        Referral(
            id=uuid4(),
            seq=0,
            referrer_id=referrer.id,
            referee_id=referee.id,
            code=referrer.referral_code,
            status=ReferralStatus.REJECTED if reason else ReferralStatus.PENDING,
            reject_reason=reason,
            qualifying_order_id=None,
            referrer_points=0,
            referee_points=0,
            referrer_entry_id=None,
            referee_entry_id=None,
            referrer_redemption_id=None,
            referee_redemption_id=None,
            created_at=now,
            rewarded_at=None,
            reversed_at=None,
        )
    )
    settings = await uow.referrals.settings()
    if reason or settings.trigger is not ReferralTrigger.SIGNUP or not settings.rewards_anything:
        return Outcome(referral)
    referee_wallet = await LockedWallet.open_in(uow, referee.id, DEFAULT_WALLET, now)
    return await _reward(uow, referral, referee_wallet, settings, None, now)


async def on_order(uow: TenantUnitOfWork, record: OrderRecord, now: datetime) -> Outcome | None:
    """Rewards the referral of the order's member if this order is their first qualifying
    one. Called by recordOrder after the order is saved."""
    member_id = record.order.member_id
    if member_id is None:
        return None
    seen = await uow.referrals.for_referee(member_id)
    if seen is None or seen.status is not ReferralStatus.PENDING:
        return None  # the common case, decided without a lock
    settings = await uow.referrals.settings()
    if (
        settings.trigger is not ReferralTrigger.FIRST_ORDER
        or not settings.rewards_anything
        or record.paid_minor - record.refunded_minor < max(settings.min_order_minor, 1)
    ):
        return None
    referee_wallet = await LockedWallet.open_in(uow, member_id, DEFAULT_WALLET, now)
    referral = await uow.referrals.for_referee(member_id, lock=True)
    if referral is None or referral.status is not ReferralStatus.PENDING:
        return None  # a concurrent order got there first
    return await _reward(uow, referral, referee_wallet, settings, record, now)


async def on_refund(uow: TenantUnitOfWork, record: OrderRecord, now: datetime) -> Outcome | None:
    """Claws back both sides' rewards when a refund leaves the qualifying order below the
    minimum (any full refund does). Called by refundOrder after the refund is saved."""
    seen = await uow.referrals.for_order(record.order.order_id)
    if seen is None or seen.status is not ReferralStatus.REWARDED:
        return None
    settings = await uow.referrals.settings()
    if record.paid_minor - record.refunded_minor >= max(settings.min_order_minor, 1):
        return None
    referee_wallet = await LockedWallet.open_in(uow, seen.referee_id, DEFAULT_WALLET, now)
    referral = await uow.referrals.for_referee(seen.referee_id, lock=True)
    if referral is None or referral.status is not ReferralStatus.REWARDED:
        return None
    referrer_wallet = await LockedWallet.open_in(uow, referral.referrer_id, DEFAULT_WALLET, now)
    program = await uow.programs.current()
    reason = f"Referral reward reversed: order {record.order.order_id} refunded"
    for wallet, points, redemption_id in (
        (referee_wallet, referral.referee_points, referral.referee_redemption_id),
        (referrer_wallet, referral.referrer_points, referral.referrer_redemption_id),
    ):
        await take_back(
            uow,
            wallet,
            points,
            redemption_id,
            program,
            order_id=record.order.order_id,
            reason=reason,
        )
    reversed_ = replace(referral, status=ReferralStatus.REVERSED, reversed_at=now)
    await uow.referrals.update(reversed_)
    return Outcome(reversed_, (await referee_wallet.save(), await referrer_wallet.save()))


async def _refusal(uow: TenantUnitOfWork, referrer: Member, referee: Member) -> RejectReason | None:
    # Only members who were there before the referee make them "not new": a look-alike
    # enrolled later is a duplicate of the referee, not a sign they were a member before.
    look_alikes = (
        await uow.referrals.look_alikes(referee.email, referee.seq, [referrer.id, referee.id])
        if referee.email
        else 0
    )
    return refusal(referrer, referee, look_alikes)


async def _reward(
    uow: TenantUnitOfWork,
    referral: Referral,
    referee_wallet: LockedWallet,
    settings: ReferralSettings,
    order: OrderRecord | None,
    now: datetime,
) -> Outcome:
    """Gives both sides their reward, or rejects the referral if a rule now refuses it
    (the referee may have changed their email since enrolling; the referrer's cap may be
    reached). The referral row is locked, or new in this transaction."""
    referrer_wallet = await LockedWallet.open_in(uow, referral.referrer_id, DEFAULT_WALLET, now)
    referrer = await uow.members.get(referral.referrer_id)
    referee = await uow.members.get(referral.referee_id)
    assert referrer is not None and referee is not None
    reason = await _refusal(uow, referrer, referee)
    if reason is None and settings.cap is not None:
        since = counted_since(settings.cap_period, now)
        # The referrer's wallet lock, held above, serialises this count with other
        # referrals of the same referrer.
        if await uow.referrals.rewarded_since(referrer.id, since) >= settings.cap:
            reason = RejectReason.CAP_REACHED
    if reason is not None:
        rejected = replace(referral, status=ReferralStatus.REJECTED, reject_reason=reason)
        await uow.referrals.update(rejected)
        return Outcome(rejected)
    program = await uow.programs.current()
    # Points for an order wait out the order's return window, like the order's own points.
    available_at = available_from(program, order.order.placed_at, now) if order else now
    # The referee first, as in the lock order (see the top of this module).
    referee_grant, referrer_grant = [
        await grant(uow, wallet, spec, program, reason=why, available_at=available_at)
        for wallet, spec, why in (
            (referee_wallet, settings.referee_reward, "Referral reward: welcome"),
            (referrer_wallet, settings.referrer_reward, "Referral reward: a friend joined"),
        )
    ]
    rewarded = replace(
        referral,
        status=ReferralStatus.REWARDED,
        qualifying_order_id=order.order.order_id if order else None,
        referee_points=referee_grant.points if referee_grant else 0,
        referee_entry_id=referee_grant.entry_id if referee_grant else None,
        referee_redemption_id=referee_grant.redemption_id if referee_grant else None,
        referrer_points=referrer_grant.points if referrer_grant else 0,
        referrer_entry_id=referrer_grant.entry_id if referrer_grant else None,
        referrer_redemption_id=referrer_grant.redemption_id if referrer_grant else None,
        rewarded_at=now,
    )
    await uow.referrals.update(rewarded)
    uow.events.add(referral_completed(rewarded, referee.external_id, now))
    saved = (await referee_wallet.save(), await referrer_wallet.save())
    # Referral points count towards the referrer's tier at once; the referee's tier is
    # evaluated by the enrolment or order that brought the reward.
    await evaluate_member_tier(uow, referral.referrer_id, now)
    return Outcome(rewarded, saved)
