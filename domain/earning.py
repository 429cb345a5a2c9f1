"""What an order earns and why: base rate, line and campaign multipliers, bonuses.

Pure functions of (program configuration, order, member multiplier): previewOrder and
recordOrder call the same evaluation, so a preview never disagrees with what is credited.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from uuid import UUID

from domain.errors import DomainError, ErrorCode
from domain.ledger import MAX_BALANCE
from domain.lot_expiry import expires_at
from domain.money import MAX_MINOR, units, validate_currency, validate_minor
from domain.program import (
    Channel,
    EarnRule,
    ProgramConfig,
    Rounding,
    RuleKind,
    refuse_if_damaged,
)

MAX_LINES = 500
MAX_QUANTITY = 100_000


def _round(value: Fraction, mode: Rounding) -> int:
    if mode is Rounding.DOWN:
        return math.floor(value)
    if mode is Rounding.UP:
        return math.ceil(value)
    return math.floor(value + Fraction(1, 2))  # half up (totals are never negative)


@dataclass(frozen=True, slots=True)
class OrderLine:
    sku: str
    quantity: int
    unit_price_minor: int
    category: str | None = None

    @property
    def total_minor(self) -> int:
        return self.quantity * self.unit_price_minor

    def targeted_by(self, skus: Collection[str], categories: Collection[str]) -> bool:
        """Whether a rule naming these SKUs and categories applies to this line."""
        return self.sku in skus or (self.category is not None and self.category in categories)


@dataclass(frozen=True, slots=True)
class Order:
    order_id: str
    member_id: UUID | None
    currency: str
    channel: Channel
    placed_at: datetime
    lines: tuple[OrderLine, ...]
    discount_minor: int = 0
    shipping_minor: int = 0
    tax_minor: int = 0
    # The store's reference for a shopper without membership: guests count per customer.
    guest_id: str | None = None

    @property
    def subtotal_minor(self) -> int:
        return sum(line.total_minor for line in self.lines)

    @property
    def paid_minor(self) -> int:
        """What points are earned on: lines after discounts, before shipping and tax."""
        return self.subtotal_minor - self.discount_minor


@dataclass(frozen=True, slots=True)
class BreakdownLine:
    rule: str
    description: str
    points: int


@dataclass(frozen=True, slots=True)
class Earning:
    points: int
    breakdown: tuple[BreakdownLine, ...]
    config_version: int
    rate: str


def validate_order(order: Order) -> Order:
    order_id = order.order_id.strip()
    if not order_id or len(order_id) > 255:
        raise DomainError("orderId must be 1 to 255 characters.", field=("orderId",))
    if not order.lines or len(order.lines) > MAX_LINES:
        raise DomainError(f"An order has 1 to {MAX_LINES} lines.", field=("lines",))
    for i, line in enumerate(order.lines):
        if not line.sku.strip() or len(line.sku) > 255:
            raise DomainError("sku must be 1 to 255 characters.", field=("lines", str(i), "sku"))
        if line.quantity < 1 or line.quantity > MAX_QUANTITY:
            raise DomainError(
                f"quantity must be 1 to {MAX_QUANTITY}.", field=("lines", str(i), "quantity")
            )
        validate_minor(line.unit_price_minor, ("lines", str(i), "unitPrice"))
    validate_minor(order.discount_minor, ("discountTotal",))
    validate_minor(order.shipping_minor, ("shipping",))
    validate_minor(order.tax_minor, ("tax",))
    if order.subtotal_minor > MAX_MINOR:
        raise DomainError("The order total is too large.", field=("lines",))
    if order.discount_minor > order.subtotal_minor:
        raise DomainError("Discounts exceed the order's lines.", field=("discountTotal",))
    guest_id = order.guest_id.strip() if order.guest_id is not None else None
    if guest_id is not None and not 1 <= len(guest_id) <= 255:
        raise DomainError("guestId must be 1 to 255 characters.", field=("guestId",))
    return Order(
        order_id=order_id,
        member_id=order.member_id,
        currency=validate_currency(order.currency),
        channel=order.channel,
        placed_at=order.placed_at,
        lines=order.lines,
        discount_minor=order.discount_minor,
        shipping_minor=order.shipping_minor,
        tax_minor=order.tax_minor,
        guest_id=guest_id,
    )


def units_targeted(order: Order, skus: Collection[str], categories: Collection[str]) -> int:
    """How many units of the order a rule naming these SKUs and categories applies to."""
    return sum(line.quantity for line in order.lines if line.targeted_by(skus, categories))


def _line_multiplier(rules: list[EarnRule], line: OrderLine) -> tuple[Decimal, EarnRule | None]:
    """The best line multiplier that matches this line (they do not stack)."""
    best: tuple[Decimal, EarnRule | None] = (Decimal(1), None)
    for rule in rules:
        if (
            rule.kind is RuleKind.MULTIPLIER
            and rule.targets_lines
            and rule.multiplier is not None
            and line.targeted_by(rule.skus, rule.categories)
            and rule.multiplier > best[0]
        ):
            best = (rule.multiplier, rule)
    return best


def evaluate(config: ProgramConfig, order: Order, tier_multiplier: Decimal = Decimal(1)) -> Earning:
    """Points an order earns under `config`, for a member whose tier multiplies them."""
    refuse_if_damaged(config)
    if order.currency != config.currency:
        raise DomainError(
            f"The program earns on {config.currency}, not {order.currency}.",
            field=("currency",),
            code=ErrorCode.CURRENCY_MISMATCH,
        )
    paid = order.paid_minor
    if paid < config.min_order_minor:
        return Earning(
            0,
            (BreakdownLine("minimum", "Below the minimum order value for earning.", 0),),
            config.version,
            config.rate,
        )
    live = [r for r in config.rules if r.live(order.placed_at, order.channel, paid)]
    campaigns = [r for r in live if r.kind is RuleKind.MULTIPLIER and not r.targets_lines]
    campaign = max(campaigns, key=lambda r: r.multiplier or Decimal(1), default=None)
    campaign_factor = campaign.multiplier if campaign and campaign.multiplier else Decimal(1)

    subtotal = order.subtotal_minor
    # Exact fractions, not Decimals: a discount spread over lines divides by the subtotal,
    # and a Decimal quotient's last digit could push a whole-point total across a rounding
    # boundary ($7.00 paid earning 6 points).
    rate = Fraction(units(1, order.currency)) * Fraction(config.points_per_unit)
    campaign_f = Fraction(campaign_factor)
    tier_f = Fraction(tier_multiplier)
    raw: dict[str, Fraction] = {"base": Fraction(0)}
    for line in order.lines:
        # Order-level discounts are spread over lines by value, so a multiplied line earns
        # on what was actually paid for it.
        line_paid = line.total_minor - (
            Fraction(order.discount_minor * line.total_minor, subtotal) if subtotal else 0
        )
        base = rate * line_paid
        factor, rule = _line_multiplier(live, line)
        factor_f = Fraction(factor)
        raw["base"] += base
        if rule is not None:
            raw[rule.id] = raw.get(rule.id, Fraction(0)) + base * (factor_f - 1)
        if campaign is not None:
            raw[campaign.id] = raw.get(campaign.id, Fraction(0)) + base * factor_f * (
                campaign_f - 1
            )
        if tier_multiplier != 1:
            raw["tier"] = raw.get("tier", Fraction(0)) + base * factor_f * campaign_f * (tier_f - 1)

    # Shipping and tax, where the program earns on them, earn the base rate and campaign and
    # tier multipliers, never a line's: they belong to no line.
    extra = (order.shipping_minor if config.earn_on_shipping else 0) + (
        order.tax_minor if config.earn_on_tax else 0
    )
    if extra:
        base = rate * extra
        raw["base"] += base
        if campaign is not None:
            raw[campaign.id] = raw.get(campaign.id, Fraction(0)) + base * (campaign_f - 1)
        if tier_multiplier != 1:
            raw["tier"] = raw.get("tier", Fraction(0)) + base * campaign_f * (tier_f - 1)

    total = _round(sum(raw.values(), Fraction(0)), config.rounding)
    names = {r.id: r.name for r in live}
    parts = {key: math.floor(value) for key, value in raw.items()}
    parts["base"] += total - sum(parts.values())  # rounding lands on the base line
    breakdown = [
        BreakdownLine("base", f"{config.points_per_unit} per {order.currency} 1", parts["base"])
    ]
    breakdown += [
        BreakdownLine(key, "Tier multiplier" if key == "tier" else names.get(key, key), value)
        for key, value in parts.items()
        if key != "base" and value
    ]
    for rule in live:
        if rule.kind is not RuleKind.BONUS or rule.points is None:
            continue
        if rule.targets_lines:
            bonus = rule.points * units_targeted(order, rule.skus, rule.categories)
        else:
            bonus = rule.points
        if bonus:
            breakdown.append(BreakdownLine(rule.id, rule.name, bonus))
            total += bonus
    if total > MAX_BALANCE:  # answered as a GraphQL Int: refused, not answered with null
        raise DomainError(
            f"This order would earn more than {MAX_BALANCE:,} points.",
            code=ErrorCode.INVALID_AMOUNT,
        )
    return Earning(max(total, 0), tuple(breakdown), config.version, config.rate)


def expiry_for(config: ProgramConfig, earned_at: datetime) -> datetime | None:
    return expires_at(config.lot_expiry, earned_at)


def available_from(config: ProgramConfig, placed_at: datetime, now: datetime) -> datetime:
    """When an order's points stop being pending: the end of the return window."""
    return (
        max(placed_at, now)
        if config.pending_days == 0
        else placed_at + timedelta(days=config.pending_days)
    )


def points_to_reverse(
    earned: int, paid_minor: int, refunded_minor: int, reversed_so_far: int
) -> int:
    """Points to take back so that, cumulatively, reversals match the share refunded.

    Computed on the cumulative refund so that partial refunds never drift by rounding, and a
    full refund reverses exactly what was earned.
    """
    if paid_minor == 0:
        return earned - reversed_so_far
    target = (Decimal(earned) * refunded_minor / paid_minor).to_integral_value(
        rounding=ROUND_HALF_UP
    )
    return max(int(target) - reversed_so_far, 0)
