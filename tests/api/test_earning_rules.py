"""What an order earns: rate and rounding, line and campaign multipliers, bonuses, minimums,
campaign windows and channels; previews; order upserts; lots, FIFO spending and lot expiry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from api.services import Services
from domain.clock import FixedClock
from tests.conftest import CLOCK_START
from tests.support.earning import configure, enroll, lots_of, points_of, schema_of
from tests.support.gql import GraphQLClient, TenantKit
from tests.support.ledger_checks import assert_ledger_matches_balances

RECORD = """
mutation Record($input: RecordOrderInput!) {
  recordOrder(input: $input) {
    order { orderId paid earnedPoints points configVersion breakdown { rule points }
            member { id } }
    pointsDelta unchanged
    points { available pending lifetime debt }
    errors { code field message }
  }
}
"""
PREVIEW = """
query Preview($input: RecordOrderInput!) {
  previewOrder(input: $input) { points configVersion breakdown { rule description points } }
}
"""
ORDER = "query($id: String!) { order(orderId: $id) { orderId earnedPoints points } }"
ADJUST = """
mutation Adjust($input: AdjustPointsInput!) {
  adjustPoints(input: $input) {
    points { available pending lifetime debt }
    errors { code field message }
  }
}
"""


# --- helpers --------------------------------------------------------------------------------


def line(sku: str, quantity: int, unit_price: int, category: str | None = None) -> dict:
    found: dict[str, Any] = {"sku": sku, "quantity": quantity, "unitPrice": unit_price}
    if category is not None:
        found["category"] = category
    return found


def order(
    order_id: str,
    member_id: str | None,
    *lines: dict,
    placed_at: datetime = CLOCK_START,
    **extra: Any,
) -> dict:
    body: dict[str, Any] = {
        "orderId": order_id,
        "currency": "USD",
        "placedAt": placed_at.isoformat(),
        "lines": list(lines),
        **extra,
    }
    if member_id is not None:
        body["memberId"] = member_id
    return body


async def record(gql: GraphQLClient, kit: TenantKit, body: dict) -> dict:
    data = await gql(RECORD, {"input": body}, token=kit.secret_key)
    result: dict = data["recordOrder"]
    return result


async def recorded_points(gql: GraphQLClient, kit: TenantKit, body: dict) -> int:
    result = await record(gql, kit, body)
    assert result["errors"] == [], result
    points: int = result["pointsDelta"]
    return points


async def preview(gql: GraphQLClient, kit: TenantKit, body: dict) -> dict:
    data = await gql(PREVIEW, {"input": body}, token=kit.secret_key)
    result: dict = data["previewOrder"]
    return result


async def row_counts(services: Services, kit: TenantKit) -> dict[str, int]:
    schema = await schema_of(services, kit)
    tables = ("orders", "refunds", "ledger_entries", "lots", "lot_draws", "idempotency_keys")
    async with services.pool.acquire() as conn:
        return {t: await conn.fetchval(f'SELECT count(*) FROM "{schema}".{t}') for t in tables}


def move_to(clock: FixedClock, at: datetime) -> None:
    clock.advance(at - clock.now())


def as_dt(text: str) -> datetime:
    return datetime.fromisoformat(text)


# --- rate and rounding ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rounding", "expected"),
    [("DOWN", [10, 10, 10]), ("NEAREST", [10, 11, 11]), ("UP", [11, 11, 11])],
)
async def test_rounding_mode_rounds_the_order_total(clocked, tenant, rounding, expected):
    # Given a program at 1 point per dollar that rounds `rounding`
    gql = clocked.gql
    await configure(gql, tenant, rounding=rounding)
    member_id = await enroll(gql, tenant)

    # When orders of $10.49, $10.50 and $10.51 are recorded
    earned = [
        await recorded_points(gql, tenant, order(f"o-{cents}", member_id, line("a", 1, cents)))
        for cents in (1049, 1050, 1051)
    ]

    # Then each total is rounded once, the program's way
    assert earned == expected
    assert (await points_of(gql, tenant, member_id))["available"] == sum(expected)
    await assert_ledger_matches_balances(clocked.services, tenant)


async def test_discounts_spread_over_lines_never_cost_a_point_to_rounding(clocked, tenant):
    # Given the default program (1 point per dollar, rounding down)
    gql = clocked.gql
    member_id = await enroll(gql, tenant)

    # When an order of $2.40 + $6.59 with a $1.99 discount (paid exactly $7.00) is recorded
    body = order("o-1", member_id, line("a", 1, 240), line("b", 1, 659), discountTotal=199)
    result = await record(gql, tenant, body)

    # Then it earns exactly 7 points, not 6 from an inexact split of the discount
    assert result["errors"] == []
    assert result["order"]["paid"] == "700"
    assert result["pointsDelta"] == 7

    # And rounding up does not turn exactly $8.00 into 9 points either
    await configure(gql, tenant, rounding="UP")
    up = order("o-2", member_id, line("a", 1, 149), line("b", 1, 984), discountTotal=333)
    assert await recorded_points(gql, tenant, up) == 8
    await assert_ledger_matches_balances(clocked.services, tenant)


# --- multipliers and bonuses ----------------------------------------------------------------


async def test_the_best_line_multiplier_wins_and_line_multipliers_do_not_stack(clocked, tenant):
    # Given a 3x rule on the sku 'tee' and 2x and 1.5x rules on the category 'apparel'
    gql = clocked.gql
    await configure(
        gql,
        tenant,
        earnRules=[
            {"id": "tee-3x", "name": "Tees 3x", "kind": "MULTIPLIER", "multiplier": "3",
             "skus": ["tee"]},
            {"id": "apparel-2x", "name": "Apparel 2x", "kind": "MULTIPLIER", "multiplier": "2",
             "categories": ["apparel"]},
            {"id": "apparel-1-5x", "name": "Apparel 1.5x", "kind": "MULTIPLIER",
             "multiplier": "1.5", "categories": ["apparel"]},
        ],
    )  # fmt: skip
    member_id = await enroll(gql, tenant)

    # When a $10 tee (apparel), a $10 cap (apparel) and a $10 mug are bought
    body = order(
        "o-1",
        member_id,
        line("tee", 1, 1000, "apparel"),
        line("cap", 1, 1000, "apparel"),
        line("mug", 1, 1000, "kitchen"),
    )
    result = await record(gql, tenant, body)

    # Then the tee earns 3x (not 3x*2x*1.5x nor 3x+2x), the cap 2x and the mug 1x
    assert result["errors"] == []
    assert result["pointsDelta"] == 30 + 20 + 10
    assert sorted((b["rule"], b["points"]) for b in result["order"]["breakdown"]) == [
        ("apparel-2x", 10),
        ("base", 30),
        ("tee-3x", 20),
    ]
    await assert_ledger_matches_balances(clocked.services, tenant)


async def test_only_the_best_campaign_multiplier_applies(clocked, tenant):
    # Given two order-wide campaigns, 2x and 1.5x
    gql = clocked.gql
    await configure(
        gql,
        tenant,
        earnRules=[
            {"id": "double", "name": "Double points", "kind": "MULTIPLIER", "multiplier": "2"},
            {"id": "half-more", "name": "Half more", "kind": "MULTIPLIER", "multiplier": "1.5"},
        ],
    )
    member_id = await enroll(gql, tenant)

    # When a $25 order is recorded
    result = await record(gql, tenant, order("o-1", member_id, line("a", 1, 2500)))

    # Then only the 2x campaign applies
    assert result["pointsDelta"] == 50
    assert sorted((b["rule"], b["points"]) for b in result["order"]["breakdown"]) == [
        ("base", 25),
        ("double", 25),
    ]
    await assert_ledger_matches_balances(clocked.services, tenant)


async def test_bonuses_are_per_unit_on_targeted_lines_and_once_per_order_otherwise(clocked, tenant):
    # Given 50 points per tee, 7 points per kitchen item and a 100-point order bonus
    gql = clocked.gql
    await configure(
        gql,
        tenant,
        earnRules=[
            {"id": "tee-bonus", "name": "Tee bonus", "kind": "BONUS", "points": 50,
             "skus": ["tee"]},
            {"id": "kitchen-bonus", "name": "Kitchen bonus", "kind": "BONUS", "points": 7,
             "categories": ["kitchen"]},
            {"id": "welcome", "name": "Order bonus", "kind": "BONUS", "points": 100},
        ],
    )  # fmt: skip
    member_id = await enroll(gql, tenant)

    # When 2 + 1 tees on two lines, 4 mugs and a $5 card are bought
    body = order(
        "o-1",
        member_id,
        line("tee", 2, 1000),
        line("tee", 1, 1000),
        line("mug", 4, 250, "kitchen"),
        line("card", 1, 500),
    )
    result = await record(gql, tenant, body)

    # Then the tee bonus is paid per tee, the kitchen bonus per mug, the order bonus once
    assert result["errors"] == []
    assert sorted((b["rule"], b["points"]) for b in result["order"]["breakdown"]) == [
        ("base", 45),
        ("kitchen-bonus", 28),
        ("tee-bonus", 150),
        ("welcome", 100),
    ]
    assert result["pointsDelta"] == 45 + 28 + 150 + 100
    await assert_ledger_matches_balances(clocked.services, tenant)


async def test_minimum_order_value_of_the_program_and_of_a_rule(clocked, tenant):
    # Given orders earn from $20, and a 100-point bonus from $50
    gql = clocked.gql
    await configure(
        gql,
        tenant,
        minOrderValue=2000,
        earnRules=[
            {"id": "big", "name": "Big basket", "kind": "BONUS", "points": 100,
             "minOrderValue": 5000},
        ],
    )  # fmt: skip
    member_id = await enroll(gql, tenant)

    # When orders of $19.99, $20.00, $49.99 and $50.00 (after a discount) are recorded
    below = await record(gql, tenant, order("o-1", member_id, line("a", 1, 1999)))
    at_min = await recorded_points(gql, tenant, order("o-2", member_id, line("a", 1, 2000)))
    below_rule = await recorded_points(gql, tenant, order("o-3", member_id, line("a", 1, 4999)))
    at_rule = await recorded_points(
        gql, tenant, order("o-4", member_id, line("a", 1, 6000), discountTotal=1000)
    )

    # Then the smallest earns nothing (and says why), the rest earn, the bonus from $50 paid
    assert below["errors"] == []
    assert below["pointsDelta"] == 0
    assert below["order"]["earnedPoints"] == 0
    assert [b["rule"] for b in below["order"]["breakdown"]] == ["minimum"]
    assert (at_min, below_rule, at_rule) == (20, 49, 150)
    assert (await points_of(gql, tenant, member_id))["available"] == 20 + 49 + 150
    await assert_ledger_matches_balances(clocked.services, tenant)


async def test_a_campaign_window_starts_inclusive_and_ends_exclusive(clocked, tenant):
    # Given a 2x campaign from S (inclusive) to E (exclusive)
    gql = clocked.gql
    starts = CLOCK_START + timedelta(days=1)
    ends = CLOCK_START + timedelta(days=8)
    await configure(
        gql,
        tenant,
        earnRules=[
            {"id": "week", "name": "Double week", "kind": "MULTIPLIER", "multiplier": "2",
             "startsAt": starts.isoformat(), "endsAt": ends.isoformat()},
        ],
    )  # fmt: skip
    member_id = await enroll(gql, tenant)
    tick = timedelta(microseconds=1)

    # When $10 orders placed just before, at, just before the end and at the end are recorded
    earned = [
        await recorded_points(
            gql, tenant, order(f"o-{i}", member_id, line("a", 1, 1000), placed_at=at)
        )
        for i, at in enumerate((starts - tick, starts, ends - tick, ends))
    ]

    # Then only the orders placed inside [S, E) earn double
    assert earned == [10, 20, 20, 10]
    await assert_ledger_matches_balances(clocked.services, tenant)


async def test_channel_filters_limit_a_rule_to_its_channels(clocked, tenant):
    # Given a 2x rule for POS and MOBILE, and a 5-point bonus for WEB
    gql = clocked.gql
    await configure(
        gql,
        tenant,
        earnRules=[
            {"id": "in-store", "name": "In store 2x", "kind": "MULTIPLIER", "multiplier": "2",
             "channels": ["POS", "MOBILE"]},
            {"id": "web-bonus", "name": "Web bonus", "kind": "BONUS", "points": 5,
             "channels": ["WEB"]},
        ],
    )  # fmt: skip
    member_id = await enroll(gql, tenant)

    # When the same $10 order comes from each channel
    earned = {
        channel: await recorded_points(
            gql, tenant, order(f"o-{channel}", member_id, line("a", 1, 1000), channel=channel)
        )
        for channel in ("WEB", "POS", "MOBILE")
    }

    # Then each channel gets only its own rules
    assert earned == {"WEB": 15, "POS": 20, "MOBILE": 20}
    await assert_ledger_matches_balances(clocked.services, tenant)


# --- preview --------------------------------------------------------------------------------


async def test_preview_returns_what_record_then_credits_and_writes_nothing(clocked, tenant):
    # Given a program with a rate, rounding, multipliers and bonuses
    gql, services = clocked.gql, clocked.services
    version = await configure(
        gql,
        tenant,
        pointsPerUnit="1.5",
        rounding="NEAREST",
        earnRules=[
            {"id": "tee-3x", "name": "Tees", "kind": "MULTIPLIER", "multiplier": "3",
             "skus": ["tee"]},
            {"id": "spring", "name": "Spring", "kind": "MULTIPLIER", "multiplier": "1.25"},
            {"id": "mug-bonus", "name": "Mugs", "kind": "BONUS", "points": 4,
             "skus": ["mug"]},
        ],
    )  # fmt: skip
    member_id = await enroll(gql, tenant)
    body = order("o-1", member_id, line("tee", 2, 1999), line("mug", 3, 733), discountTotal=517)
    before = await row_counts(services, tenant)

    # When the order is previewed
    previewed = await preview(gql, tenant, body)

    # Then nothing was written: no order, no entries, no lots, no balance
    assert await row_counts(services, tenant) == before
    assert (await gql(ORDER, {"id": "o-1"}, token=tenant.secret_key))["order"] is None
    assert (await points_of(gql, tenant, member_id))["lifetime"] == 0

    # And recording it credits exactly the previewed points with the same breakdown
    result = await record(gql, tenant, body)
    assert result["errors"] == []
    assert previewed["configVersion"] == version == result["order"]["configVersion"]
    assert previewed["points"] > 0
    assert result["pointsDelta"] == previewed["points"]
    assert result["order"]["breakdown"] == [
        {"rule": b["rule"], "points": b["points"]} for b in previewed["breakdown"]
    ]
    assert sum(b["points"] for b in previewed["breakdown"]) == previewed["points"]
    assert result["points"]["available"] == previewed["points"]
    await assert_ledger_matches_balances(services, tenant)


# --- refused orders -------------------------------------------------------------------------


async def test_an_order_in_another_currency_is_refused_and_writes_nothing(clocked, tenant):
    # Given a USD program and a member
    gql, services = clocked.gql, clocked.services
    member_id = await enroll(gql, tenant)
    before = await row_counts(services, tenant)

    # When a EUR order is recorded for the member, and as a guest order
    as_member = await record(gql, tenant, order("o-eur", member_id, line("a", 1, 1000),
                                                currency="EUR"))  # fmt: skip
    as_guest = await record(gql, tenant, order("o-eur-guest", None, line("a", 1, 1000),
                                               currency="EUR"))  # fmt: skip

    # Then both are refused on the currency field, and nothing is written
    for result in (as_member, as_guest):
        assert result["order"] is None
        assert [(e["code"], e["field"]) for e in result["errors"]] == [
            ("CURRENCY_MISMATCH", ["input", "currency"])
        ]
    assert await row_counts(services, tenant) == before

    # And a preview is refused the same way
    errors = await gql.errors(
        PREVIEW,
        {"input": order("o-eur", member_id, line("a", 1, 1000), currency="EUR")},
        token=tenant.secret_key,
    )
    assert errors[0]["extensions"]["code"] == "CURRENCY_MISMATCH"


@pytest.mark.parametrize(
    ("bad_line", "field"),
    [
        (line("b", 0, 500), "quantity"),
        (line("b", -2, 500), "quantity"),
        (line("b", 1, -500), "unitPrice"),
    ],
)
async def test_zero_or_negative_quantities_and_prices_are_refused(clocked, tenant, bad_line, field):
    # Given a member
    gql, services = clocked.gql, clocked.services
    member_id = await enroll(gql, tenant)
    before = await row_counts(services, tenant)

    # When an order has a good line and a bad one
    result = await record(gql, tenant, order("o-1", member_id, line("a", 1, 1000), bad_line))

    # Then it is refused on the bad line's field, and nothing at all is written
    assert result["order"] is None
    assert [(e["code"], e["field"]) for e in result["errors"]] == [
        ("INVALID", ["input", "lines", "1", field])
    ]
    assert await row_counts(services, tenant) == before
    assert (await points_of(gql, tenant, member_id))["lifetime"] == 0


# --- order upserts --------------------------------------------------------------------------


async def test_recording_an_order_again_changes_nothing(clocked, tenant):
    # Given an order recorded once
    gql, services = clocked.gql, clocked.services
    member_id = await enroll(gql, tenant)
    body = order("o-1", member_id, line("a", 3, 1000))
    assert await recorded_points(gql, tenant, body) == 30
    before = await row_counts(services, tenant)

    # When exactly the same order is recorded twice more
    replays = [await record(gql, tenant, body) for _ in range(2)]

    # Then nothing moves and nothing is written
    for replay in replays:
        assert replay["errors"] == []
        assert (replay["unchanged"], replay["pointsDelta"]) == (True, 0)
        assert replay["order"]["earnedPoints"] == 30
    assert await row_counts(services, tenant) == before
    assert (await points_of(gql, tenant, member_id))["available"] == 30
    await assert_ledger_matches_balances(services, tenant)


async def test_a_changed_order_moves_points_by_the_difference_at_its_first_rate(clocked, tenant):
    # Given an order of 2 x $10 earned at 1 point per dollar
    gql, services = clocked.gql, clocked.services
    member_id = await enroll(gql, tenant)
    first_version = await configure(gql, tenant, pointsPerUnit="1")
    assert await recorded_points(gql, tenant, order("o-1", member_id, line("a", 2, 1000))) == 20

    # And the rate then doubles
    await configure(gql, tenant, pointsPerUnit="2")

    # When the order grows to 3 units, then shrinks to 1
    grown = await record(gql, tenant, order("o-1", member_id, line("a", 3, 1000)))
    shrunk = await record(gql, tenant, order("o-1", member_id, line("a", 1, 1000)))

    # Then points move by the difference, at the rate the order was first earned under
    assert (grown["pointsDelta"], grown["order"]["earnedPoints"]) == (10, 30)
    assert (shrunk["pointsDelta"], shrunk["order"]["earnedPoints"]) == (-20, 10)
    assert shrunk["order"]["configVersion"] == first_version
    assert shrunk["points"] == {"available": 10, "pending": 0, "lifetime": 10, "debt": 0}
    await assert_ledger_matches_balances(services, tenant)


async def test_a_guest_order_may_gain_a_member_but_a_member_never_changes(clocked, tenant):
    # Given a guest order
    gql, services = clocked.gql, clocked.services
    member_id = await enroll(gql, tenant)
    other_id = await enroll(gql, tenant)
    guest = await record(gql, tenant, order("o-1", None, line("a", 2, 1000)))
    assert guest["errors"] == []
    assert (guest["pointsDelta"], guest["order"]["member"]) == (0, None)

    # When the shopper signs up and the order is recorded again with them as its member
    claimed = await record(gql, tenant, order("o-1", member_id, line("a", 2, 1000)))

    # Then the member earns the order's points
    assert claimed["errors"] == []
    assert claimed["pointsDelta"] == 20
    assert claimed["order"]["member"] == {"id": member_id}
    assert (await points_of(gql, tenant, member_id))["available"] == 20

    # And the order cannot then move to another member, nor back to a guest
    for moved_to in (other_id, None):
        moved = await record(gql, tenant, order("o-1", moved_to, line("a", 2, 1000)))
        assert moved["order"] is None
        assert [(e["code"], e["field"]) for e in moved["errors"]] == [
            ("INVALID", ["input", "memberId"])
        ]
    assert (await points_of(gql, tenant, other_id))["lifetime"] == 0
    assert (await points_of(gql, tenant, member_id))["available"] == 20
    await assert_ledger_matches_balances(services, tenant)


# --- lots: FIFO spending, expiring points, lot expiry ---------------------------------------


async def test_spending_takes_the_points_that_expire_soonest_first(clocked, tenant):
    # Given lots of 10, 20 and 30 points earned 5 days apart, expiring after 30 days,
    # and a lot of 40 that never expires
    gql, services, clock = clocked.gql, clocked.services, clocked.clock
    await configure(gql, tenant, lotExpiry={"after": 30, "unit": "DAYS"})
    member_id = await enroll(gql, tenant)
    for i, points in enumerate((10, 20, 30)):
        placed = clock.now()
        body = order(f"o-{i}", member_id, line("a", 1, points * 100), placed_at=placed)
        assert await recorded_points(gql, tenant, body) == points
        clock.advance(timedelta(days=5))
    await configure(gql, tenant, clearLotExpiry=True)
    adjusted = await gql(ADJUST, {"input": {"memberId": member_id, "points": 40}},
                         token=tenant.secret_key)  # fmt: skip
    assert adjusted["adjustPoints"]["errors"] == []

    # When 25 points, then 10 more, are spent
    for spent in (25, 10):
        result = await gql(ADJUST, {"input": {"memberId": member_id, "points": -spent}},
                           token=tenant.secret_key)  # fmt: skip
        assert result["adjustPoints"]["errors"] == []

    # Then the oldest lots paid, and the never-expiring lot is untouched
    assert await lots_of(services, tenant) == [
        (10, 0, False),
        (20, 0, False),
        (30, 25, False),
        (40, 40, False),
    ]
    points = await points_of(gql, tenant, member_id, days=60)
    assert points["available"] == 65
    assert [(x["points"], as_dt(x["expiresAt"])) for x in points["expiring"]] == [
        (25, CLOCK_START + timedelta(days=40))
    ]
    await assert_ledger_matches_balances(services, tenant)


async def test_expiring_lists_the_points_that_expire_soonest_within_the_days_asked(clocked, tenant):
    # Given lots expiring 10, 20 and 40 days from now, and one pending lot
    gql, services, clock = clocked.gql, clocked.services, clocked.clock
    await configure(gql, tenant, lotExpiry={"after": 40, "unit": "DAYS"})
    member_id = await enroll(gql, tenant)
    start = clock.now()
    for i, (days_ago, points) in enumerate(((30, 5), (20, 7), (0, 11))):
        move_to(clock, start - timedelta(days=days_ago))
        body = order(f"o-{i}", member_id, line("a", 1, points * 100), placed_at=clock.now())
        assert await recorded_points(gql, tenant, body) == points
    move_to(clock, start)
    await configure(gql, tenant, pendingDays=7)
    pending = order("o-pending", member_id, line("a", 1, 300), placed_at=start)
    assert await recorded_points(gql, tenant, pending) == 3

    # When the member's expiring points are read for 0, 15, 30 and 60 days
    windows = {days: (await points_of(gql, tenant, member_id, days))["expiring"]
               for days in (0, 15, 30, 60)}  # fmt: skip

    # Then each lists the available points expiring within those days, soonest first
    def at(days: int) -> datetime:
        return start + timedelta(days=days)

    assert windows[0] == []
    assert [(x["points"], as_dt(x["expiresAt"])) for x in windows[15]] == [(5, at(10))]
    assert [(x["points"], as_dt(x["expiresAt"])) for x in windows[30]] == [
        (5, at(10)),
        (7, at(20)),
    ]
    assert [(x["points"], as_dt(x["expiresAt"])) for x in windows[60]] == [
        (5, at(10)),
        (7, at(20)),
        (11, at(40)),
    ]
    await assert_ledger_matches_balances(services, tenant)


@pytest.mark.parametrize(
    ("expiry", "earned_at", "expires_at"),
    [
        ({"after": 30, "unit": "DAYS"}, datetime(2026, 3, 2, 12, tzinfo=UTC),
         datetime(2026, 4, 1, 12, tzinfo=UTC)),
        ({"after": 30, "unit": "DAYS", "endOfMonth": True}, datetime(2026, 3, 2, 12, tzinfo=UTC),
         datetime(2026, 5, 1, tzinfo=UTC)),
        ({"after": 1, "unit": "MONTHS"}, datetime(2026, 3, 2, 12, tzinfo=UTC),
         datetime(2026, 4, 2, 12, tzinfo=UTC)),
        ({"after": 1, "unit": "MONTHS"}, datetime(2027, 1, 31, 9, tzinfo=UTC),
         datetime(2027, 2, 28, 9, tzinfo=UTC)),
        ({"after": 12, "unit": "MONTHS", "endOfMonth": True},
         datetime(2026, 3, 2, 12, tzinfo=UTC), datetime(2027, 4, 1, tzinfo=UTC)),
    ],
)  # fmt: skip
async def test_a_lot_expires_after_days_or_months_optionally_at_the_end_of_that_month(
    clocked, tenant, expiry, earned_at, expires_at
):
    # Given a program whose lots expire as `expiry` says, at `earned_at`
    gql, services, clock = clocked.gql, clocked.services, clocked.clock
    await configure(gql, tenant, lotExpiry=expiry)
    member_id = await enroll(gql, tenant)
    move_to(clock, earned_at)

    # When the member earns 12 points
    body = order("o-1", member_id, line("a", 1, 1200), placed_at=earned_at)
    assert await recorded_points(gql, tenant, body) == 12

    # Then they are listed as expiring at exactly `expires_at`
    points = await points_of(gql, tenant, member_id, days=400)
    assert [(x["points"], as_dt(x["expiresAt"])) for x in points["expiring"]] == [(12, expires_at)]

    # And they are spendable up to just before that moment, and gone at it
    move_to(clock, expires_at - timedelta(microseconds=1))
    spend_one = {"input": {"memberId": member_id, "points": -1}}
    spent = await gql(ADJUST, spend_one, token=tenant.secret_key)
    assert spent["adjustPoints"]["errors"] == []
    move_to(clock, expires_at)
    refused = await gql(ADJUST, spend_one, token=tenant.secret_key)
    assert [e["code"] for e in refused["adjustPoints"]["errors"]] == ["INSUFFICIENT_POINTS"]
    await assert_ledger_matches_balances(services, tenant)
