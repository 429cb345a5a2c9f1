"""The program explained: its earn rules, actions, tiers and rewards as items a storefront's
"how it works" page shows, each a title and one sentence, written from the tenant's own
configuration (its rule, tier and reward names, its currency), so a merchant never copies
rules by hand and the page never disagrees with what the program does.

Only what a shopper can act on now is explained: inactive or ended rules and actions,
archived tiers and rewards not live are left out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from uuid import UUID

from domain.money import format_amount, format_money
from domain.program import ActionRule, Channel, EarnRule, LimitPeriod, ProgramConfig, RuleKind
from domain.rewards import Reward, RewardKind
from domain.tiers import Tier, TierMetric, TierSettings, TierWindow


class ExplainedKind(StrEnum):
    PURCHASE = "PURCHASE"  # the base rate on orders
    EARN_RULE = "EARN_RULE"
    ACTION = "ACTION"
    TIER = "TIER"
    REWARD = "REWARD"
    WELCOME_GIFT = "WELCOME_GIFT"  # the reward the welcome offer gives
    BIRTHDAY_GIFT = "BIRTHDAY_GIFT"


@dataclass(frozen=True, slots=True)
class ExplainedItem:
    kind: ExplainedKind
    key: str  # the rule's id, the action's key, the tier's or the reward's id; "base"
    title: str
    description: str
    points: int | None = None  # earned by the action or bonus, or what the reward costs


# The built-in actions in a shopper's words: (title, what earns the points).
_ACTIONS = {
    "signup": ("Sign up", "signing up"),
    "birthday": ("Birthday", "your birthday"),
    "review": ("Write a review", "each review"),
    "social_follow": ("Follow us", "following us"),
    "social_share": ("Share", "each share"),
    "profile_completion": ("Complete your profile", "completing your profile"),
}
# Actions a shopper can only do once anyway: "once" would say nothing.
_ONCE_BY_NATURE = frozenset({"signup", "profile_completion"})
_PERIODS = {
    LimitPeriod.DAY: "a day",
    LimitPeriod.WEEK: "a week",
    LimitPeriod.MONTH: "a month",
    LimitPeriod.YEAR: "a year",
}
_CHANNELS = {Channel.WEB: "online", Channel.POS: "in store", Channel.MOBILE: "in the app"}


def points_text(points: int | Decimal) -> str:
    """'1 point', '50 points', '1,000 points', '1.5 points'."""
    number = f"{points:,}" if isinstance(points, int) else _number(points)
    return f"{number} point" if points == 1 else f"{number} points"


def _number(value: Decimal) -> str:
    """A decimal without trailing zeros: 1.250 → 1.25, 2.000 → 2."""
    normal = value.normalize()
    return f"{normal:,f}" if normal != normal.to_integral_value() else f"{normal:,.0f}"


def _listed(parts: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"


def _date(at: datetime) -> str:
    return f"{at:%B} {at.day}, {at.year}"


def _sentence(*parts: str) -> str:
    text = " ".join(p for p in parts if p)
    return text[0].upper() + text[1:] + "."


def explain_earning(
    config: ProgramConfig,
    tiers: Sequence[Tier],
    tier_settings: TierSettings,
    now: datetime,
    gifts: Mapping[UUID, Reward] | None = None,
) -> list[ExplainedItem]:
    """How to earn: the base rate, the earn rules and actions, the welcome and birthday
    gifts (`gifts`: the rewards they name, by id), then the tiers, lowest first."""
    earn: list[ExplainedItem] = []
    base = _base_rate(config)
    if base is not None:
        earn.append(base)
    earn += [_rule(r, config) for r in config.rules if _rule_shown(r, now)]
    earn += [_action(a) for a in config.actions if a.active]
    live = {k: r for k, r in (gifts or {}).items() if r.live(now)}
    earn += _gifts(config, live)
    earn += [_tier(t, tier_settings, config) for t in tiers if not t.archived]
    return earn


def _gifts(config: ProgramConfig, rewards: Mapping[UUID, Reward]) -> list[ExplainedItem]:
    items = []
    welcome = config.welcome.reward_id if config.welcome else None
    if welcome is not None and welcome in rewards:
        reward = rewards[welcome]
        description = f"Get {reward.name} when you join."
        items.append(ExplainedItem(ExplainedKind.WELCOME_GIFT, str(reward.id), "Join", description))
    birthday = config.birthday_gift
    if birthday is not None:
        parts = []
        if birthday.reward_id is not None and birthday.reward_id in rewards:
            parts.append(f"Get {rewards[birthday.reward_id].name} on your birthday.")
        parts += [
            f"{g.tier} members get {rewards[g.reward_id].name}."
            for g in birthday.by_tier
            if g.reward_id in rewards
        ]
        if parts:
            items.append(
                ExplainedItem(
                    ExplainedKind.BIRTHDAY_GIFT, "birthday_gift", "Birthday gift", " ".join(parts)
                )
            )
    return items


def explain_redeeming(
    config: ProgramConfig, rewards: Sequence[Reward], now: datetime
) -> list[ExplainedItem]:
    """How to redeem: each reward live now, what it costs and what it gives."""
    return [_reward(r, config) for r in rewards if r.live(now)]


def _base_rate(config: ProgramConfig) -> ExplainedItem | None:
    rate, currency = config.points_per_unit, config.currency
    if rate <= 0:
        return None
    inverse = Decimal(1) / rate
    if rate < 1 and inverse == inverse.to_integral_value():
        per = f"Earn 1 point per {format_amount(inverse, currency)} spent"
    else:
        per = f"Earn {points_text(rate)} per {format_amount(Decimal(1), currency)} spent"
    minimum = (
        f"on orders of {format_money(config.min_order_minor, currency)} or more"
        if config.min_order_minor
        else ""
    )
    pending = (
        f"Points can be spent {config.pending_days} days after the order"
        if config.pending_days
        else ""
    )
    description = _sentence(per, minimum) + (f" {_sentence(pending)}" if pending else "")
    return ExplainedItem(ExplainedKind.PURCHASE, "base", "Shop", description)


def _rule_shown(rule: EarnRule, now: datetime) -> bool:
    return rule.active and (rule.ends_at is None or rule.ends_at > now)


def _rule(rule: EarnRule, config: ProgramConfig) -> ExplainedItem:
    if rule.categories:
        target = "on " + ", ".join(rule.categories)
    elif rule.skus:
        target = "on selected products"
    else:
        target = "on every order"
    if rule.kind is RuleKind.MULTIPLIER:
        assert rule.multiplier is not None  # validated with the program
        what = f"{_number(rule.multiplier)}x points {target}"
        points = None
    else:
        assert rule.points is not None
        each = " per item" if rule.targets_lines else ""
        what = f"{points_text(rule.points)} extra{each} {target}"
        points = rule.points
    channels = " and ".join(_CHANNELS[c] for c in rule.channels)
    minimum = (
        f"of {format_money(rule.min_order_minor, config.currency)} or more"
        if rule.min_order_minor
        else ""
    )
    if rule.starts_at and rule.ends_at:
        when = f"from {_date(rule.starts_at)} until {_date(rule.ends_at)}"
    elif rule.ends_at:
        when = f"until {_date(rule.ends_at)}"
    elif rule.starts_at:
        when = f"from {_date(rule.starts_at)}"
    else:
        when = ""
    if minimum and target == "on every order":
        what = what.replace("on every order", "on orders " + minimum)
        minimum = ""
    elif minimum:
        minimum = "in orders " + minimum
    return ExplainedItem(
        ExplainedKind.EARN_RULE,
        rule.id,
        rule.name,
        _sentence("earn", what, minimum, channels, when),
        points,
    )


def _action(action: ActionRule) -> ExplainedItem:
    title, reason = _ACTIONS.get(action.key) or (_title_of(action.key), _title_of(action.key))
    if action.key not in _ACTIONS:
        reason = reason[0].lower() + reason[1:]
    limit = ""
    if action.once and action.key not in _ONCE_BY_NATURE:
        limit = ", once"
    elif action.max_per_period is not None and action.period is not None:
        times = "once" if action.max_per_period == 1 else f"up to {action.max_per_period} times"
        limit = f", {times} {_PERIODS[action.period]}"
    description = _sentence(f"earn {points_text(action.points)} for {reason}{limit}")
    return ExplainedItem(ExplainedKind.ACTION, action.key, title, description, action.points)


def _title_of(key: str) -> str:
    words = key.replace("_", " ").strip()
    return words[0].upper() + words[1:] if words else key


def _tier(tier: Tier, settings: TierSettings, config: ProgramConfig) -> ExplainedItem:
    gains = [f"{_number(tier.multiplier)}x points"] if tier.multiplier != 1 else []
    if tier.benefits.discount_percent is not None:
        gains.append(f"{_number(tier.benefits.discount_percent)}% off every order")
    if tier.benefits.free_shipping:
        gains.append("free shipping")
    what = _listed(gains) if gains else "member status"
    if tier.threshold:
        opening = f"{what} from {_tier_reach(tier.threshold, settings, config.currency)}"
    else:
        opening = f"{what} from the start"
    description = f"{tier.name}: {opening}."
    if tier.perks:
        description += f" Perks: {'; '.join(tier.perks)}."
    return ExplainedItem(ExplainedKind.TIER, str(tier.id), tier.name, description, tier.threshold)


def _tier_reach(threshold: int, settings: TierSettings, currency: str) -> str:
    """'500 lifetime points', '$500 spent in a calendar year', '5 orders in 12 months'."""
    if settings.window is TierWindow.CALENDAR_YEAR:
        window = " in a calendar year"
    elif settings.window is TierWindow.ROLLING_MONTHS and settings.rolling_months:
        window = f" in {settings.rolling_months} months"
    else:
        window = ""
    if settings.metric is TierMetric.AMOUNT_SPENT:
        return f"{format_money(threshold, currency)} spent{window}"
    if settings.metric is TierMetric.ORDER_COUNT:
        return f"{threshold:,} order{'' if threshold == 1 else 's'}{window}"
    if not window:
        return f"{threshold:,} lifetime point{'' if threshold == 1 else 's'}"
    return f"{points_text(threshold)} earned{window}"


def _reward(reward: Reward, config: ProgramConfig) -> ExplainedItem:
    currency = config.currency
    kind = reward.kind
    if kind is RewardKind.FIXED_AMOUNT and reward.value_minor is not None:
        gets = f"{format_money(reward.value_minor, currency)} off"
    elif kind is RewardKind.STORE_CREDIT and reward.value_minor is not None:
        gets = f"{format_money(reward.value_minor, currency)} store credit"
    elif kind is RewardKind.PERCENTAGE and reward.percentage is not None:
        gets = f"{_number(reward.percentage)}% off"
        if reward.max_discount_minor:
            gets += f" (up to {format_money(reward.max_discount_minor, currency)})"
    elif kind is RewardKind.FREE_SHIPPING:
        gets = "free shipping"
    else:
        gets = reward.name
    if reward.min_order_minor:
        gets += f" on orders of {format_money(reward.min_order_minor, currency)} or more"
    if reward.points_cost is not None:
        cost = points_text(reward.points_cost)
        description = f"{cost}: {gets}"
        points: int | None = reward.points_cost
    else:
        step = reward.step_points or 1
        value = format_money(reward.value_per_step_minor or 0, currency)
        unit = "off" if kind is RewardKind.FIXED_AMOUNT else "store credit"
        description = f"{value} {unit} for every {points_text(step)}"
        if reward.min_points:
            description += f", from {points_text(reward.min_points)}"
        points = reward.min_points
    if reward.eligible_tiers:
        description += f", for {' and '.join(reward.eligible_tiers)} members"
    return ExplainedItem(
        ExplainedKind.REWARD, str(reward.id), reward.name, description + ".", points
    )
