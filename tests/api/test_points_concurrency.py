"""Given a balance of 500, when 100 deductions of 10 race, then exactly 50 succeed."""

from __future__ import annotations

import asyncio

from tests.conftest import ADJUST
from tests.support.ledger_checks import assert_ledger_matches_balances

BALANCE = """
query Balance($id: ID!) { member(id: $id) { points { available pending lifetime } } }
"""


async def test_hundred_concurrent_deductions_never_overspend(gql, tenant, enroll, services):
    member_id = await enroll(tenant, points=500)

    async def deduct(i: int) -> dict:
        data = await gql(
            ADJUST,
            {"input": {"memberId": member_id, "points": -10, "reason": f"race {i}"}},
            token=tenant.secret_key,
        )
        return data["adjustPoints"]

    results = await asyncio.gather(*(deduct(i) for i in range(100)))

    succeeded = [r for r in results if not r["errors"]]
    refused = [r for r in results if r["errors"]]
    assert len(succeeded) == 50
    assert len(refused) == 50
    assert {r["errors"][0]["code"] for r in refused} == {"INSUFFICIENT_POINTS"}
    balance = (await gql(BALANCE, {"id": member_id}, token=tenant.secret_key))["member"]["points"]
    assert balance == {"available": 0, "pending": 0, "lifetime": 500}
    await assert_ledger_matches_balances(services, tenant)
