"""Given bad input, when it reaches the API, then it is refused with a typed user error or a
GraphQL error: never an HTTP 500 and never a partial write (the tenant's members, balances
and ledger histories read the same before and after)."""

from __future__ import annotations

import asyncio
import base64
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.conftest import ADJUST, ENROLL
from tests.support.gql import GraphQLClient, TenantKit
from tests.support.ledger_checks import assert_ledger_matches_balances

TENANT_STATE = """
query TenantState {
  members(first: 100) {
    nodes {
      id externalId email name birthday status
      points { available pending lifetime }
      history(first: 100) { nodes { id kind points reason } }
    }
  }
}
"""

MEMBER = """
query Member($id: ID, $externalId: String) { member(id: $id, externalId: $externalId) { id } }
"""

NODE = """
query Node($id: ID!) { node(id: $id) { id } }
"""

MEMBERS_PAGE = """
query MembersPage($first: Int, $after: String) {
  members(first: $first, after: $after) {
    nodes { id }
    pageInfo { hasNextPage endCursor }
  }
}
"""

HISTORY_PAGE = """
query HistoryPage($id: ID!, $first: Int, $after: String, $wallet: String) {
  member(id: $id) {
    history(first: $first, after: $after, wallet: $wallet) {
      nodes { id }
      pageInfo { hasNextPage endCursor }
    }
  }
}
"""

POINTS_IN_WALLET = """
query PointsInWallet($id: ID!, $wallet: String) {
  member(id: $id) { points(wallet: $wallet) { wallet available } }
}
"""

UPDATE_MEMBER = """
mutation UpdateMember($input: UpdateMemberInput!) {
  updateMember(input: $input) { member { id email birthday } errors { code field message } }
}
"""

ADJUST_LITERAL = """
mutation AdjustLiteral($memberId: ID!) {
  adjustPoints(input: {memberId: $memberId, points: %s}) { entry { id } errors { code } }
}
"""


# --- helpers --------------------------------------------------------------------------------


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


async def _state(gql: GraphQLClient, kit: TenantKit) -> list[dict[str, Any]]:
    nodes: list[dict[str, Any]] = (await gql(TENANT_STATE, token=kit.secret_key))["members"][
        "nodes"
    ]
    return nodes


def _user_errors(payload: dict[str, Any]) -> list[tuple[str, list[str] | None]]:
    return [(e["code"], e["field"]) for e in payload["errors"]]


@pytest.fixture(scope="module")
async def refusing_shop(gql, make_tenant) -> tuple[TenantKit, str]:
    """One tenant with a member holding 100 points, shared by the tests that must not write."""
    kit = await make_tenant()
    enrolled = await gql(
        ENROLL, {"input": {"externalId": "shopper-" + uuid.uuid4().hex[:8]}}, token=kit.secret_key
    )
    member_id: str = enrolled["enrollMember"]["member"]["id"]
    adjusted = await gql(
        ADJUST, {"input": {"memberId": member_id, "points": 100}}, token=kit.secret_key
    )
    assert adjusted["adjustPoints"]["errors"] == []
    return kit, member_id


@pytest.fixture
async def shop(gql, refusing_shop) -> tuple[TenantKit, str, list[dict[str, Any]]]:
    """The shared tenant, its member, and the tenant's state as read before this test."""
    kit, member_id = refusing_shop
    return kit, member_id, await _state(gql, kit)


# --- point amounts --------------------------------------------------------------------------


@pytest.mark.parametrize("points", [0, 10_000_001, -10_000_001, 2_000_000_000, -2_000_000_000])
async def test_zero_and_huge_amounts_are_typed_errors_and_write_nothing(
    gql, shop, services, points
):
    # given a member with 100 points
    kit, member_id, before = shop

    # when an amount that is zero or beyond the limit is adjusted
    payload = (
        await gql(
            ADJUST, {"input": {"memberId": member_id, "points": points}}, token=kit.secret_key
        )
    )["adjustPoints"]

    # then a typed error names the field, and nothing was written
    assert payload["entry"] is None
    assert payload["points"] is None
    assert _user_errors(payload) == [("INVALID_AMOUNT", ["input", "points"])]
    assert await _state(gql, kit) == before
    await assert_ledger_matches_balances(services, kit)


