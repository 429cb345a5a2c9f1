"""Idempotency keys: same key and input replays the first result; other input is refused."""

from __future__ import annotations

import asyncio

from tests.conftest import ADJUST
from tests.support.ledger_checks import assert_ledger_matches_balances

HISTORY = """
query History($id: ID!) {
  member(id: $id) { points { available } history(first: 50) { nodes { id points } } }
}
"""


async def test_replay_returns_the_first_entry_and_changes_nothing(gql, tenant, enroll):
    member_id = await enroll(tenant)
    given = {"memberId": member_id, "points": 40, "reason": "goodwill", "idempotencyKey": "k-1"}

    first = (await gql(ADJUST, {"input": given}, token=tenant.secret_key))["adjustPoints"]
    again = (await gql(ADJUST, {"input": given}, token=tenant.secret_key))["adjustPoints"]

    assert first["errors"] == [] and again["errors"] == []
    assert again["entry"] == first["entry"]
    assert (first["replayed"], again["replayed"]) == (False, True)
    member = (await gql(HISTORY, {"id": member_id}, token=tenant.secret_key))["member"]
    assert member["points"]["available"] == 40
    assert [e["id"] for e in member["history"]["nodes"]] == [first["entry"]["id"]]


async def test_reusing_a_key_with_other_input_is_refused(gql, tenant, enroll):
    member_id = await enroll(tenant)
    await gql(
        ADJUST,
        {"input": {"memberId": member_id, "points": 40, "idempotencyKey": "k-2"}},
        token=tenant.secret_key,
    )

    reused = await gql(
        ADJUST,
        {"input": {"memberId": member_id, "points": 41, "idempotencyKey": "k-2"}},
        token=tenant.secret_key,
    )

    errors = reused["adjustPoints"]["errors"]
    assert [(e["code"], e["field"]) for e in errors] == [
        ("IDEMPOTENCY_KEY_REUSED", ["input", "idempotencyKey"])
    ]
    member = (await gql(HISTORY, {"id": member_id}, token=tenant.secret_key))["member"]
    assert member["points"]["available"] == 40


async def test_concurrent_retries_with_one_key_write_one_entry(gql, tenant, enroll, services):
    member_id = await enroll(tenant)
    given = {"memberId": member_id, "points": 5, "idempotencyKey": "k-burst"}

    results = await asyncio.gather(
        *(gql(ADJUST, {"input": given}, token=tenant.secret_key) for _ in range(20))
    )

    entries = {r["adjustPoints"]["entry"]["id"] for r in results}
    assert len(entries) == 1
    assert sum(not r["adjustPoints"]["replayed"] for r in results) == 1
    member = (await gql(HISTORY, {"id": member_id}, token=tenant.secret_key))["member"]
    assert member["points"]["available"] == 5
    await assert_ledger_matches_balances(services, tenant)


async def test_keys_belong_to_one_tenant(gql, make_tenant, enroll):
    a, b = await make_tenant(), await make_tenant()
    a_member, b_member = await enroll(a), await enroll(b)

    for kit, member_id in ((a, a_member), (b, b_member)):
        data = await gql(
            ADJUST,
            {"input": {"memberId": member_id, "points": 9, "idempotencyKey": "same-key"}},
            token=kit.secret_key,
        )
        assert data["adjustPoints"]["errors"] == []
        assert data["adjustPoints"]["replayed"] is False
