"""Lists of orders: a member's purchase history (`member { orders }`, `me { orders }`) and the
store's reconciliation (`orders(filter:)`), newest placed first, a keyset page at a time,
each order with its lines, what it earned and its refunds; a page of members reads every
member's orders in one statement."""

from __future__ import annotations

import base64
from datetime import timedelta
from pathlib import Path

import pytest

from persistence.repositories.orders import PgOrderRepository
from tests.conftest import CLOCK_START
from tests.support.gql import GraphQLClient, TenantKit
from tests.support.rewards import member_token
from tests.support.round_trips import counting

OPERATIONS = Path(__file__).resolve().parents[2] / "graphql" / "operations"
ORDERS = (OPERATIONS / "storefront" / "Orders.graphql").read_text()
MY_ORDERS = (OPERATIONS / "mobile" / "MyOrders.graphql").read_text()
MEMBER_ORDERS = (OPERATIONS / "agency" / "MemberOrders.graphql").read_text()
RECORD = """
mutation Record($input: RecordOrderInput!) {
  recordOrder(input: $input) { order { orderId } errors { code field message } }
}
"""
REFUND = """
mutation Refund($input: RefundOrderInput!) {
  refundOrder(input: $input) { reversedPoints errors { code field message } }
}
"""
PAGE_OF_MEMBERS = """
query Page($first: Int!) {
  members(first: 50) { nodes { id orders(first: $first) {
    pageInfo { hasNextPage endCursor } nodes { orderId points refunds { refundId } } } } }
}
"""
ONE_MEMBER = """
query One($id: ID!, $first: Int!) {
  member(id: $id) { id orders(first: $first) {
    pageInfo { hasNextPage endCursor } nodes { orderId points refunds { refundId } } } }
}
"""


async def _record(
    gql: GraphQLClient,
    kit: TenantKit,
    order_id: str,
    *,
    hours: int,
    member_id: str | None = None,
    guest_id: str | None = None,
    price: int = 1000,
) -> None:
    order: dict = {
        "orderId": order_id,
        "currency": "USD",
        "placedAt": (CLOCK_START + timedelta(hours=hours)).isoformat(),
        "lines": [{"sku": "tee", "quantity": 2, "unitPrice": price, "category": "apparel"}],
        "shipping": 300,
        "tax": 150,
    }
    if member_id is not None:
        order["memberId"] = member_id
    if guest_id is not None:
        order["guestId"] = guest_id
    data = await gql(RECORD, {"input": order}, token=kit.secret_key)
    assert data["recordOrder"]["errors"] == [], data


async def _refund(gql: GraphQLClient, kit: TenantKit, order_id: str, refund_id: str, amount: int):
    data = await gql(
        REFUND,
        {"input": {"orderId": order_id, "refundId": refund_id, "amount": amount}},
        token=kit.secret_key,
    )
    assert data["refundOrder"]["errors"] == [], data


async def _all_pages(
    gql: GraphQLClient, kit: TenantKit, first: int, filter: dict | None = None
) -> list[list[str]]:
    pages: list[list[str]] = []
    after = None
    while True:
        data = await gql(
            ORDERS, {"first": first, "after": after, "filter": filter}, token=kit.secret_key
        )
        page = data["orders"]
        pages.append([e["node"]["orderId"] for e in page["edges"]])
        if not page["pageInfo"]["hasNextPage"]:
            return pages
        after = page["pageInfo"]["endCursor"]


async def test_a_members_history_lists_its_orders_newest_first_with_lines_and_refunds(
    gql, tenant, enroll
):
    # given a member with three orders (recorded out of the order they were placed in), one
    # refunded in part and one in full, and another member's order
    ann = await enroll(tenant, "ann")
    bob = await enroll(tenant, "bob")
    await _record(gql, tenant, "o-2", hours=2, member_id=ann)
    await _record(gql, tenant, "o-1", hours=1, member_id=ann)
    await _record(gql, tenant, "o-3", hours=3, member_id=ann, price=500)
    await _record(gql, tenant, "o-bob", hours=4, member_id=bob)
    await _refund(gql, tenant, "o-2", "r-1", 500)
    await _refund(gql, tenant, "o-2", "r-2", 300)
    await _refund(gql, tenant, "o-3", "r-3", 1000)

    # when the member's app reads its orders two at a time
    token = await member_token(gql, tenant, ann)
    first = (await gql(MY_ORDERS, {"first": 2}, token=token))["me"]["orders"]
    cursor = first["pageInfo"]["endCursor"]
    second = (await gql(MY_ORDERS, {"first": 2, "after": cursor}, token=token))["me"]["orders"]

    # then they come newest placed first, each once, the other member's not at all
    assert [o["orderId"] for o in first["nodes"]] == ["o-3", "o-2"]
    assert first["pageInfo"]["hasNextPage"] is True
    assert [o["orderId"] for o in second["nodes"]] == ["o-1"]
    assert second["pageInfo"]["hasNextPage"] is False
    o3, o2 = first["nodes"]
    # with what was paid (lines, not shipping or tax), refunded and earned, and the refunds
    assert (o3["status"], o3["paid"], o3["refunded"], o3["points"]) == (
        "REFUNDED",
        "1000",
        "1000",
        0,
    )
    assert o3["lines"] == [
        {
            "__typename": "OrderLine",
            "sku": "tee",
            "quantity": 2,
            "unitPrice": "500",
            "total": "1000",
        }
    ]
    assert (o2["status"], o2["paid"], o2["refunded"]) == ("PARTIALLY_REFUNDED", "2000", "800")
    assert [(r["refundId"], r["amount"], r["points"]) for r in o2["refunds"]] == [
        ("r-1", "500", 5),
        ("r-2", "300", 3),
    ]
    assert o2["points"] == 20 - 8
    assert second["nodes"][0]["status"] == "PAID"
    assert second["nodes"][0]["refunds"] == []

    # and the store's operator reads the same history on the member's page
    operator = await gql(
        MEMBER_ORDERS, {"id": ann, "first": 10}, token=tenant.operator_token, tenant=tenant.slug
    )
    assert [o["orderId"] for o in operator["member"]["orders"]["nodes"]] == ["o-3", "o-2", "o-1"]


