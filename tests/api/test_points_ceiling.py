"""Given a member whose points are near 2^31 - 1, the largest number GraphQL's Int carries,
when a change would take available + pending or lifetime past it, then the change is refused
as INVALID_AMOUNT and nothing is written; a member exactly at the limit is answered, alone
and in a page of members (a number past it once nulled the whole page)."""

from __future__ import annotations

import uuid
from typing import Any
from uuid import UUID

import pytest

from api.schema.common.ids import uuid_of
from domain.ledger import MAX_BALANCE
from persistence.balance_cache import balance_key
from tests.conftest import ADJUST
from tests.support.earning import RECORD, configure, fetch, order
from tests.support.gql import GraphQLClient, TenantKit

PAGE = """
query Page { members(first: 10) { nodes { externalId points { available pending lifetime } } } }
"""


async def _near_the_limit(
    services, kit: TenantKit, member_id: str, available: int, lifetime: int
) -> None:
    """Sets the member's balance row straight in the tenant's table (reaching it through
    the API takes hundreds of the largest adjustments) and drops its cached copy."""
    member = uuid_of(member_id, "Member")
    await fetch(
        services,
        kit,
        "UPDATE balances SET available = $2, lifetime = $3, version = version + 1"
        " WHERE member_id = $1 AND wallet = 'points'",
        member,
        available,
        lifetime,
    )
    await services.redis.delete(balance_key(UUID(kit.id), member, "points"))


async def _written(services, kit: TenantKit) -> tuple[list[dict[str, Any]], ...]:
    return (
        await fetch(services, kit, "SELECT available, pending, lifetime FROM balances"),
        await fetch(services, kit, "SELECT id FROM ledger_entries ORDER BY id"),
        await fetch(services, kit, "SELECT order_id FROM orders"),
    )


async def _adjust(gql: GraphQLClient, kit: TenantKit, member_id: str, points: int) -> dict:
    data = await gql(
        ADJUST, {"input": {"memberId": member_id, "points": points}}, token=kit.secret_key
    )
    payload: dict[str, Any] = data["adjustPoints"]
    return payload


@pytest.mark.parametrize(
    ("available", "lifetime"),
    [(MAX_BALANCE - 5, MAX_BALANCE - 5), (100, MAX_BALANCE - 5)],
    ids=["available", "lifetime"],
)
async def test_an_adjustment_past_the_limit_is_refused_and_one_to_it_is_answered(
    gql, services, tenant, enroll, available, lifetime
):
    # given a member 5 points below the limit in available, or in lifetime
    member_id = await enroll(tenant, "ceiling", points=100)
    await _near_the_limit(services, tenant, member_id, available, lifetime)
    before = await _written(services, tenant)

    # when 6 points are added
    refused = await _adjust(gql, tenant, member_id, 6)

    # then the change is refused and nothing was written
    assert [e["code"] for e in refused["errors"]] == ["INVALID_AMOUNT"]
    assert refused["entry"] is None
    assert await _written(services, tenant) == before

    # and 5 points are added, reaching the limit, and a page of members answers it
    reached = await _adjust(gql, tenant, member_id, 5)
    assert reached["errors"] == []
    page = (await gql(PAGE, token=tenant.secret_key))["members"]["nodes"]
    assert page == [
        {
            "externalId": "ceiling",
            "points": {"available": available + 5, "pending": 0, "lifetime": MAX_BALANCE},
        }
    ]


async def test_an_order_earning_past_the_limit_is_refused_and_writes_nothing(
    gql, services, tenant, enroll
):
    # given a member 5 points below the limit
    member_id = await enroll(tenant, points=100)
    await _near_the_limit(services, tenant, member_id, MAX_BALANCE - 5, MAX_BALANCE - 5)
    before = await _written(services, tenant)

    # when an order earning 10 points is recorded
    body = order("o-" + uuid.uuid4().hex, member_id, ("a", 1, 1_000))
    recorded = (await gql(RECORD, {"input": body}, token=tenant.secret_key))["recordOrder"]

    # then it is refused, and neither the order nor any points were written
    assert [e["code"] for e in recorded["errors"]] == ["INVALID_AMOUNT"]
    assert await _written(services, tenant) == before


async def test_spending_is_never_refused_by_the_limit(gql, services, tenant, enroll):
    # given a member at the limit
    member_id = await enroll(tenant, points=100)
    await _near_the_limit(services, tenant, member_id, MAX_BALANCE, MAX_BALANCE)

    # when points are deducted
    deducted = await _adjust(gql, tenant, member_id, -50)

    # then the deduction is made
    assert deducted["errors"] == []
    assert deducted["points"]["available"] == MAX_BALANCE - 50


PREVIEW = """
query Preview($input: RecordOrderInput!) { previewOrder(input: $input) { points } }
"""


async def test_an_order_earning_more_than_the_limit_is_refused_in_preview_and_record(
    gql, services, tenant, enroll
):
    # given a program earning 10,000 points per dollar and a member with none
    await configure(gql, tenant, pointsPerUnit="10000")
    member_id = await enroll(tenant)
    before = await _written(services, tenant)

    # when an order of $20 billion is previewed and recorded
    body = order("o-" + uuid.uuid4().hex, member_id, ("a", 1_000, 2_000_000_000))
    preview = await gql.errors(PREVIEW, {"input": body}, token=tenant.secret_key)
    recorded = (await gql(RECORD, {"input": body}, token=tenant.secret_key))["recordOrder"]

    # then both are refused as INVALID_AMOUNT, and nothing was written
    assert [e["extensions"]["code"] for e in preview] == ["INVALID_AMOUNT"]
    assert [e["code"] for e in recorded["errors"]] == ["INVALID_AMOUNT"]
    assert await _written(services, tenant) == before
