"""Paid memberships: an order line of a membership SKU the program names buys a tier for
a period; refunding the line (or the whole order) takes it back.

Both run in the order's (or the refund's) transaction, before the member's tier is
evaluated there, so the member holds the tier they bought as the order commits, and loses
it as the refund commits (domain.tiers.decide_with_memberships).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from uuid import uuid4

from domain.errors import DomainError, ErrorCode
from domain.ports import TenantUnitOfWork
from domain.program import MembershipPlan, ProgramConfig
from domain.records.orders import OrderRecord
from domain.tiers import PaidMembership, add_months, ladder


async def grant_memberships(
    uow: TenantUnitOfWork, program: ProgramConfig, record: OrderRecord, now: datetime
) -> int:
    """Grants what the order's membership lines buy, once per order and SKU: `months` per
    unit, from now or from the end of the time the member already has on the same tier.
    Answers how many were granted. A plan naming a tier that no longer exists grants none."""
    member_id = record.order.member_id
    plans = {p.sku: p for p in program.memberships}
    if member_id is None or not plans:
        return 0
    units: dict[str, int] = {}
    for line in record.order.lines:
        if line.sku in plans:
            units[line.sku] = units.get(line.sku, 0) + line.quantity
    if not units:
        return 0
    tiers = {t.name.casefold(): t for t in ladder(await uow.tiers.all())}
    held = await uow.tiers.memberships_of(member_id)
    granted = 0
    for sku, quantity in units.items():
        plan = plans[sku]
        tier = tiers.get(plan.tier.casefold())
        if tier is None:
            continue
        starts = max([now, *(m.ends_at for m in held if m.tier_id == tier.id)])
        membership = PaidMembership(
            uuid4(),
            member_id,
            tier.id,
            record.order.order_id,
            sku,
            starts,
            add_months(starts, plan.months * quantity),
        )
        if await uow.tiers.add_membership(membership):
            held.append(membership)
            granted += 1
    return granted


async def check_membership_plans(uow: TenantUnitOfWork, plans: Iterable[MembershipPlan]) -> None:
    """Each plan names a tier of the program, as it is now."""
    names = {t.name.casefold() for t in ladder(await uow.tiers.all())}
    for i, plan in enumerate(plans):
        if plan.tier.casefold() not in names:
            raise DomainError(
                f"The program has no tier {plan.tier!r}.",
                field=("paidMemberships", str(i), "tier"),
                code=ErrorCode.NOT_FOUND,
            )


async def revoke_memberships(
    uow: TenantUnitOfWork, record: OrderRecord, refunded_skus: Iterable[str] | None, now: datetime
) -> int:
    """Takes back what the order's refunded lines granted: those of `refunded_skus`, or
    every line's when the whole order is refunded (`refunded_skus` None)."""
    if record.order.member_id is None:
        return 0
    skus = None if refunded_skus is None else sorted(set(refunded_skus))
    if skus == []:
        return 0
    return await uow.tiers.revoke_memberships(record.order.order_id, skus, now)