async def test_the_store_filters_orders_by_member_guest_status_and_time(gql, tenant, enroll):
    # given orders of two members and of a guest, over six hours, some refunded
    ann = await enroll(tenant, "ann")
    bob = await enroll(tenant, "bob")
    await _record(gql, tenant, "a-1", hours=0, member_id=ann)
    await _record(gql, tenant, "b-1", hours=1, member_id=bob)
    await _record(gql, tenant, "g-1", hours=2, guest_id="guest-7")
    await _record(gql, tenant, "a-2", hours=3, member_id=ann)
    await _record(gql, tenant, "g-2", hours=4)
    await _record(gql, tenant, "a-3", hours=5, member_id=ann)
    await _refund(gql, tenant, "a-2", "r-1", 2000)
    await _refund(gql, tenant, "b-1", "r-2", 100)

    async def ids(filter: dict) -> list[str]:
        pages = await _all_pages(gql, tenant, 50, filter)
        return [x for page in pages for x in page]

    # then each filter keeps exactly its orders, newest placed first
    assert await ids({}) == ["a-3", "g-2", "a-2", "g-1", "b-1", "a-1"]
    assert await ids({"memberId": ann}) == ["a-3", "a-2", "a-1"]
    assert await ids({"externalId": " bob "}) == ["b-1"]
    assert await ids({"externalId": "nobody"}) == []
    assert await ids({"guestId": "guest-7"}) == ["g-1"]
    assert await ids({"status": "REFUNDED"}) == ["a-2"]
    assert await ids({"status": "PARTIALLY_REFUNDED"}) == ["b-1"]
    assert await ids({"status": "PAID"}) == ["a-3", "g-2", "g-1", "a-1"]
    at = CLOCK_START.isoformat()
    two_hours = (CLOCK_START + timedelta(hours=2)).isoformat()
    five_hours = (CLOCK_START + timedelta(hours=5)).isoformat()
    assert await ids({"from": two_hours, "to": five_hours}) == ["g-2", "a-2", "g-1"]
    assert await ids({"memberId": ann, "from": at, "to": five_hours}) == ["a-2", "a-1"]

    # and a guest order names no member, a member's order its member
    data = await gql(ORDERS, {"first": 2}, token=tenant.secret_key)
    nodes = [e["node"] for e in data["orders"]["edges"]]
    assert nodes[0]["member"]["id"] == ann
    assert nodes[1]["member"] is None
    assert (nodes[1]["shipping"], nodes[1]["tax"], nodes[1]["subtotal"]) == ("300", "150", "2000")


async def test_pages_cover_orders_placed_at_the_same_time_once_each(gql, tenant, enroll):
    # given seven orders, four of them placed at the same moment
    member = await enroll(tenant)
    for n in range(4):
        await _record(gql, tenant, f"same-{n}", hours=1, member_id=member)
    for n in range(3):
        await _record(gql, tenant, f"other-{n}", hours=n * 2, member_id=member)

    # when they are read two, then three at a time, as the store and as the member's page
    by_two = await _all_pages(gql, tenant, 2)
    by_three = await _all_pages(gql, tenant, 3, {"memberId": member})

    # then every order comes exactly once, in the same order, ties the later recorded first
    expected = ["other-2", "other-1", "same-3", "same-2", "same-1", "same-0", "other-0"]
    assert [x for page in by_two for x in page] == expected
    assert [len(page) for page in by_two] == [2, 2, 2, 1]
    assert [x for page in by_three for x in page] == expected


