"""Rule-based segments: what a member's facts are, the rules that group members by them,
and the built-in segments (`at-risk`, `new`, `vip`, `lapsed`) with their default thresholds.

Pure: facts are read by persistence, rules are evaluated here. A rule is a tree of `All`,
`Any` and leaves: a `Condition` compares one fact with a number (or a tier name), and
`Overdue` compares the time since the last order with the member's own usual interval.
A fact a member does not have (no order yet, no tier) satisfies no condition.

An NPS group (promoter, passive, detractor) is the next fact to add once surveys record
answers: a `Field` member and its value in `MemberFacts`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from itertools import pairwise
from statistics import median
from typing import Any

from domain.errors import DomainError
from domain.surveys import ScoreGroup, SurveyKind, score_group

KEY = re.compile(r"^[a-z0-9][a-z0-9-]{0,49}$")
MAX_NAME = 100
MAX_RULE_NODES = 50
DAY = timedelta(days=1)


class Field(StrEnum):
    DAYS_SINCE_LAST_ORDER = "DAYS_SINCE_LAST_ORDER"
    DAYS_SINCE_LAST_ACTIVITY = "DAYS_SINCE_LAST_ACTIVITY"
    ORDERS = "ORDERS"  # in the last `window_days`, or ever without a window
    LIFETIME_SPEND = "LIFETIME_SPEND"  # minor units, net of refunds
    RFM_RECENCY = "RFM_RECENCY"
    RFM_FREQUENCY = "RFM_FREQUENCY"
    RFM_MONETARY = "RFM_MONETARY"
    POINTS_BALANCE = "POINTS_BALANCE"
    BIRTHDAY_MONTH = "BIRTHDAY_MONTH"
    DAYS_SINCE_ENROLMENT = "DAYS_SINCE_ENROLMENT"
    TIER = "TIER"  # compared by name with `text`
    IN_TOP_TIER = "IN_TOP_TIER"  # 1 when the member holds the highest tier, else 0
    # The group of the member's latest NPS answer, compared by name with `text` (PROMOTER,
    # PASSIVE or DETRACTOR); a member who never answered has none.
    NPS_GROUP = "NPS_GROUP"


# Fields compared with a condition's `text` rather than its `value`.
_BY_TEXT = frozenset({Field.TIER, Field.NPS_GROUP})
_NPS_GROUPS = frozenset(
    g.value for g in (ScoreGroup.PROMOTER, ScoreGroup.PASSIVE, ScoreGroup.DETRACTOR)
)


class Op(StrEnum):
    EQ = "EQ"
    NE = "NE"
    LT = "LT"
    LTE = "LTE"
    GT = "GT"
    GTE = "GTE"


# RFM scores, 1 (weakest) to 5, from fixed breakpoints rather than quintiles of the
# tenant's members: a member's score then depends on that member alone, so it can be kept
# current on each of their events. Recency in days (at most), frequency in orders over the
# last year (at least), monetary in lifetime spend in minor units (at least).
RECENCY_DAYS = (30, 60, 90, 180)
FREQUENCY_ORDERS = (8, 4, 2, 1)
MONETARY_MINOR = (100_000, 50_000, 20_000, 5_000)
FREQUENCY_WINDOW_DAYS = 365


@dataclass(frozen=True, slots=True)
class MemberFacts:
    """What rules are evaluated on. `order_times`: the member's most recent orders (not
    refunded in full), oldest first; `order_count`: all of them."""

    enrolled_at: datetime
    birthday: date | None
    order_times: tuple[datetime, ...]
    order_count: int
    lifetime_spend_minor: int
    points_balance: int
    last_activity_at: datetime | None
    tier: str | None = None
    in_top_tier: bool = False
    nps_score: int | None = None  # of the member's latest NPS answer


@dataclass(frozen=True, slots=True)
class Condition:
    field: Field
    op: Op
    value: int = 0
    text: str | None = None
    window_days: int | None = None


@dataclass(frozen=True, slots=True)
class Overdue:
    """Time since the last order is past `factor` times the member's median interval between
    orders, and at least `min_days`; members with fewer than `min_orders` orders have no
    usual interval and are never overdue."""

    factor: float = 2.0
    min_days: int = 30
    min_orders: int = 2


@dataclass(frozen=True, slots=True)
class All:
    rules: tuple[Rule, ...]


@dataclass(frozen=True, slots=True)
class Any_:
    rules: tuple[Rule, ...]


Rule = Condition | Overdue | All | Any_


@dataclass(frozen=True, slots=True)
class Segment:
    key: str
    name: str
    rule: Rule
    builtin: bool = False
    description: str = field(default="", compare=False)


def _days(since: datetime | None, now: datetime) -> int | None:
    return None if since is None else int((now - since) / DAY)


def _score(value: int | None, breakpoints: tuple[int, ...], *, at_most: bool) -> int | None:
    if value is None:
        return None
    for i, edge in enumerate(breakpoints):
        if (value <= edge) if at_most else (value >= edge):
            return 5 - i
    return 1


def _orders_within(facts: MemberFacts, now: datetime, days: int | None) -> int:
    if days is None:
        return facts.order_count
    since = now - timedelta(days=days)
    return sum(1 for t in facts.order_times if since < t <= now)


def fact(facts: MemberFacts, c: Condition, now: datetime) -> int | str | None:
    """The value of `c.field` for the member at `now`; None when the member has none."""
    last_order = facts.order_times[-1] if facts.order_times else None
    match c.field:
        case Field.DAYS_SINCE_LAST_ORDER:
            return _days(last_order, now)
        case Field.DAYS_SINCE_LAST_ACTIVITY:
            return _days(facts.last_activity_at, now)
        case Field.ORDERS:
            return _orders_within(facts, now, c.window_days)
        case Field.LIFETIME_SPEND:
            return facts.lifetime_spend_minor
        case Field.RFM_RECENCY:
            return _score(_days(last_order, now), RECENCY_DAYS, at_most=True)
        case Field.RFM_FREQUENCY:
            yearly = _orders_within(facts, now, FREQUENCY_WINDOW_DAYS)
            return _score(yearly, FREQUENCY_ORDERS, at_most=False)
        case Field.RFM_MONETARY:
            return _score(facts.lifetime_spend_minor, MONETARY_MINOR, at_most=False)
        case Field.POINTS_BALANCE:
            return facts.points_balance
        case Field.BIRTHDAY_MONTH:
            return facts.birthday.month if facts.birthday else None
        case Field.DAYS_SINCE_ENROLMENT:
            return _days(facts.enrolled_at, now)
        case Field.TIER:
            return facts.tier
        case Field.IN_TOP_TIER:
            return 1 if facts.in_top_tier else 0
        case Field.NPS_GROUP:
            if facts.nps_score is None:
                return None
            return score_group(SurveyKind.NPS, facts.nps_score).value


def _compare(value: int | str, op: Op, target: int | str) -> bool:
    if op is Op.EQ:
        return value == target
    if op is Op.NE:
        return value != target
    if not (isinstance(value, int) and isinstance(target, int)):
        return False
    return {
        Op.LT: value < target,
        Op.LTE: value <= target,
        Op.GT: value > target,
        Op.GTE: value >= target,
    }[op]


def usual_interval_days(order_times: tuple[datetime, ...]) -> float | None:
    """The median time between consecutive orders, in days; None below two orders."""
    if len(order_times) < 2:
        return None
    gaps = [(b - a) / DAY for a, b in pairwise(order_times)]
    return float(median(gaps))


def matches(rule: Rule, facts: MemberFacts, now: datetime) -> bool:
    if isinstance(rule, All):
        return all(matches(r, facts, now) for r in rule.rules)
    if isinstance(rule, Any_):
        return any(matches(r, facts, now) for r in rule.rules)
    if isinstance(rule, Overdue):
        if facts.order_count < rule.min_orders or not facts.order_times:
            return False
        usual = usual_interval_days(facts.order_times)
        if usual is None:
            return False
        since = (now - facts.order_times[-1]) / DAY
        return since > max(rule.factor * usual, rule.min_days)
    value = fact(facts, rule, now)
    if value is None:
        return False
    target = rule.text if rule.field in _BY_TEXT else rule.value
    return target is not None and _compare(value, rule.op, target)


def segments_of(facts: MemberFacts, segments: list[Segment], now: datetime) -> list[str]:
    """The keys of the segments the member is in at `now`."""
    return [s.key for s in segments if matches(s.rule, facts, now)]


# The built-ins, at their default thresholds. A tenant changes a built-in's thresholds (or
# its whole rule) with updateSegment; it cannot delete one.
AT_RISK_FACTOR = 2.0
AT_RISK_MIN_DAYS = 30
NEW_DAYS = 30
VIP_SPEND_MINOR = 100_000
LAPSED_DAYS = 180

BUILTINS: tuple[Segment, ...] = (
    Segment(
        "at-risk",
        "At risk",
        All(
            (
                Overdue(AT_RISK_FACTOR, AT_RISK_MIN_DAYS, 2),
                Condition(Field.DAYS_SINCE_LAST_ORDER, Op.LT, LAPSED_DAYS),
            )
        ),
        builtin=True,
        description="Ordered at least twice; the time since the last order is past twice "
        "the member's median interval between orders and at least 30 days, but under the "
        "180 days that make a member lapsed.",
    ),
    Segment(
        "new",
        "New members",
        Condition(Field.DAYS_SINCE_ENROLMENT, Op.LT, NEW_DAYS),
        builtin=True,
        description="Enrolled less than 30 days ago.",
    ),
    Segment(
        "vip",
        "VIP",
        Any_(
            (
                Condition(Field.IN_TOP_TIER, Op.EQ, 1),
                Condition(Field.LIFETIME_SPEND, Op.GTE, VIP_SPEND_MINOR),
            )
        ),
        builtin=True,
        description="Holds the top tier, or has spent at least 100000 (minor units) net of "
        "refunds.",
    ),
    Segment(
        "lapsed",
        "Lapsed",
        Any_(
            (
                Condition(Field.DAYS_SINCE_LAST_ORDER, Op.GTE, LAPSED_DAYS),
                All(
                    (
                        Condition(Field.ORDERS, Op.EQ, 0),
                        Condition(Field.DAYS_SINCE_ENROLMENT, Op.GTE, LAPSED_DAYS),
                    )
                ),
            )
        ),
        builtin=True,
        description="No order in the last 180 days (members who never ordered: enrolled 180 "
        "days ago or more).",
    ),
)
BUILTIN_KEYS = frozenset(s.key for s in BUILTINS)


def in_force(stored: list[Segment]) -> list[Segment]:
    """The built-ins (as a tenant changed them, if it did) followed by the custom ones."""
    by_key = {s.key: s for s in stored}
    builtins = [
        Segment(b.key, by_key[b.key].name, by_key[b.key].rule, True, b.description)
        if b.key in by_key
        else b
        for b in BUILTINS
    ]
    return builtins + [s for s in stored if s.key not in BUILTIN_KEYS]


def validate_key(key: str) -> str:
    cleaned = key.strip().lower()
    if not KEY.match(cleaned):
        raise DomainError(
            "A segment key is 1 to 50 lowercase letters, digits and dashes.", field=("key",)
        )
    return cleaned


def validate_name(name: str) -> str:
    cleaned = name.strip()
    if not cleaned or len(cleaned) > MAX_NAME:
        raise DomainError(f"A name is 1 to {MAX_NAME} characters.", field=("name",))
    return cleaned


def _nodes(rule: Rule) -> int:
    if isinstance(rule, All | Any_):
        return 1 + sum(_nodes(r) for r in rule.rules)
    return 1


def validate_rule(rule: Rule) -> Rule:
    if _nodes(rule) > MAX_RULE_NODES:
        raise DomainError(f"A rule has at most {MAX_RULE_NODES} parts.", field=("rule",))
    _check(rule)
    return rule


def _check(rule: Rule) -> None:
    if isinstance(rule, All | Any_):
        if not rule.rules:
            raise DomainError("all and any need at least one rule.", field=("rule",))
        for r in rule.rules:
            _check(r)
    elif isinstance(rule, Overdue):
        if not (0 < rule.factor <= 100) or rule.min_days < 0 or rule.min_orders < 2:
            raise DomainError(
                "overdue needs 0 < factor <= 100, minDays >= 0 and minOrders >= 2.",
                field=("rule",),
            )
    else:
        if rule.field is Field.TIER and (rule.text is None or rule.op not in (Op.EQ, Op.NE)):
            raise DomainError(
                "TIER is compared (EQ or NE) with a tier name in text.", field=("rule",)
            )
        if rule.field is Field.NPS_GROUP and (
            rule.text not in _NPS_GROUPS or rule.op not in (Op.EQ, Op.NE)
        ):
            raise DomainError(
                "NPS_GROUP is compared (EQ or NE) with PROMOTER, PASSIVE or DETRACTOR in text.",
                field=("rule",),
            )
        if rule.window_days is not None and not (
            rule.field is Field.ORDERS and 1 <= rule.window_days <= 3660
        ):
            raise DomainError("windowDays (1 to 3660) is for ORDERS only.", field=("rule",))


# Rules are stored as JSON in the tenant's schema.
def rule_to_json(rule: Rule) -> dict[str, Any]:
    if isinstance(rule, All):
        return {"all": [rule_to_json(r) for r in rule.rules]}
    if isinstance(rule, Any_):
        return {"any": [rule_to_json(r) for r in rule.rules]}
    if isinstance(rule, Overdue):
        return {
            "overdue": {
                "factor": rule.factor,
                "minDays": rule.min_days,
                "minOrders": rule.min_orders,
            }
        }
    return {
        "field": rule.field.value,
        "op": rule.op.value,
        "value": rule.value,
        "text": rule.text,
        "windowDays": rule.window_days,
    }


def rule_from_json(data: dict[str, Any]) -> Rule:
    if "all" in data:
        return All(tuple(rule_from_json(r) for r in data["all"]))
    if "any" in data:
        return Any_(tuple(rule_from_json(r) for r in data["any"]))
    if "overdue" in data:
        o = data["overdue"]
        return Overdue(float(o["factor"]), int(o["minDays"]), int(o["minOrders"]))
    return Condition(
        Field(data["field"]), Op(data["op"]), int(data["value"]), data["text"], data["windowDays"]
    )
