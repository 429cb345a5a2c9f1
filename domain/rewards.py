"""The rewards catalog: what points buy, what it costs, and what discount a code gives."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_FLOOR, Decimal
from enum import StrEnum
from uuid import UUID

from domain.codes import random_code
from domain.decimals import bounded_decimal
from domain.errors import DomainError, ErrorCode
from domain.program import LimitPeriod

# No 0/O, 1/I/L, 2/Z, 5/S, 8/B: codes get read off screens and typed at tills.
CODE_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
# Fewer possible codes than this and a shopper could guess someone else's.
MIN_CODE_SPACE = 10**9
MAX_NAME = 200
MAX_DESCRIPTION = 2000
_PREFIX = re.compile(r"^[A-Z0-9-]{0,20}$")


class RewardKind(StrEnum):
    FIXED_AMOUNT = "FIXED_AMOUNT"
    PERCENTAGE = "PERCENTAGE"
    FREE_SHIPPING = "FREE_SHIPPING"
    FREE_PRODUCT = "FREE_PRODUCT"
    STORE_CREDIT = "STORE_CREDIT"
    CUSTOM = "CUSTOM"
    CONTENT = "CONTENT"  # fulfilled by content on the redemption: a link, a download, a seat


class ContentKind(StrEnum):
    URL = "URL"
    DOWNLOAD = "DOWNLOAD"
    WEBINAR = "WEBINAR"


class CodeSource(StrEnum):
    GENERATED = "GENERATED"
    POOL = "POOL"


class RedemptionStatus(StrEnum):
    ISSUED = "ISSUED"
    USED = "USED"
    CANCELLED = "CANCELLED"
    EXPIRED = "EXPIRED"


@dataclass(frozen=True, slots=True)
class Reward:
    id: UUID
    seq: int
    name: str
    description: str
    image_url: str | None
    kind: RewardKind
    value_minor: int | None
    percentage: Decimal | None
    max_discount_minor: int | None
    sku: str | None
    points_cost: int | None
    min_points: int | None
    max_points: int | None
    step_points: int | None
    value_per_step_minor: int | None
    min_order_minor: int
    valid_days: int | None
    starts_at: datetime | None
    ends_at: datetime | None
    stock: int | None
    issued: int
    per_member_limit: int | None
    per_member_period: LimitPeriod | None
    eligible_tiers: tuple[str, ...]
    eligible_segments: tuple[str, ...]
    code_source: CodeSource
    code_prefix: str
    code_length: int
    code_alphabet: str
    refund_on_expiry: bool
    archived: bool
    created_at: datetime
    updated_at: datetime
    # What a CONTENT reward delivers on redemption, to the member only.
    content_kind: ContentKind | None = None
    content_url: str | None = None
    content_note: str | None = None
    # Until early_access_until, only members of early_access_tier or a higher tier.
    early_access_tier: str | None = None
    early_access_until: datetime | None = None

    @property
    def terms(self) -> Terms:
        return Terms(
            self.kind, self.percentage, self.max_discount_minor, self.sku, self.min_order_minor
        )

    @property
    def variable_cost(self) -> bool:
        return self.points_cost is None

    @property
    def remaining_stock(self) -> int | None:
        return None if self.stock is None else self.stock - self.issued

    @property
    def cheapest(self) -> int:
        """The fewest points that redeem it."""
        return self.points_cost if self.points_cost is not None else (self.min_points or 0)

    def live(self, now: datetime) -> bool:
        return self.unavailable(now) is None

    def unavailable(self, now: datetime) -> DomainError | None:
        """Why the reward cannot be redeemed at `now`, or None when it can."""
        if self.archived:
            return reward_refusal("This reward is archived.", ErrorCode.REWARD_UNAVAILABLE)
        if self.starts_at is not None and now < self.starts_at:
            return reward_refusal(
                f"This reward starts at {self.starts_at.isoformat()}.",
                ErrorCode.REWARD_UNAVAILABLE,
            )
        if self.ends_at is not None and now >= self.ends_at:
            return reward_refusal(
                f"This reward ended at {self.ends_at.isoformat()}.", ErrorCode.REWARD_UNAVAILABLE
            )
        if self.remaining_stock is not None and self.remaining_stock <= 0:
            return reward_refusal("This reward is out of stock.", ErrorCode.OUT_OF_STOCK)
        return None

    def eligible(self, tier: str | None, segments: frozenset[str] = frozenset()) -> bool:
        """Tier and segment gates; an empty list lets everyone through."""
        return self.tier_allows(tier) and self.segments_allow(segments)

    def early(self, now: datetime) -> bool:
        """Whether the reward is still in its early access at `now`."""
        return self.early_access_until is not None and now < self.early_access_until

    def early_allows(self, now: datetime, open_tiers: frozenset[str]) -> bool:
        """`open_tiers`: the casefolded names of the member's tier and the tiers below it
        (domain.tiers.tiers_at_or_below): early access is for its tier and those above."""
        return not self.early(now) or (self.early_access_tier or "").casefold() in open_tiers

    def tier_allows(self, tier: str | None) -> bool:
        return not self.eligible_tiers or (tier is not None and tier in self.eligible_tiers)

    def segments_allow(self, segments: frozenset[str]) -> bool:
        """Whether a member in `segments` is in one of the reward's (if it names any)."""
        return not self.eligible_segments or bool(segments & set(self.eligible_segments))


