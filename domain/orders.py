"""Orders and refunds: the ledger side of a store's sales.

recordOrder upserts an order's full state by the store's order id: a replay is a no-op, a
changed order moves points by the difference, at the configuration version the order was
first earned under. refundOrder reverses points in proportion to the money refunded, at the
rate recorded when they were earned.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from uuid import UUID

from domain import referring, stamps
from domain.clock import Clock
from domain.earning import (
    Earning,
    Order,
    available_from,
    evaluate,
    expiry_for,
    points_to_reverse,
    validate_order,
)
from domain.errors import DomainError, ErrorCode, IdempotencyKeyReused, NotFound
from domain.idempotency import fingerprint, validate_key
from domain.ledger import DEFAULT_WALLET, Balance, EntryKind
from domain.members import active_member
from domain.paid_memberships import grant_memberships, revoke_memberships
from domain.ports import BalanceCache, TenantUnitOfWork, UnitOfWorkFactory
from domain.records.orders import OrderRecord, RefundRecord
from domain.segment_membership import refresh_member
from domain.tier_evaluation import evaluate_member_tier, tier_multiplier
from domain.wallet import LockedWallet


@dataclass(frozen=True, slots=True)
class OrderResult:
    record: OrderRecord
    points_delta: int
    balance: Balance | None
    unchanged: bool = False
    stamps: int = 0  # the change of the member's stamps


@dataclass(frozen=True, slots=True)
class RefundLine:
    sku: str
    quantity: int


@dataclass(frozen=True, slots=True)
class RefundResult:
    record: OrderRecord
    refund: RefundRecord
    shortfall: int
    balance: Balance | None
    replayed: bool = False


def order_fingerprint(order: Order) -> str:
    return fingerprint("order", order_to_json(order))


def order_to_json(order: Order) -> dict[str, Any]:
    # guest_id only when given: the body is what an order's fingerprint is taken of, and
    # orders recorded before guests had ids must keep theirs.
    guest = {"guest_id": order.guest_id} if order.guest_id is not None else {}
    return {
        "member_id": str(order.member_id) if order.member_id else None,
        "currency": order.currency,
        "channel": order.channel.value,
        "placed_at": order.placed_at.isoformat(),
        "lines": [
            {
                "sku": x.sku,
                "quantity": x.quantity,
                "unit_price_minor": x.unit_price_minor,
                "category": x.category,
            }
            for x in order.lines
        ],
        "discount_minor": order.discount_minor,
        "shipping_minor": order.shipping_minor,
        "tax_minor": order.tax_minor,
        **guest,
    }


async def record_order(
    uow_factory: UnitOfWorkFactory, cache: BalanceCache, clock: Clock, order: Order
) -> OrderResult:
    order = validate_order(order)
    digest = order_fingerprint(order)
    now = clock.now()
    async with uow_factory() as uow:
        existing = await uow.orders.lock(order.order_id)
        if existing is not None and existing.fingerprint == digest:
            return OrderResult(existing, 0, None, unchanged=True)
        if existing is not None:
            _check_change(existing, order)
            program = await uow.programs.version(existing.config_version)
        else:
            program = await uow.programs.current()
        multiplier = Decimal(1)
        if order.member_id is not None:
            await active_member(uow.members, order.member_id)
            if existing is not None and existing.order.member_id is not None:
                multiplier = existing.tier_multiplier
            else:
                multiplier = await tier_multiplier(uow, order.member_id)
            earning = evaluate(program, order, multiplier)
        else:  # a guest order earns nothing but still counts in the program's numbers
            if order.currency != program.currency:
                evaluate(program, order)  # raises the currency mismatch
            earning = Earning(0, (), program.version, program.rate)
        before = existing.earned_points if existing is not None else 0
        delta = earning.points - before
        balance = None
        wallet: LockedWallet | None = None
        # A member's new order is activity even when it earns nothing (below the minimum):
        # it restarts the inactivity clock.
        new_for_member = existing is None or existing.order.member_id is None
        if order.member_id is not None and (delta != 0 or new_for_member):
            wallet = await LockedWallet.open_in(uow, order.member_id, DEFAULT_WALLET, now)
            if delta == 0:
                wallet.note_activity()
            elif delta > 0:
                await wallet.credit(
                    delta,
                    kind=EntryKind.EARN,
                    available_at=available_from(program, order.placed_at, now),
                    expires_at=expiry_for(program, now),
                    reason=f"Order {order.order_id}",
                    order_id=order.order_id,
                    rate=earning.rate,
                    config_version=earning.config_version,
                )
            else:
                policy = (await uow.programs.current()).refund_policy
                await wallet.reverse(
                    -delta,
                    order_id=order.order_id,
                    policy=policy,
                    reason=f"Order {order.order_id} changed",
                    rate=earning.rate,
                    config_version=earning.config_version,
                )
        stamped = await stamps.on_order(uow, program, existing, order, wallet, now)
        if stamped.points_wallet is not None:
            balance = await stamped.points_wallet.save()
        record = OrderRecord(
            order=order,
            fingerprint=digest,
            config_version=program.version,
            earned_points=earning.points,
            reversed_points=0,
            refunded_minor=0,
            breakdown=earning.breakdown,
            created_at=existing.created_at if existing else now,
            updated_at=now,
            tier_multiplier=multiplier,
            seq=existing.seq if existing else 0,
        )
        await uow.orders.save(record, insert=existing is None)
        referral = await referring.on_order(uow, record, now)
        if order.member_id is not None:  # upgrades happen at once
            await grant_memberships(uow, await uow.programs.current(), record, now)
            await evaluate_member_tier(uow, order.member_id, now)
            await refresh_member(uow, order.member_id, now)
    if balance is not None:
        await cache.put(balance)
    if stamped.balance is not None:
        await cache.put(stamped.balance)
    later = referral.balances if referral else ()
    for changed in later:
        await cache.put(changed)
    balance = final_balance(order.member_id, balance, later)
    return OrderResult(record, delta, balance, stamps=stamped.stamps)


def final_balance(
    member_id: UUID | None, balance: Balance | None, later: Iterable[Balance]
) -> Balance | None:
    """The member's points balance after every effect of the mutation, for its payload.

    Effects that follow the order's own (a referral reward on a first order, its clawback on
    a refund) save the member's wallet again: the last saved balance is the one to show."""
    for changed in later:
        if changed.member_id == member_id and changed.wallet == DEFAULT_WALLET:
            balance = changed
    return balance