async def test_a_page_of_members_reads_their_orders_in_one_statement(gql, tenant, enroll):
    # given members with orders and refunds, and one without any
    members = [await enroll(tenant) for _ in range(4)]
    for n, member in enumerate(members[:3]):
        for k in range(n + 1):
            await _record(gql, tenant, f"m{n}-{k}", hours=k, member_id=member)
    await _refund(gql, tenant, "m2-2", "r-1", 700)

    # when the page asks for every member's latest two orders
    with counting(pytest.MonkeyPatch()) as seen, pytest.MonkeyPatch.context() as mp:
        calls: list[int] = []
        original = PgOrderRepository.pages_of_members

        async def counted(self, member_ids, after, limit):
            calls.append(len(member_ids))
            return await original(self, member_ids, after, limit)

        mp.setattr(PgOrderRepository, "pages_of_members", counted)
        page = (await gql(PAGE_OF_MEMBERS, {"first": 2}, token=tenant.secret_key))["members"]

    # then the orders of all four were read by one statement in one more unit of work
    assert calls == [4]
    assert seen.units_of_work == 2  # the members, and their orders with the refunds
    # and each member's answer is what asking for it alone answers
    alone = [
        (await gql(ONE_MEMBER, {"id": m, "first": 2}, token=tenant.secret_key))["member"]
        for m in members
    ]
    assert page["nodes"] == alone
    assert [[o["orderId"] for o in n["orders"]["nodes"]] for n in page["nodes"]] == [
        ["m0-0"],
        ["m1-1", "m1-0"],
        ["m2-2", "m2-1"],
        [],
    ]
    assert [n["orders"]["pageInfo"]["hasNextPage"] for n in page["nodes"]] == [
        False,
        False,
        True,
        False,
    ]
    assert page["nodes"][2]["orders"]["nodes"][0]["refunds"] == [{"refundId": "r-1"}]


async def test_only_keys_and_operators_list_the_stores_orders(gql, tenant, enroll):
    # given a member with an order
    member = await enroll(tenant)
    await _record(gql, tenant, "o-1", hours=0, member_id=member)
    token = await member_token(gql, tenant, member)

    # when the publishable key and the member token ask for the store's orders
    public = await gql.errors(ORDERS, {"first": 5}, token=tenant.publishable_key)
    shopper = await gql.errors(ORDERS, {"first": 5}, token=token)

    # then both are refused; the secret key and the operator are not
    assert [e["extensions"]["code"] for e in public + shopper] == ["FORBIDDEN", "FORBIDDEN"]
    for kwargs in (
        {"token": tenant.secret_key},
        {"token": tenant.operator_token, "tenant": tenant.slug},
    ):
        data = await gql(ORDERS, {"first": 5}, **kwargs)
        assert [e["node"]["orderId"] for e in data["orders"]["edges"]] == ["o-1"]


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "variables, field",
    [
        pytest.param({"after": "garbage!"}, ["after"], id="garbage-cursor"),
        pytest.param({"after": _b64("k:5")}, ["after"], id="a-members-cursor"),
        pytest.param({"after": _b64("o:abc:1")}, ["after"], id="not-a-time"),
        pytest.param({"after": _b64("o:" + "9" * 19 + ":1")}, ["after"], id="out-of-range"),
        pytest.param({"first": 0}, ["first"], id="first-zero"),
        pytest.param({"first": 101}, ["first"], id="first-above-maximum"),
        pytest.param(
            {"filter": {"from": "2026-03-02T00:00:00Z", "to": "2026-03-01T00:00:00Z"}},
            ["filter", "to"],
            id="to-before-from",
        ),
        pytest.param({"filter": {"guestId": "  "}}, ["filter", "guestId"], id="blank-guest"),
    ],
)
async def test_bad_list_arguments_are_refused_with_a_typed_error(gql, tenant, variables, field):
    errors = await gql.errors(ORDERS, {"first": 5} | variables, token=tenant.secret_key)

    assert [(e["extensions"]["code"], e["extensions"]["field"]) for e in errors] == [
        ("INVALID", field)
    ]


async def test_the_stores_page_reads_the_orders_members_with_the_page(gql, tenant, enroll):
    # given five orders of three members and a guest
    members = [await enroll(tenant, f"cust-{n}") for n in range(3)]
    for n in range(5):
        member = members[n % 3] if n < 4 else None
        await _record(gql, tenant, f"o-{n}", hours=n, member_id=member, guest_id=None)

    # when the store reads the page with each order's member
    with counting(pytest.MonkeyPatch()) as seen:
        data = await gql(ORDERS, {"first": 10}, token=tenant.secret_key)

    # then the orders, their refunds and their members are one unit of work
    assert seen.units_of_work == 1
    owners = [
        e["node"]["member"]["externalId"] if e["node"]["member"] else None
        for e in data["orders"]["edges"]
    ]
    assert owners == [None, "cust-0", "cust-2", "cust-1", "cust-0"]