async def test_the_largest_allowed_amount_is_accepted(gql, tenant, enroll):
    # given a member with 100 points (the control for the refusals above)
    kit, member_id = tenant, await enroll(tenant, points=100)

    # when exactly the limit is added
    payload = (
        await gql(
            ADJUST, {"input": {"memberId": member_id, "points": 10_000_000}}, token=kit.secret_key
        )
    )["adjustPoints"]

    # then it is
    assert payload["errors"] == []
    assert payload["points"]["available"] == 10_000_100


@pytest.mark.parametrize(
    "points",
    [1.5, "10", "ten", None, True, 2**31, -(2**31) - 1, 10**30, [10], {"value": 10}],
    ids=repr,
)
async def test_non_integer_amounts_are_graphql_errors_and_write_nothing(gql, shop, points):
    # given a member with 100 points
    kit, member_id, before = shop

    # when the amount is not a 32-bit integer
    errors = await gql.errors(
        ADJUST, {"input": {"memberId": member_id, "points": points}}, token=kit.secret_key
    )

    # then GraphQL refuses the variable, and nothing was written
    assert "points" in errors[0]["message"]
    assert await _state(gql, kit) == before


@pytest.mark.parametrize("literal", ["1.5", '"10"', "null", "2147483648", "ten"])
async def test_non_integer_literal_amounts_are_graphql_errors(gql, shop, literal):
    # given a member with 100 points
    kit, member_id, before = shop

    # when the amount written into the document is not an integer
    errors = await gql.errors(
        ADJUST_LITERAL % literal, {"memberId": member_id}, token=kit.secret_key
    )

    # then the document is refused, and nothing was written
    assert errors
    assert await _state(gql, kit) == before


# --- global ids -----------------------------------------------------------------------------

MALFORMED_IDS = [
    pytest.param("!!!", id="not-base64"),
    pytest.param("", id="empty"),
    pytest.param("Zm9v", id="no-type-separator"),
    pytest.param("é€漢", id="non-ascii"),
    pytest.param(_b64("Member:"), id="member-without-id"),
    pytest.param(_b64(":" + str(uuid.uuid4())), id="no-type-name"),
    pytest.param(_b64("Member:not-a-uuid"), id="member-with-bad-uuid"),
    pytest.param(_b64("LedgerEntry:1"), id="ledger-entry-id"),
    pytest.param(_b64("ApiKey:" + str(uuid.uuid4())), id="api-key-id"),
    pytest.param(_b64("Tenant:" + str(uuid.uuid4())), id="tenant-id"),
    pytest.param(base64.b64encode(b"\xff\xfe:\x00").decode(), id="not-utf8"),
]


@pytest.mark.parametrize("bad_id", MALFORMED_IDS)
async def test_adjusting_a_malformed_or_wrong_type_id_is_a_typed_error(gql, shop, bad_id):
    # given a tenant with a member
    kit, _, before = shop

    # when points are adjusted for an id that is not a Member id
    payload = (
        await gql(ADJUST, {"input": {"memberId": bad_id, "points": 10}}, token=kit.secret_key)
    )["adjustPoints"]

    # then the id is refused as invalid, and nothing was written
    assert payload["entry"] is None
    assert _user_errors(payload) == [("INVALID_ID", ["input", "memberId"])]
    assert await _state(gql, kit) == before


