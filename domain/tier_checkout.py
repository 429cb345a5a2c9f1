"""Tier benefits at checkout: what the member's tier takes off a cart.

The tier's standing discount applies to what is left of the cart after a code's discount
(a code is a reward the member paid points for, so it comes first, and the two never add
up to more than the cart); its free shipping adds to a code's.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from uuid import UUID

from domain.errors import DomainError
from domain.ports import TenantUnitOfWork, UnitOfWorkFactory
from domain.tiers import Tier


@dataclass(frozen=True, slots=True)
class TierDiscount:
    """What one member's tier gives on one cart."""

    tier: str
    discount_percent: Decimal | None
    amount_minor: int
    free_shipping: bool


def tier_discount(tier: Tier, subtotal_minor: int) -> TierDiscount:
    """The tier's benefits on a cart of `subtotal_minor` (rounded down, as codes are)."""
    percent = tier.benefits.discount_percent
    off = 0
    if percent is not None and subtotal_minor > 0:
        exact = Decimal(subtotal_minor) * percent / 100
        off = int(exact.to_integral_value(rounding=ROUND_FLOOR))
    return TierDiscount(tier.name, percent, min(off, subtotal_minor), tier.benefits.free_shipping)


async def member_tier_discount(
    uow: TenantUnitOfWork, member_id: UUID, subtotal_minor: int
) -> TierDiscount | None:
    """What the tier the member holds takes off the cart; None: no tier (or no tiers)."""
    if uow.tiers.known_empty():
        return None
    held = await uow.tiers.held(member_id)
    return tier_discount(held, subtotal_minor) if held is not None else None


async def cart_tier_discount(
    uow_factory: UnitOfWorkFactory, member_id: UUID, subtotal_minor: int
) -> TierDiscount | None:
    """`member_tier_discount` on a cart with no code, in a unit of work of its own."""
    if subtotal_minor < 0:
        raise DomainError("subtotal must not be negative.", field=("subtotal",))
    async with uow_factory() as uow:
        return await member_tier_discount(uow, member_id, subtotal_minor)
