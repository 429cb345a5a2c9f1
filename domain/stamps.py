"""Stamps moved inside the transactions of orders, actions and refunds.

Stamps are ledger entries and lots of the `stamps` wallet, written through LockedWallet
like points. Lock order is the points wallet, then the stamps wallet: a card completing
into points (or a catalog reward, bought with points it credits) needs both, and every
path that takes both takes them in that order, so two orders of one member never deadlock.
A card completes under the stamps wallet's lock, so concurrent orders crossing the card's
boundary complete each card exactly once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from domain.earning import Order, points_to_reverse
from domain.ledger import DEFAULT_WALLET, Balance, EntryKind
from domain.lot_expiry import expires_at
from domain.ports import TenantUnitOfWork
from domain.program import ProgramConfig, RefundPolicy
from domain.records.orders import OrderRecord
from domain.referral_grants import grant
from domain.referral_settings import ReferralReward
from domain.stamp_card import STAMPS_WALLET, StampCard
from domain.stamp_rules import cards_due, stamps_for_action, stamps_for_order, stamps_to_credit
from domain.wallet import LockedWallet

CARD_COMPLETED = "Stamp card completed"


@dataclass(frozen=True, slots=True)
class Stamped:
    """What a change did to stamps: the points wallet (opened for a card's reward, or the
    caller's) still to be saved by the caller, and the saved stamps balance."""

    points_wallet: LockedWallet | None
    balance: Balance | None = None
    stamps: int = 0
    cards_completed: int = 0


async def on_order(
    uow: TenantUnitOfWork,
    program: ProgramConfig,
    existing: OrderRecord | None,
    order: Order,
    points_wallet: LockedWallet | None,
    now: datetime,
) -> Stamped:
    """Brings the order's stamps to what it earns under `program` (the version it was first
    earned under): a new order earns, a changed one moves by the difference."""
    member_id = order.member_id
    card = program.stamp_card
    if member_id is None or card is None:
        return Stamped(points_wallet)
    before = 0
    if existing is not None and existing.order.member_id is not None:
        earned, taken_back = await uow.ledger.order_totals(order.order_id, member_id, STAMPS_WALLET)
        before = earned - taken_back
    delta = stamps_for_order(card, order) - before
    reason = f"Order {order.order_id}"
    if delta > 0:
        return await _earn(
            uow, program, card, member_id, delta, reason, order.order_id, points_wallet, now
        )
    if delta < 0:
        stamps = await LockedWallet.open_in(uow, member_id, STAMPS_WALLET, now)
        policy = (await uow.programs.current()).refund_policy
        await stamps.reverse(
            -delta,
            order_id=order.order_id,
            policy=policy,
            reason=f"Order {order.order_id} changed",
            config_version=program.version,
        )
        return Stamped(points_wallet, await stamps.save(), delta)
    return Stamped(points_wallet)


async def on_action(
    uow: TenantUnitOfWork,
    program: ProgramConfig,
    member_id: UUID,
    action: str,
    points_wallet: LockedWallet,
    now: datetime,
) -> Stamped:
    """Stamps for a recorded action (a visit), with the action's points wallet locked."""
    card = program.stamp_card
    earned = stamps_for_action(card, action)
    if card is None or earned == 0:
        return Stamped(points_wallet)
    return await _earn(
        uow, program, card, member_id, earned, f"Action: {action}", None, points_wallet, now
    )


async def on_refund(
    uow: TenantUnitOfWork,
    record: OrderRecord,
    refunded_minor: int,
    policy: RefundPolicy,
    now: datetime,
) -> Balance | None:
    """Takes back the share of the order's stamps that `refunded_minor` (the order's refunds
    so far, this one included) refunds, by the tenant's refund policy; stamps already on a
    completed card are clawed back like spent points."""
    member_id = record.order.member_id
    if member_id is None:
        return None
    earned, taken_back = await uow.ledger.order_totals(
        record.order.order_id, member_id, STAMPS_WALLET
    )
    stamps = points_to_reverse(earned, record.paid_minor, refunded_minor, taken_back)
    if stamps <= 0:
        return None
    wallet = await LockedWallet.open_in(uow, member_id, STAMPS_WALLET, now)
    await wallet.reverse(
        stamps,
        order_id=record.order.order_id,
        policy=policy,
        reason=f"Refund on order {record.order.order_id}",
        config_version=record.config_version,
    )
    return await wallet.save()


async def _earn(
    uow: TenantUnitOfWork,
    program: ProgramConfig,
    card: StampCard,
    member_id: UUID,
    earned: int,
    reason: str,
    order_id: str | None,
    points_wallet: LockedWallet | None,
    now: datetime,
) -> Stamped:
    if points_wallet is None:  # before the stamps wallet: the lock order
        points_wallet = await LockedWallet.open_in(uow, member_id, DEFAULT_WALLET, now)
    stamps = await LockedWallet.open_in(uow, member_id, STAMPS_WALLET, now)
    completed = await uow.ledger.count_entries(member_id, STAMPS_WALLET, EntryKind.REDEEM)
    credit = stamps_to_credit(card, earned, stamps.balance.spendable, completed)
    if credit > 0:
        await stamps.credit(
            credit,
            kind=EntryKind.EARN,
            available_at=now,
            expires_at=expires_at(card.expiry, now),
            reason=reason,
            order_id=order_id,
            config_version=program.version,
        )
    # Even with nothing credited: a card filled by hand, or left full by a reward that
    # could not be given, completes on the member's next stamp.
    done = await _complete_cards(uow, program, card, stamps, points_wallet, completed)
    return Stamped(points_wallet, await stamps.save(), credit, done)


async def _complete_cards(
    uow: TenantUnitOfWork,
    program: ProgramConfig,
    card: StampCard,
    stamps: LockedWallet,
    points_wallet: LockedWallet,
    completed: int,
) -> int:
    """Turns every full card into its reward: the reward first, then an entry consuming the
    card's stamps. A reward that cannot be given now (archived, out of stock) leaves the
    card full, to complete on the member's next stamp."""
    due = cards_due(card, stamps.balance.spendable, completed)
    spec = ReferralReward(points=card.reward_points, reward_id=card.reward_id)
    done = 0
    for _ in range(due):
        given = await grant(
            uow, points_wallet, spec, program, reason=CARD_COMPLETED, available_at=stamps.now
        )
        if given is None:
            break
        await stamps.spend(card.card_size, kind=EntryKind.REDEEM, reason=CARD_COMPLETED)
        done += 1
    return done