async def test_adjusting_a_member_that_does_not_exist_is_not_found(gql, shop):
    # given a well-formed Member id nobody has
    kit, _, before = shop
    ghost = _b64(f"Member:{uuid.uuid4()}")

    # when points are adjusted for it
    payload = (
        await gql(ADJUST, {"input": {"memberId": ghost, "points": 10}}, token=kit.secret_key)
    )["adjustPoints"]

    # then it is not found, and nothing was written
    assert _user_errors(payload) == [("NOT_FOUND", ["input", "memberId"])]
    assert await _state(gql, kit) == before


@pytest.mark.parametrize(
    "bad_id",
    [
        *MALFORMED_IDS[:7],
        pytest.param(_b64("Ghost:1"), id="unknown-type"),
        pytest.param(_b64("LedgerEntry:abc"), id="ledger-entry-not-a-number"),
        pytest.param(_b64("LedgerEntry:-1"), id="ledger-entry-negative"),
        pytest.param(_b64("LedgerEntry:²"), id="ledger-entry-superscript-digit"),
        pytest.param(_b64("LedgerEntry:" + "9" * 40), id="ledger-entry-huge"),
    ],
)
async def test_node_with_a_malformed_id_is_an_invalid_id_error(gql, shop, bad_id):
    # given a tenant with a member
    kit, _, _ = shop

    # when node(id:) is asked for a malformed id
    errors = await gql.errors(NODE, {"id": bad_id}, token=kit.secret_key)

    # then the error says the id is invalid (and is not an internal error)
    assert [e["extensions"]["code"] for e in errors] == ["INVALID_ID"]
    assert errors[0]["extensions"]["field"] == ["id"]


async def test_node_and_member_of_a_well_formed_unknown_id_are_null(gql, shop):
    # given ids of the right shape that name nothing
    kit, _, _ = shop
    ghost_member = _b64(f"Member:{uuid.uuid4()}")
    ghost_entry = _b64("LedgerEntry:999999999")

    # when they are fetched
    member_node = (await gql(NODE, {"id": ghost_member}, token=kit.secret_key))["node"]
    entry_node = (await gql(NODE, {"id": ghost_entry}, token=kit.secret_key))["node"]
    member = (await gql(MEMBER, {"id": ghost_member}, token=kit.secret_key))["member"]

    # then there is simply nothing, and no error
    assert (member_node, entry_node, member) == (None, None, None)


@pytest.mark.parametrize("bad_id", MALFORMED_IDS[:8])
async def test_member_query_with_a_malformed_id_is_an_invalid_id_error(gql, shop, bad_id):
    kit, _, _ = shop

    errors = await gql.errors(MEMBER, {"id": bad_id}, token=kit.secret_key)

    assert [e["extensions"]["code"] for e in errors] == ["INVALID_ID"]


@pytest.mark.parametrize(
    ("bad_id", "code"),
    [
        pytest.param("!!!", "INVALID_ID", id="garbage"),
        pytest.param(_b64("LedgerEntry:1"), "INVALID_ID", id="other-type"),
        pytest.param(_b64(f"Member:{uuid.uuid4()}"), "NOT_FOUND", id="unknown-member"),
    ],
)
async def test_updating_a_bad_member_id_is_a_typed_error_and_writes_nothing(
    gql, shop, bad_id, code
):
    kit, _, before = shop

    payload = (
        await gql(UPDATE_MEMBER, {"input": {"id": bad_id, "name": "Nobody"}}, token=kit.secret_key)
    )["updateMember"]

    assert payload["member"] is None
    assert _user_errors(payload) == [(code, ["input", "id"])]
    assert await _state(gql, kit) == before


# --- cursors and page sizes -----------------------------------------------------------------

MALFORMED_CURSORS = [
    pytest.param("not a cursor!", id="garbage"),
    pytest.param("", id="empty"),
    pytest.param(_b64("k:abc"), id="not-a-number"),
    pytest.param(_b64("k:-1"), id="negative"),
    pytest.param(_b64("k:²"), id="superscript-digit"),
    pytest.param(_b64("x:5"), id="wrong-tag"),
    pytest.param(_b64("k:" + "9" * 19), id="too-long"),
    pytest.param(base64.b64encode(b"\xff\xfe").decode(), id="not-utf8"),
    pytest.param(_b64("Member:" + str(uuid.uuid4())), id="a-global-id"),
]