@dataclass(frozen=True, slots=True)
class Terms:
    """What a code promises besides its value, fixed when it is issued: an edit of the
    reward changes the codes issued after it, never the ones shoppers already hold."""

    kind: RewardKind
    percentage: Decimal | None
    max_discount_minor: int | None
    sku: str | None
    min_order_minor: int


def reward_refusal(message: str, code: ErrorCode, field: str = "rewardId") -> DomainError:
    """Why a reward cannot be had or a code used, on the input field at fault."""
    return DomainError(message, field=(field,), code=code)


@dataclass(frozen=True, slots=True)
class Cost:
    points: int
    value_minor: int | None


def cost_of(reward: Reward, points: int | None) -> Cost:
    """What a redemption costs; a variable reward takes the points the member chose."""
    if not reward.variable_cost:
        if points is not None and points != reward.points_cost:
            raise DomainError(
                f"This reward costs exactly {reward.points_cost} points.", field=("points",)
            )
        assert reward.points_cost is not None
        return Cost(reward.points_cost, reward.value_minor)
    low, high, step = reward.min_points or 0, reward.max_points or 0, reward.step_points or 1
    if points is None:
        raise DomainError(
            f"Choose how many points to spend: {low} to {high}, in steps of {step}.",
            field=("points",),
            code=ErrorCode.REQUIRED,
        )
    if points < low or points > high or (points - low) % step:
        raise DomainError(
            f"points must be {low} to {high}, in steps of {step} from {low}.",
            field=("points",),
            code=ErrorCode.INVALID_AMOUNT,
        )
    return Cost(points, (points // step) * (reward.value_per_step_minor or 0))


@dataclass(frozen=True, slots=True)
class Discount:
    amount_minor: int
    free_shipping: bool = False
    free_sku: str | None = None


def discount_for(terms: Terms, value_minor: int | None, subtotal_minor: int) -> Discount:
    """What a code takes off a cart of `subtotal_minor`."""
    if terms.kind in (RewardKind.FIXED_AMOUNT, RewardKind.STORE_CREDIT):
        return Discount(min(value_minor or 0, subtotal_minor))
    if terms.kind is RewardKind.PERCENTAGE:
        off = (Decimal(subtotal_minor) * (terms.percentage or 0) / 100).to_integral_value(
            rounding=ROUND_FLOOR
        )
        capped = min(int(off), terms.max_discount_minor) if terms.max_discount_minor else int(off)
        return Discount(capped)
    if terms.kind is RewardKind.FREE_SHIPPING:
        return Discount(0, free_shipping=True)
    if terms.kind is RewardKind.FREE_PRODUCT:
        return Discount(0, free_sku=terms.sku)
    return Discount(0)


def new_code(prefix: str, length: int, alphabet: str = CODE_ALPHABET) -> str:
    return random_code(alphabet, length, prefix)


def _require(condition: bool, message: str, field: str) -> None:
    if not condition:
        raise DomainError(message, field=(field,))


def validate_reward(r: Reward) -> Reward:
    """Checks a reward's fields together: each kind and each cost model needs its own."""
    _require(
        0 < len(r.name.strip()) <= MAX_NAME, f"name must be 1 to {MAX_NAME} characters.", "name"
    )
    _require(len(r.description) <= MAX_DESCRIPTION, "description is too long.", "description")
    _require(
        r.image_url is None
        or (r.image_url.startswith(("https://", "http://")) and len(r.image_url) < 2048),
        "imageUrl must be an http(s) URL.",
        "imageUrl",
    )
    if r.kind in (RewardKind.FIXED_AMOUNT, RewardKind.STORE_CREDIT) and not r.variable_cost:
        _require(
            r.value_minor is not None and r.value_minor > 0,
            "value is required for this kind.",
            "value",
        )
    if r.kind is RewardKind.PERCENTAGE:
        _require(r.percentage is not None, "percentage must be 0 to 100.", "percentage")
    if r.percentage is not None:
        # Checked whatever the kind, since it is stored whatever the kind: two decimals and
        # at most 100, what the stored column holds, so none is rounded away or overflows.
        percentage = bounded_decimal(r.percentage, ("percentage",), places=2)
        _require(0 < percentage <= 100, "percentage must be 0 to 100.", "percentage")
    _require(
        r.max_discount_minor is None or r.max_discount_minor > 0,
        "maxDiscount must be positive.",
        "maxDiscount",
    )
    if r.kind is RewardKind.FREE_PRODUCT:
        _require(bool(r.sku and r.sku.strip()), "sku is required for a free product.", "sku")
    if r.variable_cost:
        _require(
            r.kind in (RewardKind.FIXED_AMOUNT, RewardKind.STORE_CREDIT),
            "Only amount and store-credit rewards can have a variable cost.",
            "pointsCost",
        )
        low, high, step = r.min_points, r.max_points, r.step_points
        _require(
            low is not None
            and high is not None
            and step is not None
            and 0 < low <= high
            and step > 0,
            "A variable cost needs minPoints ≤ maxPoints and a positive step.",
            "minPoints",
        )
        _require(
            r.value_per_step_minor is not None and r.value_per_step_minor > 0,
            "valuePerStep is required for a variable cost.",
            "valuePerStep",
        )
    else:
        _require(
            r.points_cost is not None and 0 < r.points_cost <= 10_000_000,
            "pointsCost must be 1 to 10,000,000.",
            "pointsCost",
        )
    gates = (("eligibleTiers", r.eligible_tiers), ("eligibleSegments", r.eligible_segments))
    for name, names in gates:
        _require(
            len(names) <= 50 and all(0 < len(n) <= 64 for n in names),
            f"{name}: up to 50 names of 1 to 64 characters.",
            name,
        )
    _require(r.min_order_minor >= 0, "minOrderValue must not be negative.", "minOrderValue")
    _require(
        r.valid_days is None or 0 < r.valid_days <= 3660,
        "validDays must be 1 to 3660.",
        "validDays",
    )
    _require(
        r.stock is None or r.stock >= r.issued, "stock cannot be below what was issued.", "stock"
    )
    _require(
        r.per_member_limit is None or r.per_member_limit > 0,
        "perMemberLimit must be positive.",
        "perMemberLimit",
    )
    _require(
        r.per_member_period is None or r.per_member_limit is not None,
        "perMemberPeriod needs a perMemberLimit.",
        "perMemberPeriod",
    )
    _validate_content(r)
    _validate_early_access(r)
    for name, at in (("startsAt", r.starts_at), ("endsAt", r.ends_at)):
        # A time without an offset means nothing to a shop in another zone: refuse it.
        _require(at is None or at.utcoffset() is not None, f"{name} needs a UTC offset.", name)
    _require(
        r.starts_at is None or r.ends_at is None or r.starts_at < r.ends_at,
        "endsAt must be after startsAt.",
        "endsAt",
    )
    _require(
        bool(_PREFIX.match(r.code_prefix)),
        "codePrefix: up to 20 letters A-Z, digits and '-'.",
        "codePrefix",
    )
    _require(6 <= r.code_length <= 32, "codeLength must be 6 to 32.", "codeLength")
    _require(
        len(set(r.code_alphabet)) == len(r.code_alphabet) >= 2
        and set(r.code_alphabet) <= set(CODE_ALPHABET),
        f"codeAlphabet: distinct characters of {CODE_ALPHABET} (the others are easily misread).",
        "codeAlphabet",
    )
    _require(
        len(r.code_alphabet) ** r.code_length >= MIN_CODE_SPACE,
        "codeAlphabet and codeLength allow too few codes to be hard to guess; lengthen codes.",
        "codeLength",
    )
    return r


def _validate_content(r: Reward) -> None:
    """A CONTENT reward names its content; no other kind carries any."""
    if r.kind is not RewardKind.CONTENT:
        _require(
            r.content_kind is None and r.content_url is None and r.content_note is None,
            "Only a CONTENT reward delivers content.",
            "contentUrl",
        )
        return
    _require(r.content_kind is not None, "contentKind is required for content.", "contentKind")
    _require(
        r.content_url is not None
        and r.content_url.startswith(("https://", "http://"))
        and len(r.content_url) < 2048,
        "contentUrl must be an http(s) URL.",
        "contentUrl",
    )
    _require(
        r.content_note is None or len(r.content_note) <= MAX_DESCRIPTION,
        "contentNote is too long.",
        "contentNote",
    )


def _validate_early_access(r: Reward) -> None:
    _require(
        (r.early_access_tier is None) == (r.early_access_until is None),
        "earlyAccessTier and earlyAccessUntil go together.",
        "earlyAccessUntil",
    )
    if r.early_access_tier is None:
        return
    _require(
        0 < len(r.early_access_tier) <= 60,
        "earlyAccessTier: 1 to 60 characters.",
        "earlyAccessTier",
    )
    until = r.early_access_until
    _require(
        until is not None and until.utcoffset() is not None,
        "earlyAccessUntil needs a UTC offset.",
        "earlyAccessUntil",
    )
