"""A tenant's program configuration: how points are earned, held, valued and lost.

Configurations are versioned; every ledger entry records the version and rate it used, so a
refund reverses points at the rate they were earned, not at today's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any
from uuid import UUID

from domain.decimals import STORED_PLACES, bounded_decimal
from domain.errors import DomainError
from domain.lot_expiry import MAX_AFTER, LotExpiry, expiry_from_json, expiry_to_json
from domain.lot_expiry import ExpiryUnit as ExpiryUnit  # re-exported: clients name it here
from domain.money import validate_currency
from domain.rule_ids import check_rule_id
from domain.stamp_card import StampCard, card_from_json, card_to_json, validate_card

MAX_RULES = 200
MAX_PENDING_DAYS = 365
MAX_EXPIRING_NOTICE_DAYS = 365
_ACTION_KEY = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


class Rounding(StrEnum):
    DOWN = "DOWN"
    NEAREST = "NEAREST"
    UP = "UP"


class RefundPolicy(StrEnum):
    CLAWBACK_AVAILABLE = "CLAWBACK_AVAILABLE"
    ALLOW_NEGATIVE = "ALLOW_NEGATIVE"


class Channel(StrEnum):
    WEB = "WEB"
    POS = "POS"
    MOBILE = "MOBILE"


class RuleKind(StrEnum):
    MULTIPLIER = "MULTIPLIER"
    BONUS = "BONUS"


class LimitPeriod(StrEnum):
    DAY = "DAY"
    WEEK = "WEEK"
    MONTH = "MONTH"
    YEAR = "YEAR"


@dataclass(frozen=True, slots=True)
class EarnRule:
    """A multiplier or a fixed bonus. With skus or categories it targets matching lines
    (a bonus is then per unit); without, it applies to the whole order (a campaign)."""

    id: str
    name: str
    kind: RuleKind
    multiplier: Decimal | None = None
    points: int | None = None
    skus: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    channels: tuple[Channel, ...] = ()
    min_order_minor: int = 0
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    active: bool = True

    @property
    def targets_lines(self) -> bool:
        return bool(self.skus or self.categories)

    def live(self, at: datetime, channel: Channel, paid_minor: int) -> bool:
        return (
            self.active
            and (self.starts_at is None or at >= self.starts_at)
            and (self.ends_at is None or at < self.ends_at)
            and (not self.channels or channel in self.channels)
            and paid_minor >= self.min_order_minor
        )


@dataclass(frozen=True, slots=True)
class ActionRule:
    key: str
    points: int
    once: bool = False
    max_per_period: int | None = None
    period: LimitPeriod | None = None
    cooldown_hours: int = 0
    active: bool = True


@dataclass(frozen=True, slots=True)
class WelcomeOffer:
    """What enrolment gives a new member at once: the `signup` action's points (so the
    store need not record it), and/or a catalog reward issued free (its code in the
    enrolment's answer)."""

    award_signup: bool = False
    reward_id: UUID | None = None


@dataclass(frozen=True, slots=True)
class TierGift:
    tier: str  # a tier's name, as rewards' eligibleTiers name tiers
    reward_id: UUID


@dataclass(frozen=True, slots=True)
class BirthdayGift:
    """A catalog reward issued free on a member's birthday (besides the `birthday` action's
    points, if the program has that action): the one of the member's tier, else `reward_id`
    (None: members in no tier listed get no gift)."""

    reward_id: UUID | None = None
    by_tier: tuple[TierGift, ...] = ()

    def reward_for(self, tier: str | None) -> UUID | None:
        if tier is not None:
            folded = tier.casefold()
            for gift in self.by_tier:
                if gift.tier.casefold() == folded:
                    return gift.reward_id
        return self.reward_id

    @property
    def reward_ids(self) -> tuple[UUID, ...]:
        ids = [g.reward_id for g in self.by_tier]
        return tuple(dict.fromkeys([self.reward_id, *ids] if self.reward_id else ids))


MAX_TIER_GIFTS = 50


@dataclass(frozen=True, slots=True)
class MembershipPlan:
    """Paid membership: an order line of `sku` buys `tier` (a tier's name) for `months`
    per unit, from when the order is recorded (after any time left on the same tier)."""

    sku: str
    tier: str
    months: int


MAX_MEMBERSHIP_PLANS = 20
MAX_MEMBERSHIP_MONTHS = 120


@dataclass(frozen=True, slots=True)
class ProgramConfig:
    version: int = 0
    currency: str = "USD"
    points_per_unit: Decimal = Decimal(1)
    rounding: Rounding = Rounding.DOWN
    point_value_minor: Decimal = Decimal(1)
    min_order_minor: int = 0
    # Points are earned on the lines after discounts; shipping and tax only if these say so.
    earn_on_shipping: bool = False
    earn_on_tax: bool = False
    pending_days: int = 0
    lot_expiry: LotExpiry | None = None
    inactivity_days: int | None = None
    refund_policy: RefundPolicy = RefundPolicy.CLAWBACK_AVAILABLE
    rules: tuple[EarnRule, ...] = ()
    actions: tuple[ActionRule, ...] = field(default_factory=tuple)
    stamp_card: StampCard | None = None
    welcome: WelcomeOffer | None = None
    birthday_gift: BirthdayGift | None = None
    # points.expiring webhooks announce points this many days before they expire (0: never);
    # None: the platform's default (LOYALTY_WEBHOOK_EXPIRING_DAYS).
    expiring_notice_days: int | None = None
    memberships: tuple[MembershipPlan, ...] = ()
    # The fields whose stored values were out of bounds when read (see from_json): they
    # hold safe stand-ins, orders are refused until the program is configured again.
    damaged: tuple[str, ...] = ()

    def action(self, key: str) -> ActionRule | None:
        return next((a for a in self.actions if a.key == key and a.active), None)

    @property
    def rate(self) -> str:
        return f"v{self.version}:{self.points_per_unit}/{self.currency}"


DEFAULT_PROGRAM = ProgramConfig()


def _decimal(
    value: Any,
    name: str,
    *,
    minimum: Decimal,
    maximum: Decimal,
    places: int = 6,
    where: tuple[str, ...] = (),
) -> Decimal:
    field = (*where, name)
    number = bounded_decimal(value, field, places=places)
    if number < minimum or number > maximum:
        raise DomainError(f"{name} must be between {minimum} and {maximum}.", field=field)
    return number


def _bounded(value: int, name: str, low: int, high: int) -> int:
    if value < low or value > high:
        raise DomainError(f"{name} must be between {low} and {high}.", field=(name,))
    return value


def validate(config: ProgramConfig) -> ProgramConfig:
    """Checks every field; returns the config with values normalised."""
    if config.damaged:
        raise DomainError(
            f"The stored {config.damaged[0]} is out of bounds: give a new value.",
            field=tuple(config.damaged[0].split(".")),
        )
    validate_currency(config.currency)
    _decimal(config.points_per_unit, "pointsPerUnit", minimum=Decimal(0), maximum=Decimal(10_000))
    _decimal(config.point_value_minor, "pointValue", minimum=Decimal(0), maximum=Decimal(1_000_000))
    _bounded(config.min_order_minor, "minOrderValue", 0, 10**12)
    _bounded(config.pending_days, "pendingDays", 0, MAX_PENDING_DAYS)
    if config.lot_expiry is not None:
        _bounded(config.lot_expiry.after, "expiry.after", 1, MAX_AFTER[config.lot_expiry.unit])
    if config.inactivity_days is not None:
        _bounded(config.inactivity_days, "expiry.inactivityDays", 1, 3660)
    if config.expiring_notice_days is not None:
        _bounded(config.expiring_notice_days, "expiringNoticeDays", 0, MAX_EXPIRING_NOTICE_DAYS)
    if len(config.rules) > MAX_RULES:
        raise DomainError(f"At most {MAX_RULES} earning rules.", field=("rules",))
    seen: set[str] = set()
    for i, rule in enumerate(config.rules):
        where = ("rules", str(i))
        check_rule_id(rule.id, seen, where)
        if rule.kind is RuleKind.MULTIPLIER:
            if rule.multiplier is None:
                raise DomainError(
                    "A multiplier rule needs a multiplier.", field=(*where, "multiplier")
                )
            _decimal(
                rule.multiplier,
                "multiplier",
                minimum=Decimal(0),
                maximum=Decimal(100),
                places=3,
                where=where,
            )
        elif rule.points is None or not 1 <= rule.points <= 1_000_000:
            raise DomainError("A bonus rule needs 1 to 1,000,000 points.", field=(*where, "points"))
        if rule.starts_at and rule.ends_at and rule.ends_at <= rule.starts_at:
            raise DomainError("endsAt must be after startsAt.", field=(*where, "endsAt"))
        _bounded(rule.min_order_minor, "minOrderValue", 0, 10**12)
    keys: set[str] = set()
    for i, action in enumerate(config.actions):
        where = ("actions", str(i))
        if not _ACTION_KEY.match(action.key) or action.key in keys:
            raise DomainError(
                "Action keys are unique, lowercase letters, digits and '_'.", field=(*where, "key")
            )
        keys.add(action.key)
        _bounded(action.points, "points", 1, 1_000_000)
        _bounded(action.cooldown_hours, "cooldownHours", 0, 24 * 366)
        if (action.max_per_period is None) != (action.period is None):
            raise DomainError(
                "maxPerPeriod and period go together.", field=(*where, "maxPerPeriod")
            )
        if action.max_per_period is not None:
            _bounded(action.max_per_period, "maxPerPeriod", 1, 10_000)
    if config.stamp_card is not None:
        validate_card(config.stamp_card)
    welcome = config.welcome
    if welcome is not None and welcome.award_signup and config.action("signup") is None:
        raise DomainError(
            "awardSignup gives the signup action's points: add an active signup action.",
            field=("welcomeOffer", "awardSignup"),
        )
    config = replace(config, memberships=_valid_memberships(config.memberships))
    if config.birthday_gift is not None:
        return replace(config, birthday_gift=_valid_birthday_gift(config.birthday_gift))
    return config


def _valid_memberships(plans: tuple[MembershipPlan, ...]) -> tuple[MembershipPlan, ...]:
    if len(plans) > MAX_MEMBERSHIP_PLANS:
        raise DomainError(
            f"At most {MAX_MEMBERSHIP_PLANS} paid memberships.", field=("paidMemberships",)
        )
    skus: set[str] = set()
    cleaned = []
    for i, plan in enumerate(plans):
        where = ("paidMemberships", str(i))
        sku, tier = plan.sku.strip(), " ".join(plan.tier.split())
        if not sku or len(sku) > 255 or sku in skus:
            raise DomainError("Each sku is named once, 1 to 255 characters.", field=(*where, "sku"))
        if not tier or len(tier) > 60:
            raise DomainError("tier: a tier's name, 1 to 60 characters.", field=(*where, "tier"))
        if not 1 <= plan.months <= MAX_MEMBERSHIP_MONTHS:
            raise DomainError(
                f"months must be 1 to {MAX_MEMBERSHIP_MONTHS}.", field=(*where, "months")
            )
        skus.add(sku)
        cleaned.append(MembershipPlan(sku, tier, plan.months))
    return tuple(cleaned)


def _valid_birthday_gift(gift: BirthdayGift) -> BirthdayGift:
    if gift.reward_id is None and not gift.by_tier:
        raise DomainError(
            "A birthday gift names a rewardId, rewards byTier, or both.", field=("birthdayGift",)
        )
    if len(gift.by_tier) > MAX_TIER_GIFTS:
        raise DomainError(
            f"At most {MAX_TIER_GIFTS} tiers' gifts.", field=("birthdayGift", "byTier")
        )
    seen: set[str] = set()
    cleaned = []
    for i, given in enumerate(gift.by_tier):
        name = " ".join(given.tier.split())
        if not name or len(name) > 60 or name.casefold() in seen:
            raise DomainError(
                "Each tier is named once, 1 to 60 characters.",
                field=("birthdayGift", "byTier", str(i), "tier"),
            )
        seen.add(name.casefold())
        cleaned.append(replace(given, tier=name))
    return replace(gift, by_tier=tuple(cleaned))


def next_version(current: ProgramConfig, changed: ProgramConfig) -> ProgramConfig:
    return replace(validate(changed), version=current.version + 1)


def refuse_if_damaged(config: ProgramConfig) -> None:
    """Points are never computed from a stand-in for a value the tenant stored. No field:
    the request that is refused did not send the value."""
    if config.damaged:
        raise DomainError(
            f"The program's stored {', '.join(config.damaged)} is out of bounds; "
            "configure the program again.",
        )


def still_damaged(config: ProgramConfig, changed: set[str]) -> tuple[str, ...]:
    """The damaged fields of `config` that a change of the attributes `changed` leaves."""
    attribute = {"pointsPerUnit": "points_per_unit", "pointValue": "point_value_minor"}
    return tuple(
        name
        for name in config.damaged
        if attribute.get(name, name.partition(".")[0]) not in changed
    )


# --- storage form -------------------------------------------------------------------------


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def to_json(config: ProgramConfig) -> dict[str, Any]:
    stored = _to_json(config)
    if config.stamp_card is not None:  # absent, not null: older readers never knew of it
        stored["stamp_card"] = card_to_json(config.stamp_card)
    if config.welcome is not None:  # the same
        stored["welcome"] = {
            "award_signup": config.welcome.award_signup,
            "reward_id": str(config.welcome.reward_id) if config.welcome.reward_id else None,
        }
    if config.expiring_notice_days is not None:  # the same
        stored["expiring_notice_days"] = config.expiring_notice_days
    if config.memberships:  # the same
        stored["memberships"] = [
            {"sku": m.sku, "tier": m.tier, "months": m.months} for m in config.memberships
        ]
    gift = config.birthday_gift
    if gift is not None:  # the same
        stored["birthday_gift"] = {
            "reward_id": str(gift.reward_id) if gift.reward_id else None,
            "by_tier": [{"tier": g.tier, "reward_id": str(g.reward_id)} for g in gift.by_tier],
        }
    return stored


def _to_json(config: ProgramConfig) -> dict[str, Any]:
    return {
        "currency": config.currency,
        "points_per_unit": str(config.points_per_unit),
        "rounding": config.rounding.value,
        "point_value_minor": str(config.point_value_minor),
        "min_order_minor": config.min_order_minor,
        "earn_on_shipping": config.earn_on_shipping,
        "earn_on_tax": config.earn_on_tax,
        "pending_days": config.pending_days,
        "lot_expiry": expiry_to_json(config.lot_expiry),
        "inactivity_days": config.inactivity_days,
        "refund_policy": config.refund_policy.value,
        "rules": [
            {
                "id": r.id,
                "name": r.name,
                "kind": r.kind.value,
                "multiplier": None if r.multiplier is None else str(r.multiplier),
                "points": r.points,
                "skus": list(r.skus),
                "categories": list(r.categories),
                "channels": [c.value for c in r.channels],
                "min_order_minor": r.min_order_minor,
                "starts_at": r.starts_at.isoformat() if r.starts_at else None,
                "ends_at": r.ends_at.isoformat() if r.ends_at else None,
                "active": r.active,
            }
            for r in config.rules
        ],
        "actions": [
            {
                "key": a.key,
                "points": a.points,
                "once": a.once,
                "max_per_period": a.max_per_period,
                "period": a.period.value if a.period else None,
                "cooldown_hours": a.cooldown_hours,
                "active": a.active,
            }
            for a in config.actions
        ],
    }


class _Reread:
    """Stored decimals read back through the decimal bound: a value stored before the bound
    existed becomes a stand-in, and its field is named in `damaged`. The places allowed are
    looser than an input's (`STORED_PLACES`), so a fine rate saved before the bound is kept;
    only what no rate could mean, and what would be slow to compute with, is refused."""

    def __init__(self) -> None:
        self.damaged: list[str] = []

    def decimal(self, value: Any, name: str, stand_in: Decimal) -> Decimal:
        try:
            return bounded_decimal(value, (name,), places=STORED_PLACES)
        except DomainError:
            self.damaged.append(name)
            return stand_in

    def multiplier(self, value: Any, where: str) -> Decimal | None:
        if value is None:
            return None
        return self.decimal(value, where, Decimal(1))


def from_json(version: int, data: dict[str, Any]) -> ProgramConfig:
    reread = _Reread()
    config = ProgramConfig(
        version=version,
        currency=data["currency"],
        points_per_unit=reread.decimal(data["points_per_unit"], "pointsPerUnit", Decimal(1)),
        rounding=Rounding(data["rounding"]),
        point_value_minor=reread.decimal(data["point_value_minor"], "pointValue", Decimal(1)),
        min_order_minor=data.get("min_order_minor", 0),
        earn_on_shipping=data.get("earn_on_shipping", False),
        earn_on_tax=data.get("earn_on_tax", False),
        pending_days=data["pending_days"],
        lot_expiry=expiry_from_json(data.get("lot_expiry")),
        inactivity_days=data.get("inactivity_days"),
        expiring_notice_days=data.get("expiring_notice_days"),
        refund_policy=RefundPolicy(data["refund_policy"]),
        rules=tuple(
            EarnRule(
                id=r["id"],
                name=r["name"],
                kind=RuleKind(r["kind"]),
                multiplier=reread.multiplier(r.get("multiplier"), f"rules.{i}.multiplier"),
                points=r.get("points"),
                skus=tuple(r.get("skus", ())),
                categories=tuple(r.get("categories", ())),
                channels=tuple(Channel(c) for c in r.get("channels", ())),
                min_order_minor=r.get("min_order_minor", 0),
                starts_at=_dt(r.get("starts_at")),
                ends_at=_dt(r.get("ends_at")),
                active=r.get("active", True),
            )
            for i, r in enumerate(data.get("rules", ()))
        ),
        actions=tuple(
            ActionRule(
                key=a["key"],
                points=a["points"],
                once=a.get("once", False),
                max_per_period=a.get("max_per_period"),
                period=LimitPeriod(a["period"]) if a.get("period") else None,
                cooldown_hours=a.get("cooldown_hours", 0),
                active=a.get("active", True),
            )
            for a in data.get("actions", ())
        ),
        stamp_card=card_from_json(data["stamp_card"]) if data.get("stamp_card") else None,
        welcome=_welcome_from_json(data.get("welcome")),
        birthday_gift=_birthday_gift_from_json(data.get("birthday_gift")),
        memberships=tuple(
            MembershipPlan(m["sku"], m["tier"], m["months"]) for m in data.get("memberships", ())
        ),
    )
    return replace(config, damaged=tuple(reread.damaged)) if reread.damaged else config


def _welcome_from_json(data: dict[str, Any] | None) -> WelcomeOffer | None:
    if not data:
        return None
    reward_id = data.get("reward_id")
    return WelcomeOffer(bool(data.get("award_signup")), UUID(reward_id) if reward_id else None)


def _birthday_gift_from_json(data: dict[str, Any] | None) -> BirthdayGift | None:
    if not data:
        return None
    reward_id = data.get("reward_id")
    return BirthdayGift(
        UUID(reward_id) if reward_id else None,
        tuple(TierGift(g["tier"], UUID(g["reward_id"])) for g in data.get("by_tier", ())),
    )