@pytest.mark.parametrize("cursor", MALFORMED_CURSORS)
async def test_a_malformed_members_cursor_is_refused(gql, shop, cursor):
    kit, _, _ = shop

    errors = await gql.errors(MEMBERS_PAGE, {"first": 10, "after": cursor}, token=kit.secret_key)

    assert [(e["extensions"]["code"], e["extensions"]["field"]) for e in errors] == [
        ("INVALID", ["after"])
    ]


@pytest.mark.parametrize("cursor", MALFORMED_CURSORS)
async def test_a_malformed_history_cursor_is_refused(gql, shop, cursor):
    kit, member_id, _ = shop

    errors = await gql.errors(
        HISTORY_PAGE, {"id": member_id, "first": 10, "after": cursor}, token=kit.secret_key
    )

    assert [(e["extensions"]["code"], e["extensions"]["field"]) for e in errors] == [
        ("INVALID", ["after"])
    ]


async def test_a_cursor_the_api_gave_out_pages_forward(gql, tenant, enroll):
    # given three members (the control for the malformed cursors above)
    ids = [await enroll(tenant) for _ in range(3)]

    # when they are read two at a time
    first = (await gql(MEMBERS_PAGE, {"first": 2}, token=tenant.secret_key))["members"]
    second = (
        await gql(
            MEMBERS_PAGE,
            {"first": 2, "after": first["pageInfo"]["endCursor"]},
            token=tenant.secret_key,
        )
    )["members"]

    # then every member comes once, in enrolment order
    assert [n["id"] for n in first["nodes"]] == ids[:2]
    assert first["pageInfo"]["hasNextPage"] is True
    assert [n["id"] for n in second["nodes"]] == ids[2:]
    assert second["pageInfo"]["hasNextPage"] is False


@pytest.mark.parametrize("size", ["zero", "negative", "above-maximum"])
async def test_page_sizes_outside_the_limits_are_refused(gql, shop, settings, size):
    # given a member with a history
    kit, member_id, _ = shop
    first = {"zero": 0, "negative": -1, "above-maximum": settings.max_page_size + 1}[size]

    # when a page of that size is asked for, of members and of history
    member_errors = await gql.errors(MEMBERS_PAGE, {"first": first}, token=kit.secret_key)
    history_errors = await gql.errors(
        HISTORY_PAGE, {"id": member_id, "first": first}, token=kit.secret_key
    )

    # then both are refused, naming `first`
    for errors in (member_errors, history_errors):
        assert [(e["extensions"]["code"], e["extensions"]["field"]) for e in errors] == [
            ("INVALID", ["first"])
        ]
        assert str(settings.max_page_size) in errors[0]["message"]


async def test_the_maximum_page_size_is_accepted(gql, shop, settings):
    kit, member_id, _ = shop

    members = await gql(MEMBERS_PAGE, {"first": settings.max_page_size}, token=kit.secret_key)
    history = await gql(
        HISTORY_PAGE, {"id": member_id, "first": settings.max_page_size}, token=kit.secret_key
    )

    assert [n["id"] for n in members["members"]["nodes"]] == [member_id]
    assert len(history["member"]["history"]["nodes"]) == 1


# --- enrolment: duplicates, emails, birthdays -----------------------------------------------


async def test_enrolling_a_taken_external_id_is_a_duplicate(gql, shop):
    # given a member
    kit, _, before = shop
    taken = before[0]["externalId"]

    # when another shopper is enrolled with the same externalId (spaces around it)
    payload = (
        await gql(
            ENROLL,
            {"input": {"externalId": f"  {taken} ", "email": "new@example.com"}},
            token=kit.secret_key,
        )
    )["enrollMember"]

    # then it is a duplicate of that field, and no member was added
    assert payload["member"] is None
    assert _user_errors(payload) == [("DUPLICATE", ["input", "externalId"])]
    assert await _state(gql, kit) == before


