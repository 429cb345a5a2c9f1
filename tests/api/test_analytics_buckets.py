"""`analytics { series { memberRevenue guestRevenue nps } }`: each bucket splits its revenue
between members and guests and scores the NPS answers given in it. Every figure is worked
out in the comments."""

from __future__ import annotations

from typing import Any

from tests.api.test_analytics import place
from tests.api.test_analytics_insights import period
from tests.api.test_segments import DAY
from tests.api.test_surveys import create, submit
from tests.api.test_tiers import move_to
from tests.conftest import CLOCK_START
from tests.support.earning import enroll, order

SERIES = """
query Series($from: DateTime!, $to: DateTime!, $interval: Interval!) {
  analytics(from: $from, to: $to, interval: $interval) {
    averageOrderValue { members { amount } guests { amount } }
    nps { score responses }
    series {
      start
      revenue { amount }
      memberRevenue { amount currency }
      guestRevenue { amount currency }
      nps { score promoters passives detractors responses }
    }
  }
}
"""


def usd(amount: int) -> dict[str, str]:
    return {"amount": str(amount), "currency": "USD"}


def bucket(start: str, members: int, guests: int, score: str | None, *groups: int) -> Any:
    """A bucket's expected answer; groups are promoters, passives, detractors."""
    promoters, passives, detractors = (str(n) for n in groups)
    return {
        "start": start,
        "revenue": {"amount": str(members + guests)},
        "memberRevenue": usd(members),
        "guestRevenue": usd(guests),
        "nps": {
            "score": score,
            "promoters": promoters,
            "passives": passives,
            "detractors": detractors,
            "responses": str(sum(groups)),
        },
    }


async def test_each_bucket_splits_revenue_and_scores_its_own_answers(clocked, tenant):
    gql = clocked.gql
    # given an NPS survey, a second one (a member answers a survey once), and three members
    first = await create(gql, tenant)
    second = await create(gql, tenant, question="And now?")
    a, b, c = [await enroll(gql, tenant, externalId=x) for x in ("a", "b", "c")]

    # when, on day 0, A orders $100, guest g-1 $40 and an anonymous guest $10, and the
    # members answer 10, 9 and 3
    now = clocked.clock.now()
    await place(gql, tenant, order("a-1", a, ("x", 1, 10000), placed_at=now))
    await place(gql, tenant, order("g-1", None, ("x", 1, 4000), placed_at=now, guestId="g-1"))
    await place(gql, tenant, order("anon", None, ("x", 1, 1000), placed_at=now))
    for member, score in ((a, 10), (b, 9), (c, 3)):
        answered = await submit(gql, tenant.secret_key, first["id"], score, memberId=member)
        assert answered["errors"] == [], answered
    # nothing happens on day 1; on day 2 B orders $50 and C $20, guest g-2 $25, and A and B
    # answer 6 and 8
    move_to(clocked, CLOCK_START + 2 * DAY)
    now = clocked.clock.now()
    await place(gql, tenant, order("b-1", b, ("x", 1, 5000), placed_at=now))
    await place(gql, tenant, order("c-1", c, ("x", 1, 2000), placed_at=now))
    await place(gql, tenant, order("g-2", None, ("x", 1, 2500), placed_at=now, guestId="g-2"))
    for member, score in ((a, 6), (b, 8)):
        answered = await submit(gql, tenant.secret_key, second["id"], score, memberId=member)
        assert answered["errors"] == [], answered

    # then the three days, by day
    data = await gql(SERIES, {**period(0, 3), "interval": "DAY"}, token=tenant.secret_key)
    analytics = data["analytics"]
    day0, day1, day2 = analytics["series"]
    # day 0: members 10000; guests 4000 + 1000 (the anonymous order counts) = 5000, of 15000;
    # NPS 2 promoters, 1 detractor of 3: 100 x 2/3 - 100 x 1/3 = 33.33
    assert day0 == bucket("2026-03-02", 10000, 5000, "33.33", 2, 0, 1)
    # day 1: nothing, and no score (a gap in the trend, not a zero)
    assert day1 == bucket("2026-03-03", 0, 0, None, 0, 0, 0)
    # day 2: members 5000 + 2000 = 7000, guests 2500, of 9500; NPS one passive (8), one
    # detractor (6): 0 - 100 x 1/2 = -50
    assert day2 == bucket("2026-03-04", 7000, 2500, "-50.00", 0, 1, 1)
    # and the buckets add up to the period: AOV members 17000 / 3 orders = 5666.67 -> 5667,
    # guests 7500 / 3 = 2500; NPS 2 promoters, 2 detractors of 5 = 0
    assert analytics["averageOrderValue"] == {
        "members": {"amount": "5667"},
        "guests": {"amount": "2500"},
    }
    assert analytics["nps"] == {"score": "0.00", "responses": "5"}

    # and by week (CLOCK_START is a Monday): the first week holds every order and answer
    # (NPS 2 promoters, 1 passive, 2 detractors: 0), the next none
    weeks = await gql(SERIES, {**period(0, 14), "interval": "WEEK"}, token=tenant.secret_key)
    assert weeks["analytics"]["series"] == [
        bucket("2026-03-02", 17000, 7500, "0.00", 2, 1, 2),
        bucket("2026-03-09", 0, 0, None, 0, 0, 0),
    ]
