"""The segment rules, without a database: facts, conditions, RFM scores, the overdue rule,
the built-ins at their thresholds, validation and the stored form of a rule."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import DomainError
from domain.segments import (
    BUILTINS,
    All,
    Any_,
    Condition,
    Field,
    MemberFacts,
    Op,
    Overdue,
    Segment,
    in_force,
    matches,
    rule_from_json,
    rule_to_json,
    segments_of,
    usual_interval_days,
    validate_key,
    validate_rule,
)

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def facts(**changes: object) -> MemberFacts:
    base = MemberFacts(
        enrolled_at=NOW - 400 * DAY,
        birthday=None,
        order_times=(),
        order_count=0,
        lifetime_spend_minor=0,
        points_balance=0,
        last_activity_at=None,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def ordered(*days_ago: float) -> MemberFacts:
    times = tuple(sorted(NOW - d * DAY for d in days_ago))
    return facts(order_times=times, order_count=len(times))


def builtin(key: str) -> Segment:
    return next(s for s in BUILTINS if s.key == key)


def test_at_risk_is_past_twice_the_members_own_interval_and_at_least_30_days():
    # given a member ordering every 20 days, last 39 days ago, and one last 41 days ago
    within = ordered(79, 59, 39)
    past = ordered(81, 61, 41)
    # when the at-risk rule is evaluated
    # then 39 days is under 2 x 20 = 40, 41 days is past it
    assert not matches(builtin("at-risk").rule, within, NOW)
    assert matches(builtin("at-risk").rule, past, NOW)


def test_at_risk_needs_the_minimum_days_and_two_orders_and_ends_at_lapsed():
    rule = builtin("at-risk").rule
    # given a weekly buyer 29 and 31 days quiet (twice 7 is 14: the 30-day minimum decides)
    # then 29 days is not at risk, 31 days is
    assert not matches(rule, ordered(43, 36, 29), NOW)
    assert matches(rule, ordered(45, 38, 31), NOW)
    # given a member with one order long ago: no usual interval, never at risk
    assert not matches(rule, ordered(100), NOW)
    # given a member quiet for 180 days: lapsed, no longer at risk
    assert not matches(rule, ordered(200, 190, 180), NOW)
    assert matches(builtin("lapsed").rule, ordered(200, 190, 180), NOW)


def test_lapsed_counts_members_who_never_ordered_from_their_enrolment():
    rule = builtin("lapsed").rule
    # given two members without orders, enrolled 179 and 180 days ago
    # then only the second is lapsed
    assert not matches(rule, facts(enrolled_at=NOW - 179 * DAY), NOW)
    assert matches(rule, facts(enrolled_at=NOW - 180 * DAY), NOW)
    # and an order 179 days ago keeps a member out
    assert not matches(rule, ordered(179), NOW)


def test_new_and_vip_at_their_thresholds():
    # given members enrolled 29 and 30 days ago
    # then new is "under 30 days"
    assert matches(builtin("new").rule, facts(enrolled_at=NOW - 29 * DAY), NOW)
    assert not matches(builtin("new").rule, facts(enrolled_at=NOW - 30 * DAY), NOW)
    # then vip is the top tier, or a spend of 100000 or more
    vip = builtin("vip").rule
    assert matches(vip, facts(lifetime_spend_minor=100_000), NOW)
    assert not matches(vip, facts(lifetime_spend_minor=99_999), NOW)
    assert matches(vip, facts(in_top_tier=True, tier="Gold"), NOW)


def test_rfm_scores_from_fixed_breakpoints():
    def score(field: Field, f: MemberFacts, value: int) -> bool:
        return matches(Condition(field, Op.EQ, value), f, NOW)

    # given a member who ordered 10 days ago, 4 times this year, spending 50000
    f = replace(ordered(10, 100, 200, 300, 500), lifetime_spend_minor=50_000)
    # then recency 5 (30 days or less), frequency 4 (4 orders in 365 days), monetary 4
    assert score(Field.RFM_RECENCY, f, 5)
    assert score(Field.RFM_FREQUENCY, f, 4)
    assert score(Field.RFM_MONETARY, f, 4)
    # and a member who never ordered has no recency score: no condition on it holds
    assert not matches(Condition(Field.RFM_RECENCY, Op.LTE, 5), facts(), NOW)


def test_conditions_on_each_fact_and_combinations():
    f = replace(
        ordered(5, 50, 400),
        birthday=date(1990, 3, 14),
        points_balance=250,
        last_activity_at=NOW - 3 * DAY,
        tier="Silver",
    )
    # then each fact compares as stated
    assert matches(Condition(Field.ORDERS, Op.EQ, 2, window_days=365), f, NOW)
    assert matches(Condition(Field.ORDERS, Op.EQ, 3), f, NOW)
    assert matches(Condition(Field.BIRTHDAY_MONTH, Op.EQ, 3), f, NOW)
    assert matches(Condition(Field.POINTS_BALANCE, Op.GT, 249), f, NOW)
    assert matches(Condition(Field.DAYS_SINCE_LAST_ACTIVITY, Op.LTE, 3), f, NOW)
    assert matches(Condition(Field.TIER, Op.EQ, text="Silver"), f, NOW)
    assert not matches(Condition(Field.TIER, Op.NE, text="Silver"), f, NOW)
    # then all needs every rule, any one of them
    yes, no = Condition(Field.POINTS_BALANCE, Op.GTE, 0), Condition(Field.ORDERS, Op.EQ, 9)
    assert matches(Any_((no, yes)), f, NOW) and not matches(All((no, yes)), f, NOW)
    # and a member without a tier satisfies no tier condition, NE included
    assert not matches(Condition(Field.TIER, Op.NE, text="Silver"), facts(), NOW)


@pytest.mark.parametrize(
    ("score", "group"), [(10, "PROMOTER"), (9, "PROMOTER"), (8, "PASSIVE"), (6, "DETRACTOR")]
)
def test_the_nps_group_is_the_group_of_the_latest_answer(score, group):
    # given a member whose latest NPS answer is `score`
    answered = facts(nps_score=score)
    # then they are in that group and no other; a member who never answered is in none
    for other in ("PROMOTER", "PASSIVE", "DETRACTOR"):
        rule = Condition(Field.NPS_GROUP, Op.EQ, text=other)
        assert matches(rule, answered, NOW) is (other == group)
        assert not matches(rule, facts(), NOW)
    assert matches(Condition(Field.NPS_GROUP, Op.NE, text=group), facts(nps_score=0), NOW) is (
        group != "DETRACTOR"
    )


def test_a_changed_builtin_replaces_its_default_and_custom_segments_follow():
    # given a tenant's vip at a spend of 500, a custom segment, and a member long enrolled
    vip = Segment("vip", "Big", Condition(Field.LIFETIME_SPEND, Op.GTE, 500), builtin=True)
    own = Segment("march", "March", Condition(Field.BIRTHDAY_MONTH, Op.EQ, 3))
    # when the segments in force are listed
    segments = in_force([own, vip])
    # then the four built-ins come first, vip as changed, then the custom one
    assert [s.key for s in segments] == ["at-risk", "new", "vip", "lapsed", "march"]
    member = facts(lifetime_spend_minor=500, birthday=date(2000, 3, 1))
    assert segments_of(member, segments, NOW) == ["vip", "lapsed", "march"]


def test_invalid_keys_and_rules_are_refused():
    assert validate_key(" Win-Back-2026 ") == "win-back-2026"
    for bad in ("", "-x", "a b", "x" * 51):
        with pytest.raises(DomainError):
            validate_key(bad)
    for rule in (
        All(()),
        Overdue(factor=0),
        Overdue(min_orders=1),
        Condition(Field.TIER, Op.GT, text="Gold"),
        Condition(Field.NPS_GROUP, Op.EQ, text="FAN"),
        Condition(Field.NPS_GROUP, Op.GT, text="PROMOTER"),
        Condition(Field.POINTS_BALANCE, Op.GT, 1, window_days=30),
        All(tuple(Condition(Field.ORDERS, Op.GT, i) for i in range(60))),
    ):
        with pytest.raises(DomainError):
            validate_rule(rule)


@given(st.lists(st.floats(min_value=0.5, max_value=100), min_size=1, max_size=8))
def test_the_usual_interval_is_the_median_gap(gaps: list[float]):
    # given orders separated by these gaps
    times, at = [NOW - 2000 * DAY], NOW - 2000 * DAY
    for gap in gaps:
        at += gap * DAY
        times.append(at)
    # then the usual interval is their median
    found = usual_interval_days(tuple(times))
    ordered_gaps = sorted(gaps)
    mid = len(gaps) // 2
    expected = (
        ordered_gaps[mid] if len(gaps) % 2 else (ordered_gaps[mid - 1] + ordered_gaps[mid]) / 2
    )
    assert found == pytest.approx(expected, abs=1e-6)


def test_every_builtin_rule_survives_its_stored_form():
    for segment in BUILTINS:
        assert rule_from_json(rule_to_json(segment.rule)) == segment.rule