async def test_enrolling_a_taken_email_is_a_duplicate_whatever_its_case(gql, tenant):
    # given a member with an email
    first = (
        await gql(
            ENROLL,
            {"input": {"externalId": "one", "email": "Ada@Example.com"}},
            token=tenant.secret_key,
        )
    )["enrollMember"]
    assert first["errors"] == []
    assert first["member"]["email"] == "ada@example.com"
    before = await _state(gql, tenant)

    # when another shopper is enrolled with the same email in another case
    payload = (
        await gql(
            ENROLL,
            {"input": {"externalId": "two", "email": " ADA@example.COM "}},
            token=tenant.secret_key,
        )
    )["enrollMember"]

    # then it is a duplicate of the email, and no member was added
    assert payload["member"] is None
    assert _user_errors(payload) == [("DUPLICATE", ["input", "email"])]
    assert await _state(gql, tenant) == before


async def test_changing_a_member_to_a_taken_email_is_a_duplicate(gql, tenant, enroll):
    # given two members, the first with an email
    await gql(
        ENROLL, {"input": {"externalId": "a", "email": "a@example.com"}}, token=tenant.secret_key
    )
    other = await enroll(tenant, external_id="b", points=30)
    before = await _state(gql, tenant)

    # when the second takes the first's email, or externalId
    by_email = (
        await gql(
            UPDATE_MEMBER,
            {"input": {"id": other, "email": "A@example.com"}},
            token=tenant.secret_key,
        )
    )["updateMember"]
    by_external_id = (
        await gql(
            UPDATE_MEMBER, {"input": {"id": other, "externalId": "a"}}, token=tenant.secret_key
        )
    )["updateMember"]

    # then each is a duplicate of its field, and nothing changed
    assert _user_errors(by_email) == [("DUPLICATE", ["input", "email"])]
    assert _user_errors(by_external_id) == [("DUPLICATE", ["input", "externalId"])]
    assert await _state(gql, tenant) == before


@pytest.mark.parametrize("field", ["externalId", "email"])
async def test_twenty_concurrent_enrolments_of_one_shopper_make_one_member(gql, tenant, field):
    # given twenty enrolments racing with the same externalId (or the same email)
    same = uuid.uuid4().hex

    def input_of(i: int) -> dict[str, str]:
        if field == "externalId":
            return {"externalId": same}
        return {"externalId": f"{same}-{i}", "email": f"{same}@example.com"}

    # when they all run at once
    results = await asyncio.gather(
        *(gql(ENROLL, {"input": input_of(i)}, token=tenant.secret_key) for i in range(20))
    )

    # then exactly one member exists, and every other attempt is a duplicate of that field
    payloads = [r["enrollMember"] for r in results]
    enrolled = [p["member"] for p in payloads if not p["errors"]]
    refused = [p for p in payloads if p["errors"]]
    assert len(enrolled) == 1
    assert len(refused) == 19
    assert {tuple(_user_errors(p)[0][1] or []) for p in refused} == {("input", field)}
    assert {_user_errors(p)[0][0] for p in refused} == {"DUPLICATE"}
    assert all(p["member"] is None for p in refused)
    members = await _state(gql, tenant)
    assert [m["id"] for m in members] == [enrolled[0]["id"]]


@pytest.mark.parametrize(
    "email",
    [
        "not-an-email",
        "a@b",
        "a b@example.com",
        "@example.com",
        "someone@",
        "two@@example.com",
        "",
        "   ",
        "x" * 320 + "@example.com",
    ],
)
async def test_a_bad_email_is_refused_on_enrolment_and_on_change(gql, shop, email):
    # given a member
    kit, member_id, before = shop

    # when a shopper is enrolled, or the member changed, with a bad email
    enrolled = (
        await gql(
            ENROLL, {"input": {"externalId": "new-one", "email": email}}, token=kit.secret_key
        )
    )["enrollMember"]
    updated = (
        await gql(UPDATE_MEMBER, {"input": {"id": member_id, "email": email}}, token=kit.secret_key)
    )["updateMember"]

    # then both are refused on the email field, and nothing changed
    assert enrolled["member"] is None
    assert _user_errors(enrolled) == [("INVALID", ["input", "email"])]
    assert updated["member"] is None
    assert _user_errors(updated) == [("INVALID", ["input", "email"])]
    assert await _state(gql, kit) == before


