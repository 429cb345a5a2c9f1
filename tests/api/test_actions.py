"""Actions earn the points the program sets, within their limits: once per member, N per
day/week/month, a cooldown; limits hold under concurrent calls and retries never pay twice."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from tests.support.earning import balance, configure, enroll, fetch, points_of
from tests.support.ledger_checks import assert_ledger_matches_balances

RECORD_ACTION = """
mutation Action($input: RecordActionInput!) {
  recordAction(input: $input) {
    entry { points kind reason }
    points { available }
    replayed
    errors { code field message }
  }
}
"""


async def act(gql, kit, member_id: str, action: str, key: str | None = None) -> dict:
    body = {"memberId": member_id, "action": action}
    if key is not None:
        body["idempotencyKey"] = key
    data = await gql(RECORD_ACTION, {"input": body}, token=kit.secret_key)
    result: dict = data["recordAction"]
    return result


def codes(result: dict) -> list[str]:
    return [e["code"] for e in result["errors"]]


async def test_a_once_per_member_action_pays_once(clocked, tenant):
    # Given signup pays 50 points once per member
    gql = clocked.gql
    await configure(gql, tenant, actions=[{"key": "signup", "points": 50, "once": True}])
    member_id = await enroll(gql, tenant)

    # When it is recorded, then recorded again a year later
    first = await act(gql, tenant, member_id, "signup")
    clocked.clock.advance(timedelta(days=365))
    second = await act(gql, tenant, member_id, "signup")

    # Then only the first pays
    assert first["errors"] == []
    assert (first["entry"]["points"], first["entry"]["kind"]) == (50, "EARN")
    assert codes(second) == ["ACTION_LIMIT_REACHED"]
    assert second["entry"] is None
    assert (await points_of(gql, tenant, member_id))["available"] == 50
    await assert_ledger_matches_balances(clocked.services, tenant)


@pytest.mark.parametrize(
    ("period", "until_next"),
    [("DAY", timedelta(hours=12)), ("WEEK", timedelta(days=6, hours=12)),
     ("MONTH", timedelta(days=30))],
)  # fmt: skip
async def test_n_per_period_pays_n_times_per_calendar_period(clocked, tenant, period, until_next):
    # Given reviews pay 10 points, twice per `period`, and the clock at Monday 2 March 12:00
    gql = clocked.gql
    actions = [{"key": "review", "points": 10, "maxPerPeriod": 2, "period": period}]
    await configure(gql, tenant, actions=actions)
    member_id = await enroll(gql, tenant)

    # When three reviews come in now
    now = [await act(gql, tenant, member_id, "review") for _ in range(3)]

    # Then two pay and the third is refused
    assert [codes(r) for r in now] == [[], [], ["ACTION_LIMIT_REACHED"]]

    # And once the next period begins, reviews pay again
    clocked.clock.advance(until_next)
    later = await act(gql, tenant, member_id, "review")
    assert later["errors"] == []
    assert (await points_of(gql, tenant, member_id))["available"] == 30


async def test_a_cooldown_refuses_until_exactly_its_end(clocked, tenant):
    # Given shares pay 5 points with a 24-hour cooldown
    gql, clock = clocked.gql, clocked.clock
    await configure(gql, tenant, actions=[{"key": "social_share", "points": 5,
                                           "cooldownHours": 24}])  # fmt: skip
    member_id = await enroll(gql, tenant)
    assert (await act(gql, tenant, member_id, "social_share"))["errors"] == []

    # When another share comes a microsecond before the cooldown ends, and one at its end
    clock.advance(timedelta(hours=24) - timedelta(microseconds=1))
    early = await act(gql, tenant, member_id, "social_share")
    clock.advance(timedelta(microseconds=1))
    on_time = await act(gql, tenant, member_id, "social_share")

    # Then the early one is refused and the one at the end pays
    assert codes(early) == ["ACTION_LIMIT_REACHED"]
    assert on_time["errors"] == []
    assert (await points_of(gql, tenant, member_id))["available"] == 10


async def test_twenty_concurrent_actions_with_a_limit_of_three_pay_exactly_three(clocked, tenant):
    # Given a custom event that pays 7 points at most 3 times a day
    gql, services = clocked.gql, clocked.services
    actions = [{"key": "store_visit", "points": 7, "maxPerPeriod": 3, "period": "DAY"}]
    await configure(gql, tenant, actions=actions)
    member_id = await enroll(gql, tenant)

    # When 20 are recorded at the same moment
    results = await asyncio.gather(*(act(gql, tenant, member_id, "store_visit") for _ in range(20)))

    # Then exactly 3 pay, the others are refused, and the ledger holds exactly 21 points
    assert sorted(tuple(codes(r)) for r in results) == [()] * 3 + [("ACTION_LIMIT_REACHED",)] * 17
    assert balance(await points_of(gql, tenant, member_id)) == (21, 0, 21, 0)
    events = await fetch(services, tenant, "SELECT count(*)::int AS n FROM action_events")
    assert events == [{"n": 3}]
    await assert_ledger_matches_balances(services, tenant)


async def test_twenty_concurrent_once_actions_pay_once(clocked, tenant):
    gql = clocked.gql
    await configure(gql, tenant, actions=[{"key": "profile_completion", "points": 25,
                                           "once": True}])  # fmt: skip
    member_id = await enroll(gql, tenant)

    results = await asyncio.gather(
        *(act(gql, tenant, member_id, "profile_completion") for _ in range(20))
    )

    assert sum(1 for r in results if not r["errors"]) == 1
    assert balance(await points_of(gql, tenant, member_id)) == (25, 0, 25, 0)
    await assert_ledger_matches_balances(clocked.services, tenant)


async def test_a_retried_action_with_its_key_pays_once_and_does_not_use_up_the_limit(
    clocked, tenant
):
    # Given reviews pay 10 points twice a day
    gql = clocked.gql
    actions = [{"key": "review", "points": 10, "maxPerPeriod": 2, "period": "DAY"}]
    await configure(gql, tenant, actions=actions)
    member_id = await enroll(gql, tenant)

    # When review 1 is sent three times (concurrently) with its id as the key, then review 2
    retries = await asyncio.gather(
        *(act(gql, tenant, member_id, "review", key="review-1") for _ in range(3))
    )
    second = await act(gql, tenant, member_id, "review", key="review-2")

    # Then review 1 paid once, the retries replayed it, and review 2 still paid
    assert sorted(r["replayed"] for r in retries) == [False, True, True]
    assert all(r["errors"] == [] and r["entry"]["points"] == 10 for r in retries)
    assert second["errors"] == []
    assert (await points_of(gql, tenant, member_id))["available"] == 20


@pytest.mark.parametrize("action", ["unknown_thing", "survey"])
async def test_an_unknown_or_inactive_action_is_refused(clocked, tenant, action):
    gql = clocked.gql
    await configure(gql, tenant, actions=[{"key": "survey", "points": 5, "active": False}])
    member_id = await enroll(gql, tenant)

    result = await act(gql, tenant, member_id, action)

    assert [(e["code"], e["field"]) for e in result["errors"]] == [
        ("UNKNOWN_ACTION", ["input", "action"])
    ]
    assert (await points_of(gql, tenant, member_id))["lifetime"] == 0
