"""`analytics { nps csat winBack }`: the survey answers and the win-back grants of the period,
read through the same object as the other KPIs, for the tenant and side by side in
`agency { tenants { analytics } }`. Every figure is worked out in the comments."""

from __future__ import annotations

from typing import Any

from tests.api.test_grant_to_segment import GRANT, members_of_segment
from tests.api.test_segments import DAY, buy
from tests.api.test_surveys import create, submit
from tests.api.test_tiers import move_to
from tests.conftest import CLOCK_START
from tests.support.earning import enroll
from tests.support.gql import GraphQLClient, TenantKit

INSIGHTS = """
query Insights($from: DateTime!, $to: DateTime!, $days: Int!) {
  analytics(from: $from, to: $to) {
    nps { score promoters passives detractors responses }
    csat { score responses }
    winBack(days: $days) { members reordered rate }
  }
}
"""


def period(first_day: int, days: int) -> dict[str, str]:
    """Whole UTC days from CLOCK_START's day + first_day, `days` long."""
    start = (CLOCK_START + first_day * DAY).replace(hour=0, minute=0, second=0, microsecond=0)
    return {"from": start.isoformat(), "to": (start + days * DAY).isoformat()}


async def insights(gql: GraphQLClient, kit: TenantKit, when: dict[str, str], days: int) -> Any:
    found = await gql(INSIGHTS, {**when, "days": days}, token=kit.secret_key)
    return found["analytics"]


async def test_nps_and_csat_of_the_period_are_the_answers_given_in_it(clocked, tenant):
    gql = clocked.gql
    # given an NPS and a CSAT survey, and five members
    nps = await create(gql, tenant)
    csat = await create(gql, tenant, kind="CSAT", question="How was your order?", followUps=[])
    members = [await enroll(gql, tenant) for _ in range(5)]

    # when they answer NPS 10, 9, 7, 3 and CSAT 5, 4, 2 today
    for member, score in zip(members, (10, 9, 7, 3), strict=False):
        answered = await submit(gql, tenant.secret_key, nps["id"], score, memberId=member)
        assert answered["errors"] == [], answered
    for member, score in zip(members, (5, 4, 2), strict=False):
        answered = await submit(gql, tenant.secret_key, csat["id"], score, memberId=member)
        assert answered["errors"] == [], answered

    # then today's period counts them (counts are BigInt, sent as strings):
    # NPS = 100 x 2/4 - 100 x 1/4 = 25; CSAT = 100 x 2/3 (the 4 and the 5) = 66.67
    today = await insights(gql, tenant, period(0, 1), 30)
    assert today["nps"] == {
        "score": "25.00",
        "promoters": "2",
        "passives": "1",
        "detractors": "1",
        "responses": "4",
    }
    assert today["csat"] == {"score": "66.67", "responses": "3"}
    # and a period before them has no answers, so no score
    before = await insights(gql, tenant, period(-10, 5), 30)
    assert before["nps"]["responses"] == "0" and before["nps"]["score"] is None
    assert before["csat"] == {"score": None, "responses": "0"}


async def test_win_back_counts_the_members_granted_in_the_period_who_ordered_again(clocked, tenant):
    gql = clocked.gql
    # given two members of a segment, given 50 points by a campaign today
    back, gone = await members_of_segment(clocked, tenant, [100, 100])
    grant = {"segment": "loyal", "campaignKey": "spring", "points": 50, "reason": "We miss you"}
    sent = (await gql(GRANT, {"input": grant}, token=tenant.secret_key))["grantToSegment"]
    assert sent["campaign"]["granted"] == 2, sent

    # when one of them orders 10 days later
    move_to(clocked, CLOCK_START + 10 * DAY)
    await buy(gql, tenant, back, 1_000, 10)

    # then of the grants made in a period holding today: within 30 days one of two came
    # back, within 5 days none
    granted_today = period(0, 1)
    assert (await insights(gql, tenant, granted_today, 30))["winBack"] == {
        "members": 2,
        "reordered": 1,
        "rate": 0.5,
    }
    assert (await insights(gql, tenant, granted_today, 5))["winBack"]["reordered"] == 0
    # and a period after the grants holds none of them
    later = await insights(gql, tenant, period(1, 20), 30)
    assert later["winBack"] == {"members": 0, "reordered": 0, "rate": 0.0}
    assert gone != back