def _check_change(existing: OrderRecord, order: Order) -> None:
    old = existing.order
    if old.member_id is not None and old.member_id != order.member_id:
        raise DomainError(
            "An order's member cannot change (a guest order may gain one).", field=("memberId",)
        )
    if existing.refunded_minor > 0:
        raise DomainError(
            "This order has refunds: record further changes with refundOrder.",
            field=("orderId",),
            code=ErrorCode.ORDER_REFUNDED,
        )
    if old.currency != order.currency:
        raise DomainError("An order's currency cannot change.", field=("currency",))


def refund_amount(order: Order, lines: list[RefundLine]) -> int:
    """Money refunded for whole lines, after the order's discounts spread over its lines."""
    by_sku: dict[str, int] = {}
    for i, refund in enumerate(lines):
        matches = [x for x in order.lines if x.sku == refund.sku]
        if not matches:
            raise DomainError("No such sku in this order.", field=("lines", str(i), "sku"))
        bought = sum(x.quantity for x in matches)
        by_sku[refund.sku] = by_sku.get(refund.sku, 0) + refund.quantity
        if refund.quantity < 1 or by_sku[refund.sku] > bought:
            raise DomainError(
                f"quantity must be 1 to {bought}.", field=("lines", str(i), "quantity")
            )
    gross = Decimal(0)
    for sku, quantity in by_sku.items():
        matches = [x for x in order.lines if x.sku == sku]
        unit = Decimal(sum(x.total_minor for x in matches)) / sum(x.quantity for x in matches)
        gross += unit * quantity
    subtotal = order.subtotal_minor
    share = gross * order.paid_minor / subtotal if subtotal else Decimal(0)
    return int(share.to_integral_value(rounding=ROUND_HALF_UP))


async def _replayed_refund(
    uow: TenantUnitOfWork, record: OrderRecord, earlier: RefundRecord
) -> RefundResult:
    """The first answer of a refund again: its reversal's shortfall, and the member's
    balance right after it (none when it reversed no points)."""
    member_id = record.order.member_id
    entry = None
    if member_id is not None and earlier.points > 0:
        entry = await uow.ledger.keyed_entry(member_id, DEFAULT_WALLET, earlier.refund_id)
    if entry is None:
        return RefundResult(record, earlier, 0, None, replayed=True)
    balance = await uow.ledger.balance_after(entry.id)
    return RefundResult(record, earlier, entry.shortfall, balance, replayed=True)