@pytest.mark.parametrize("when", ["tomorrow", "next-year", "before-1900"])
async def test_an_impossible_birthday_is_refused_on_enrolment_and_on_change(gql, shop, when):
    # given a member
    kit, member_id, before = shop
    today = datetime.now(UTC).date()
    birthday = {
        "tomorrow": today + timedelta(days=2),  # two: whatever the server's time zone
        "next-year": today + timedelta(days=366),
        "before-1900": datetime(1899, 12, 31).date(),
    }[when].isoformat()

    # when a shopper is enrolled, or the member changed, with that birthday
    enrolled = (
        await gql(
            ENROLL, {"input": {"externalId": "born", "birthday": birthday}}, token=kit.secret_key
        )
    )["enrollMember"]
    updated = (
        await gql(
            UPDATE_MEMBER, {"input": {"id": member_id, "birthday": birthday}}, token=kit.secret_key
        )
    )["updateMember"]

    # then both are refused on the birthday field, and nothing changed
    assert _user_errors(enrolled) == [("INVALID", ["input", "birthday"])]
    assert _user_errors(updated) == [("INVALID", ["input", "birthday"])]
    assert updated["member"] is None
    assert await _state(gql, kit) == before


@pytest.mark.parametrize("birthday", ["2020-13-45", "yesterday", "1990-02-30", 19900101])
async def test_a_malformed_birthday_is_a_graphql_error(gql, shop, birthday):
    kit, _, before = shop

    errors = await gql.errors(
        ENROLL, {"input": {"externalId": "born", "birthday": birthday}}, token=kit.secret_key
    )

    assert "birthday" in errors[0]["message"]
    assert await _state(gql, kit) == before


async def test_enrolling_without_an_identity_is_required(gql, shop):
    kit, _, before = shop

    payload = (await gql(ENROLL, {"input": {"name": "No Id"}}, token=kit.secret_key))[
        "enrollMember"
    ]

    assert _user_errors(payload) == [("REQUIRED", ["input", "externalId"])]
    assert await _state(gql, kit) == before


# --- wallets --------------------------------------------------------------------------------


@pytest.mark.parametrize("wallet", ["stamps", "POINTS", "", "x" * 1000])
async def test_adjusting_an_unknown_wallet_is_refused_and_writes_nothing(
    gql, shop, services, wallet
):
    # given a member with 100 points in the default wallet
    kit, member_id, before = shop

    # when points are added to a wallet the program does not have
    payload = (
        await gql(
            ADJUST,
            {"input": {"memberId": member_id, "points": 10, "wallet": wallet}},
            token=kit.secret_key,
        )
    )["adjustPoints"]

    # then the wallet is refused, none is created, and nothing was written
    assert payload["entry"] is None
    assert _user_errors(payload) == [("INVALID", ["input", "wallet"])]
    assert await _state(gql, kit) == before
    await assert_ledger_matches_balances(services, kit)


@pytest.mark.parametrize("operation", [POINTS_IN_WALLET, HISTORY_PAGE])
async def test_reading_an_unknown_wallet_is_an_error(gql, shop, operation):
    kit, member_id, _ = shop

    errors = await gql.errors(operation, {"id": member_id, "wallet": "miles"}, token=kit.secret_key)

    assert [(e["extensions"]["code"], e["extensions"]["field"]) for e in errors] == [
        ("INVALID", ["wallet"])
    ]
