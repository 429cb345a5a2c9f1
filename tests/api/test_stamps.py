"""A stamp card: orders and actions earn stamps in the `stamps` wallet, a full card turns
into its reward in the same transaction, and refunds, expiry and idempotency treat stamps
as they treat points."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

import pytest

from domain.jobs import run_jobs
from persistence.uow import PgUnitOfWorkFactory
from tests.conftest import ADJUST
from tests.support.earning import configure, earn, enroll, fetch, order, record, refund
from tests.support.ledger_checks import assert_ledger_matches_balances
from tests.support.operations import OPERATIONS
from tests.support.rewards import make_reward, member_token
from tests.support.round_trips import counting
from tests.support.stamps import configure_card, set_card, stamps_of

MEMBER_STAMPS = (OPERATIONS / "mobile" / "MemberStamps.graphql").read_text()
PROGRAM_CARD = """
query { program { stampCard { enabled cardSize rewardPoints reward { id } resets } } }
"""
RECORD_ACTION = """
mutation Action($input: RecordActionInput!) {
  recordAction(input: $input) { replayed errors { code field message } }
}
"""
WALLET = """
query Wallet($id: ID!) { member(id: $id) { points(wallet: "stamps") { wallet available } } }
"""
REDEMPTIONS = """
query Redemptions($id: ID!) { member(id: $id) { redemptions { nodes { code status points } } } }
"""
HISTORY = """
query History($id: ID!) {
  member(id: $id) { stamps { history(first: 10) { nodes { kind points reason orderId } } } }
}
"""


def ten_dollars(order_id: str, member_id: str) -> dict:
    return order(order_id, member_id, ("cup", 1, 1000))


async def card_of(clocked, tenant, member_id: str) -> tuple[int, int, int]:
    """(collected, cardsCompleted, points available) of the member."""
    found = await stamps_of(clocked.gql, tenant, member_id)
    stamps = found["stamps"]
    return stamps["collected"], stamps["cardsCompleted"], found["points"]["available"]


async def test_a_third_order_completes_the_card_into_its_points(clocked, tenant):
    # Given a card of 3 stamps worth 50 points, one stamp per order of $10 or more
    gql = clocked.gql
    await set_card(gql, tenant)
    member_id = await enroll(gql, tenant)

    # When the member places two orders of $10 and one of $5
    for i in (1, 2):
        assert await earn(gql, tenant, ten_dollars(f"o-{i}", member_id)) == 10
    await earn(gql, tenant, order("small", member_id, ("cup", 1, 500)))

    # Then the card holds two stamps and no reward yet
    assert await card_of(clocked, tenant, member_id) == (2, 0, 25)

    # When a third order of $10 arrives
    await earn(gql, tenant, ten_dollars("o-3", member_id))

    # Then the card completed once: its 3 stamps were consumed and 50 points given
    found = await stamps_of(gql, tenant, member_id)
    assert found["stamps"] == {
        "wallet": "stamps",
        "collected": 0,
        "cardSize": 3,
        "cardsCompleted": 1,
        "progress": 0.0,
        "available": 0,
        "lifetime": 3,
    }
    assert found["points"] == {"available": 35 + 50, "lifetime": 35 + 50}
    await assert_ledger_matches_balances(clocked.services, tenant)


async def test_replaying_an_order_earns_no_second_stamp(clocked, tenant):
    # Given a member whose order o-1 earned one stamp
    gql = clocked.gql
    await set_card(gql, tenant)
    member_id = await enroll(gql, tenant)
    await earn(gql, tenant, ten_dollars("o-1", member_id))

    # When the store sends the same order again
    again = await record(gql, tenant, ten_dollars("o-1", member_id))

    # Then it is unchanged and the card still holds one stamp
    assert again["unchanged"] is True
    assert await card_of(clocked, tenant, member_id) == (1, 0, 10)
    await assert_ledger_matches_balances(clocked.services, tenant)


async def test_stamps_beyond_a_full_card_carry_over_to_the_next(clocked, tenant):
    # Given a card of 4 stamps, one per coffee bought
    gql = clocked.gql
    await set_card(
        gql, tenant, cardSize=4, rules=[{"id": "coffee", "stamps": 1, "skus": ["coffee"]}]
    )
    member_id = await enroll(gql, tenant)

    # When one order buys 9 coffees
    await earn(gql, tenant, order("o-1", member_id, ("coffee", 9, 300)))

    # Then two cards completed and the ninth stamp starts the third card
    assert await card_of(clocked, tenant, member_id) == (1, 2, 27 + 2 * 50)
    await assert_ledger_matches_balances(clocked.services, tenant)


async def test_a_card_that_does_not_reset_completes_once(clocked, tenant):
    # Given a card of 2 stamps that does not reset
    gql = clocked.gql
    await set_card(gql, tenant, cardSize=2, resets=False)
    member_id = await enroll(gql, tenant)

    # When the member places five orders
    for i in range(5):
        await earn(gql, tenant, ten_dollars(f"o-{i}", member_id))

    # Then the card completed once and no stamp was earned after it
    found = await stamps_of(gql, tenant, member_id)
    assert found["stamps"]["cardsCompleted"] == 1
    assert found["stamps"]["lifetime"] == 2
    assert found["points"]["available"] == 50 + 50
    await assert_ledger_matches_balances(clocked.services, tenant)


async def test_a_full_card_issues_a_catalog_reward_code(clocked, tenant):
    # Given a card of 2 stamps that completes into a free coffee from the catalog
    gql = clocked.gql
    reward_id = await make_reward(gql, tenant, name="Free coffee", pointsCost=300)
    await set_card(gql, tenant, cardSize=2, rewardId=reward_id)
    member_id = await enroll(gql, tenant)

    # When two orders fill the card
    for i in (1, 2):
        await earn(gql, tenant, ten_dollars(f"o-{i}", member_id))

    # Then one code was issued, as redeeming the reward would, at no cost to the member
    data = await gql(REDEMPTIONS, {"id": member_id}, token=tenant.secret_key)
    issued = data["member"]["redemptions"]["nodes"]
    assert [(x["status"], x["points"]) for x in issued] == [("ISSUED", 300)]
    assert await card_of(clocked, tenant, member_id) == (0, 1, 20)
    await assert_ledger_matches_balances(clocked.services, tenant)


async def test_a_refund_takes_back_the_orders_stamps(clocked, tenant):
    # Given a card of 10 stamps and an order of $20 that earned 2 stamps
    gql = clocked.gql
    await set_card(
        gql, tenant, cardSize=10, rules=[{"id": "visit", "stamps": 2, "minOrderValue": 1000}]
    )
    member_id = await enroll(gql, tenant)
    await earn(gql, tenant, order("o-1", member_id, ("cup", 2, 1000)))
    assert (await card_of(clocked, tenant, member_id))[0] == 2

    # When half the order is refunded
    assert (await refund(gql, tenant, orderId="o-1", refundId="r-1", amount=1000))["errors"] == []

    # Then half its stamps went back
    assert (await card_of(clocked, tenant, member_id))[0] == 1

    # When the rest is refunded
    assert (await refund(gql, tenant, orderId="o-1", refundId="r-2", amount=1000))["errors"] == []

    # Then the order's stamps are all gone, each taken back once
    assert (await card_of(clocked, tenant, member_id))[0] == 0
    data = await gql(HISTORY, {"id": member_id}, token=tenant.secret_key)
    kinds = [(x["kind"], x["points"]) for x in data["member"]["stamps"]["history"]["nodes"]]
    assert kinds == [("REVERSE", -1), ("REVERSE", -1), ("EARN", 2)]
    await assert_ledger_matches_balances(clocked.services, tenant)


async def test_refunding_stamps_already_on_a_completed_card_follows_the_refund_policy(
    clocked, make_tenant
):
    for policy, available in (("CLAWBACK_AVAILABLE", 0), ("ALLOW_NEGATIVE", -2)):
        # Given a card of 2 stamps completed by one order earning 2 stamps, under `policy`
        gql, kit = clocked.gql, await make_tenant()
        await configure(gql, kit, refundPolicy=policy)
        await set_card(
            gql, kit, cardSize=2, rules=[{"id": "visit", "stamps": 2, "minOrderValue": 0}]
        )
        member_id = await enroll(gql, kit)
        await earn(gql, kit, ten_dollars("o-1", member_id))
        assert (await card_of(clocked, kit, member_id))[1] == 1

        # When the whole order is refunded
        assert (await refund(gql, kit, orderId="o-1", refundId="r-1", amount=1000))["errors"] == []

        # Then the spent stamps are a shortfall, or owed, by the policy; the card stays done
        stamps = (await stamps_of(gql, kit, member_id))["stamps"]
        assert (stamps["available"], stamps["cardsCompleted"]) == (available, 1), policy
        await assert_ledger_matches_balances(clocked.services, kit)


async def test_stamps_expire_like_lots(clocked, tenant):
    # Given stamps that expire 30 days after they are earned, and a member with 2 of them
    gql = clocked.gql
    await set_card(gql, tenant, expiry={"after": 30, "unit": "DAYS"})
    member_id = await enroll(gql, tenant)
    for i in (1, 2):
        await earn(gql, tenant, ten_dollars(f"o-{i}", member_id))

    # When 31 days pass and the worker runs
    clocked.clock.advance(timedelta(days=31))
    registered = await clocked.services.registry.get(UUID(tenant.id))
    assert registered is not None
    await run_jobs(
        PgUnitOfWorkFactory(clocked.services.pool, registered.schema_name),
        clocked.services.balances.for_tenant(registered.id),
        clocked.clock,
    )

    # Then the stamps expired (the points, which never expire, stay)
    assert await card_of(clocked, tenant, member_id) == (0, 0, 20)
    data = await gql(HISTORY, {"id": member_id}, token=tenant.secret_key)
    assert data["member"]["stamps"]["history"]["nodes"][0]["kind"] == "EXPIRE"
    await assert_ledger_matches_balances(clocked.services, tenant)


async def test_a_visit_action_stamps_the_card_once_per_key(clocked, tenant):
    # Given a check-in action worth 5 points and a stamp
    gql = clocked.gql
    await configure(gql, tenant, actions=[{"key": "check_in", "points": 5}])
    await set_card(gql, tenant, rules=[{"id": "visit", "stamps": 1, "action": "check_in"}])
    member_id = await enroll(gql, tenant)
    body = {"memberId": member_id, "action": "check_in", "idempotencyKey": "visit-1"}

    # When the same check-in is sent twice with one key
    first = (await gql(RECORD_ACTION, {"input": body}, token=tenant.secret_key))["recordAction"]
    again = (await gql(RECORD_ACTION, {"input": body}, token=tenant.secret_key))["recordAction"]

    # Then one stamp was earned, with the action's points
    assert (first["errors"], first["replayed"], again["replayed"]) == ([], False, True)
    assert await card_of(clocked, tenant, member_id) == (1, 0, 5)
    await assert_ledger_matches_balances(clocked.services, tenant)


async def test_generic_clients_read_stamps_as_a_wallet(clocked, tenant):
    # Given a member with one stamp
    gql = clocked.gql
    await set_card(gql, tenant)
    member_id = await enroll(gql, tenant)
    await earn(gql, tenant, ten_dollars("o-1", member_id))

    # When a client that knows only wallets reads points(wallet: "stamps")
    data = await gql(WALLET, {"id": member_id}, token=tenant.secret_key)

    # Then it reads the same stamps
    assert data["member"]["points"] == {"wallet": "stamps", "available": 1}


async def test_without_a_card_stamps_are_null_and_cannot_be_given(clocked, tenant):
    # Given a program without a stamp card
    gql = clocked.gql
    member_id = await enroll(gql, tenant)

    # When stamps are read and given by hand
    found = await stamps_of(gql, tenant, member_id)
    adjusted = await gql(
        ADJUST,
        {"input": {"memberId": member_id, "points": 1, "wallet": "stamps"}},
        token=tenant.secret_key,
    )

    # Then there is no card, and the stamps wallet is refused
    assert found["stamps"] is None
    errors = adjusted["adjustPoints"]["errors"]
    assert [(e["code"], e["field"]) for e in errors] == [("INVALID", ["input", "wallet"])]
    rows = await fetch(clocked.services, tenant, "SELECT count(*) AS n FROM balances")
    assert rows == [{"n": 0}]


async def test_an_enabled_card_needs_a_reward(clocked, tenant):
    # When an enabled card is configured without a reward
    payload = await configure_card(
        clocked.gql,
        tenant,
        enabled=True,
        cardSize=3,
        rules=[{"id": "visit", "stamps": 1}],
    )

    # Then it is refused on the field at fault
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [
        ("INVALID", ["input", "rewardPoints"])
    ]


async def test_the_app_shows_the_member_their_card(clocked, tenant):
    # Given stamps that expire after 10 days, and a member with 2 of 3 stamps
    gql = clocked.gql
    await set_card(gql, tenant, expiry={"after": 10, "unit": "DAYS"})
    member_id = await enroll(gql, tenant)
    for i in (1, 2):
        await earn(gql, tenant, ten_dollars(f"o-{i}", member_id))
    token = await member_token(gql, tenant, member_id)

    # When the app sends its MemberStamps document with the member's token
    data = await gql(MEMBER_STAMPS, {"withinDays": 30, "first": 5}, token=token)

    # Then it shows the card, the stamps about to expire and the stamps' entries
    stamps = data["me"]["stamps"]
    assert (stamps["collected"], stamps["cardSize"], stamps["progress"]) == (2, 3, 2 / 3)
    assert [x["points"] for x in stamps["expiring"]] == [2]
    history = stamps["history"]["nodes"]
    assert [(x["kind"], x["points"], x["orderId"]) for x in history] == [
        ("EARN", 1, "o-2"),
        ("EARN", 1, "o-1"),
    ]


async def test_a_partial_change_of_the_card_keeps_what_it_leaves_out(clocked, tenant):
    # Given a card of 3 stamps worth 50 points
    gql = clocked.gql
    await set_card(gql, tenant)
    reward_id = await make_reward(gql, tenant, name="Free coffee")

    # When only the size changes, then the reward becomes a catalog reward
    sized = await configure_card(gql, tenant, cardSize=5)
    rewarded = await configure_card(gql, tenant, rewardId=reward_id)

    # Then each change kept the rest, and the program shows the card as last saved
    assert sized["stampCard"]["rules"] == [{"id": "visit", "stamps": 1, "action": None}]
    assert (sized["stampCard"]["cardSize"], sized["stampCard"]["rewardPoints"]) == (5, 50)
    assert rewarded["programVersion"] == sized["programVersion"] + 1
    data = await gql(PROGRAM_CARD, token=tenant.publishable_key)
    assert data["program"]["stampCard"] == {
        "enabled": True,
        "cardSize": 5,
        "rewardPoints": None,
        "reward": {"id": reward_id},
        "resets": True,
    }


async def test_a_card_reward_must_have_a_fixed_points_cost(clocked, tenant):
    # Given a store credit of variable cost
    gql = clocked.gql
    credit = await make_reward(
        gql,
        tenant,
        name="Credit",
        kind="STORE_CREDIT",
        value=None,
        pointsCost=None,
        minPoints=100,
        maxPoints=1000,
        stepPoints=50,
        valuePerStep=25,
    )

    # When a card is set to complete into it
    payload = await configure_card(
        gql, tenant, enabled=True, rules=[{"id": "visit", "stamps": 1}], rewardId=credit
    )

    # Then it is refused on rewardId: a card pays for its reward with a fixed cost
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [
        ("INVALID", ["input", "rewardId"])
    ]


STAMPED_ORDER = """
mutation Order($input: RecordOrderInput!) {
  recordOrder(input: $input) {
    stampsDelta
    stamps { collected cardsCompleted available }
    points { available }
    errors { code }
  }
}
"""
STAMPED_ACTION = """
mutation Action($input: RecordActionInput!) {
  recordAction(input: $input) {
    stampsDelta
    stamps { collected cardsCompleted }
    replayed
    errors { code }
  }
}
"""


async def test_the_order_payload_shows_the_stamps_it_earned_and_the_card_after_it(clocked, tenant):
    # Given a card of 3 stamps worth 50 points and a member with two stamps
    gql = clocked.gql
    await set_card(gql, tenant)
    member_id = await enroll(gql, tenant)
    for i in (1, 2):
        await earn(gql, tenant, ten_dollars(f"o-{i}", member_id))

    # When the third $10 order is recorded, then sent again
    body = {"input": ten_dollars("o-3", member_id)}
    first = (await gql(STAMPED_ORDER, body, token=tenant.secret_key))["recordOrder"]
    again = (await gql(STAMPED_ORDER, body, token=tenant.secret_key))["recordOrder"]

    # Then the first payload shows its stamp and the completed card, the replay no new stamp
    assert first == {
        "stampsDelta": 1,
        "stamps": {"collected": 0, "cardsCompleted": 1, "available": 0},
        "points": {"available": 80},
        "errors": [],
    }
    assert (again["stampsDelta"], again["stamps"]["cardsCompleted"]) == (0, 1)


async def test_a_guest_order_and_a_program_without_a_card_show_no_stamps(clocked, tenant):
    # Given a program with no stamp card and a member
    gql = clocked.gql
    member_id = await enroll(gql, tenant)

    # When the member and a guest place orders
    mine = await gql(
        STAMPED_ORDER, {"input": ten_dollars("m-1", member_id)}, token=tenant.secret_key
    )
    guest = order("g-1", None, ("cup", 1, 1000))
    theirs = await gql(STAMPED_ORDER, {"input": guest}, token=tenant.secret_key)

    # Then neither payload holds stamps
    for payload in (mine["recordOrder"], theirs["recordOrder"]):
        assert (payload["errors"], payload["stampsDelta"], payload["stamps"]) == ([], 0, None)


async def test_the_action_payload_shows_the_stamp_it_earned(clocked, tenant):
    # Given a check-in action that stamps the card
    gql = clocked.gql
    await configure(gql, tenant, actions=[{"key": "check_in", "points": 5}])
    await set_card(gql, tenant, rules=[{"id": "visit", "stamps": 1, "action": "check_in"}])
    member_id = await enroll(gql, tenant)
    body = {"memberId": member_id, "action": "check_in", "idempotencyKey": "visit-9"}

    # When the check-in is recorded, then replayed
    first = (await gql(STAMPED_ACTION, {"input": body}, token=tenant.secret_key))["recordAction"]
    again = (await gql(STAMPED_ACTION, {"input": body}, token=tenant.secret_key))["recordAction"]

    # Then the first shows one stamp on the card, the replay none moved
    assert first == {
        "stampsDelta": 1,
        "stamps": {"collected": 1, "cardsCompleted": 0},
        "replayed": False,
        "errors": [],
    }
    assert (again["replayed"], again["stampsDelta"], again["stamps"]["collected"]) == (True, 0, 1)


PAGE_OF_CARDS = """
query { members(first: 50) { edges { node { id stamps { collected cardsCompleted available } } } } }
"""
ONE_CARD = "query($id: ID!) { member(id: $id) { stamps { collected cardsCompleted available } } }"


async def test_a_page_of_members_reads_their_stamp_cards_in_one_batch(clocked, tenant):
    # Given four members holding 0, 1, 2 and 4 stamps on a card of 3
    gql = clocked.gql
    await set_card(gql, tenant)
    members = [await enroll(gql, tenant) for _ in range(4)]
    for n, member_id in zip((0, 1, 2, 4), members, strict=True):
        for i in range(n):
            await earn(gql, tenant, ten_dollars(f"{member_id}-{i}", member_id))

    # When a page of members asks for each one's card
    with counting(pytest.MonkeyPatch()) as seen:
        page = await gql(PAGE_OF_CARDS, token=tenant.secret_key)

    # Then the completed cards were counted once for the page, never member by member
    assert seen.reads["PgLedgerRepository.count_entries_of"] == 1
    assert seen.reads["PgLedgerRepository.count_entries"] == 0
    assert seen.reads["PgLedgerRepository.read_balance"] == 0

    # And each card is what reading that member alone answers
    cards = {e["node"]["id"]: e["node"]["stamps"] for e in page["members"]["edges"]}
    for member_id in members:
        alone = await gql(ONE_CARD, {"id": member_id}, token=tenant.secret_key)
        assert cards[member_id] == alone["member"]["stamps"]
    assert cards[members[3]] == {"collected": 1, "cardsCompleted": 1, "available": 1}