def _rounding_slack(order: Order) -> int:
    """Most cents refunds by lines can overshoot what was paid: each rounds by at most half a
    cent, and an order has no more refunds by lines than units."""
    return sum(line.quantity for line in order.lines) // 2 + 1


async def refund_order(
    uow_factory: UnitOfWorkFactory,
    cache: BalanceCache,
    clock: Clock,
    *,
    order_id: str,
    refund_id: str,
    amount_minor: int | None,
    lines: list[RefundLine] | None,
) -> RefundResult:
    refund_id = validate_key(refund_id, field=("refundId",))
    if (amount_minor is None) == (lines is None):
        raise DomainError(
            "Give exactly one of amount and lines.", field=("amount",), code=ErrorCode.REQUIRED
        )
    now = clock.now()
    async with uow_factory() as uow:
        record = await uow.orders.lock(order_id.strip())
        if record is None:
            raise NotFound("No such order.", field=("orderId",))
        amount = (
            amount_minor if amount_minor is not None else refund_amount(record.order, lines or [])
        )
        earlier = await uow.orders.refund(refund_id)
        if earlier is not None:
            if earlier.order_id != record.order.order_id or earlier.amount_minor != amount:
                raise IdempotencyKeyReused(
                    "This refundId was already used for another refund.", field=("refundId",)
                )
            return await _replayed_refund(uow, record, earlier)
        if amount <= 0:
            raise DomainError("A refund must be of a positive amount.", field=("amount",))
        left = record.paid_minor - record.refunded_minor
        if lines is not None and left < amount <= left + _rounding_slack(record.order):
            # Each refund by lines rounds its share of the discounts to the cent, so refunding
            # every line one by one can come to a few cents more than was paid: the last
            # refund takes what is left.
            amount = left
        if record.refunded_minor + amount > record.paid_minor:
            raise DomainError(
                f"Refunds would exceed what was paid ({record.paid_minor - record.refunded_minor}"
                " left to refund).",
                field=("amount",),
                code=ErrorCode.REFUND_EXCEEDS_PAID,
            )
        refunded = record.refunded_minor + amount
        points = points_to_reverse(
            record.earned_points, record.paid_minor, refunded, record.reversed_points
        )
        shortfall = 0
        balance = None
        member_id = record.order.member_id
        if member_id is not None and points > 0:
            # Points go back at the rate they were earned at; what happens to points already
            # spent is the program's policy today.
            earned_under = await uow.programs.version(record.config_version)
            policy = (await uow.programs.current()).refund_policy
            wallet = await LockedWallet.open_in(uow, member_id, DEFAULT_WALLET, now)
            entry = await wallet.reverse(
                points,
                order_id=record.order.order_id,
                policy=policy,
                reason=f"Refund on order {record.order.order_id}",
                idempotency_key=refund_id,
                rate=earned_under.rate,
                config_version=earned_under.version,
            )
            shortfall = entry.shortfall
            balance = await wallet.save()
        stamps_balance = None
        # A stamp card, once configured, is only ever disabled, never removed: a program
        # without one now never had one, and no order of it holds stamps.
        current = await uow.programs.current() if member_id is not None else None
        if current is not None and current.stamp_card is not None:
            stamps_balance = await stamps.on_refund(
                uow, record, refunded, current.refund_policy, now
            )
        record = replace(
            record,
            refunded_minor=refunded,
            reversed_points=record.reversed_points + points,
            updated_at=now,
        )
        refund = RefundRecord(refund_id, record.order.order_id, amount, points, now)
        await uow.orders.save(record, insert=False)
        await uow.orders.add_refund(refund, now)
        referral = await referring.on_refund(uow, record, now)
        if member_id is not None:
            whole = record.refunded_minor >= record.paid_minor
            refunded_skus = None if whole else [x.sku for x in lines or ()]
            await revoke_memberships(uow, record, refunded_skus, now)
            await evaluate_member_tier(uow, member_id, now)
            await refresh_member(uow, member_id, now)
    if balance is not None:
        await cache.put(balance)
    if stamps_balance is not None:
        await cache.put(stamps_balance)
    later = referral.balances if referral else ()
    for changed in later:
        await cache.put(changed)
    return RefundResult(record, refund, shortfall, final_balance(member_id, balance, later))
