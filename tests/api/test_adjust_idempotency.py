"""Given adjustPoints claiming its idempotency key in the statement that reads the member and
recording the result in the statement that appends the entry, when keys are reused, raced,
or used with a member that does not exist, then the answers are those of a key claimed and
completed on its own: one winner, replays of the same input, IDEMPOTENCY_KEY_REUSED for other
input, and no key left behind by an adjustment that failed."""

from __future__ import annotations

import asyncio
import base64
import uuid
from typing import Any
from uuid import UUID

from tests.conftest import ADJUST
from tests.support.gql import GraphQLClient, TenantKit
from tests.support.ledger_checks import assert_ledger_matches_balances

BALANCE = "query Balance($id: ID!) { member(id: $id) { points { available lifetime } } }"


def _ghost() -> str:
    return base64.urlsafe_b64encode(f"Member:{uuid.uuid4()}".encode()).decode().rstrip("=")


async def _adjust(gql: GraphQLClient, kit: TenantKit, **given: Any) -> dict[str, Any]:
    data = await gql(ADJUST, {"input": given}, token=kit.secret_key)
    payload: dict[str, Any] = data["adjustPoints"]
    return payload


def _codes(payload: dict[str, Any]) -> list[tuple[str, list[str]]]:
    return [(e["code"], e["field"]) for e in payload["errors"]]


async def _stored_result(services: Any, kit: TenantKit, key: str) -> Any:
    tenant = await services.registry.get(UUID(kit.id))
    return await services.pool.fetchval(
        f'SELECT result FROM "{tenant.schema_name}".idempotency_keys WHERE key = $1', key
    )


async def test_the_key_records_the_entry_it_answers_for_a_credit_and_a_deduction(
    gql, tenant, enroll, services
):
    member_id = await enroll(tenant)

    credit = await _adjust(gql, tenant, memberId=member_id, points=30, idempotencyKey="c")
    debit = await _adjust(gql, tenant, memberId=member_id, points=-10, idempotencyKey="d")
    credit_again = await _adjust(gql, tenant, memberId=member_id, points=30, idempotencyKey="c")
    debit_again = await _adjust(gql, tenant, memberId=member_id, points=-10, idempotencyKey="d")

    assert (credit["errors"], debit["errors"]) == ([], [])
    assert (credit_again["entry"], debit_again["entry"]) == (credit["entry"], debit["entry"])
    assert (credit_again["replayed"], debit_again["replayed"]) == (True, True)
    for key, payload in (("c", credit), ("d", debit)):
        entry_id = base64.urlsafe_b64decode(payload["entry"]["id"] + "==").decode()
        assert await _stored_result(services, tenant, key) == {
            "entryId": int(entry_id.split(":")[1])
        }
    balance = (await gql(BALANCE, {"id": member_id}, token=tenant.secret_key))["member"]
    assert balance["points"] == {"available": 20, "lifetime": 30}


async def test_an_unknown_member_is_not_found_and_leaves_the_key_unused(
    gql, tenant, enroll, services
):
    member_id = await enroll(tenant)

    missing = await _adjust(gql, tenant, memberId=_ghost(), points=5, idempotencyKey="k")
    used = await _adjust(gql, tenant, memberId=member_id, points=5, idempotencyKey="k")

    assert _codes(missing) == [("NOT_FOUND", ["input", "memberId"])]
    assert used["errors"] == [] and used["replayed"] is False
    await assert_ledger_matches_balances(services, tenant)


async def test_an_unknown_member_is_the_first_error_before_bad_input(gql, tenant):
    for bad in (
        {"points": 0, "idempotencyKey": "k"},
        {"points": 5, "idempotencyKey": " "},
        {"points": 5, "idempotencyKey": "k", "note": "x" * 501},
    ):
        payload = await _adjust(gql, tenant, memberId=_ghost(), **bad)
        assert _codes(payload) == [("NOT_FOUND", ["input", "memberId"])], bad


async def test_bad_input_with_a_key_claims_nothing(gql, tenant, enroll):
    member_id = await enroll(tenant)

    refused = await _adjust(gql, tenant, memberId=member_id, points=0, idempotencyKey="k")
    used = await _adjust(gql, tenant, memberId=member_id, points=3, idempotencyKey="k")

    assert _codes(refused) == [("INVALID_AMOUNT", ["input", "points"])]
    assert used["errors"] == [] and used["replayed"] is False


async def test_a_refused_deduction_gives_its_key_back(gql, tenant, enroll, services):
    member_id = await enroll(tenant)

    refused = await _adjust(gql, tenant, memberId=member_id, points=-10, idempotencyKey="k")
    await _adjust(gql, tenant, memberId=member_id, points=25)
    retried = await _adjust(gql, tenant, memberId=member_id, points=-10, idempotencyKey="k")

    assert _codes(refused) == [("INSUFFICIENT_POINTS", ["input", "points"])]
    assert retried["errors"] == [] and retried["replayed"] is False
    assert retried["points"]["available"] == 15
    await assert_ledger_matches_balances(services, tenant)


async def test_racing_one_key_with_two_inputs_has_one_winner(gql, tenant, enroll, services):
    member_id = await enroll(tenant)
    inputs = [
        {"memberId": member_id, "points": 5 + i % 2, "idempotencyKey": "race"} for i in range(20)
    ]

    results = await asyncio.gather(*(_adjust(gql, tenant, **given) for given in inputs))

    won = [(given, r) for given, r in zip(inputs, results, strict=True) if not r["errors"]]
    winner = next(r for _, r in won if not r["replayed"])
    assert sum(not r["replayed"] for _, r in won) == 1
    assert {given["points"] for given, _ in won} == {winner["entry"]["points"]}
    assert {r["entry"]["id"] for _, r in won} == {winner["entry"]["id"]}
    refused = [r for r in results if r["errors"]]
    assert len(won) + len(refused) == 20 and len(refused) == 10
    reused = [("IDEMPOTENCY_KEY_REUSED", ["input", "idempotencyKey"])]
    assert all(_codes(r) == reused for r in refused)
    balance = (await gql(BALANCE, {"id": member_id}, token=tenant.secret_key))["member"]
    assert balance["points"]["available"] == winner["entry"]["points"]
    await assert_ledger_matches_balances(services, tenant)


async def test_racing_one_key_for_two_members_changes_one(gql, tenant, enroll, services):
    first, second = await enroll(tenant), await enroll(tenant)

    results = await asyncio.gather(
        *(
            _adjust(gql, tenant, memberId=member_id, points=7, idempotencyKey="shared")
            for member_id in (first, second) * 5
        )
    )

    assert sum(not r["errors"] and not r["replayed"] for r in results) == 1
    assert sum(not r["errors"] for r in results) == 5
    assert {c for r in results for c, _ in _codes(r)} == {"IDEMPOTENCY_KEY_REUSED"}
    points = [
        (await gql(BALANCE, {"id": m}, token=tenant.secret_key))["member"]["points"]["available"]
        for m in (first, second)
    ]
    assert sorted(points) == [0, 7]
    await assert_ledger_matches_balances(services, tenant)
