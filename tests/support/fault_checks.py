"""What must hold after a deployment lived through a crash under load: the same server process
answers again, and the ledger holds exactly the writes the clients were told about, each once."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from tests.support.deployment import Deployment
from tests.support.ledger_checks import assert_schema_ledger_consistent
from tests.support.ledger_totals import entries_per_key, entry_totals
from tests.support.operations import operation
from tests.support.write_load import LoadReport, Write

MEMBER_BY_EXTERNAL_ID = operation("storefront/MemberByExternalId.graphql")


async def assert_recovered_in_place(d: Deployment, pid: int | None) -> None:
    """The server process that lived through the crash is the one answering, and it says it
    is ready."""
    assert d.server.running() and d.server.pid == pid, d.server.log()
    ready = await d.http.get("/readyz")
    assert ready.status_code == 200, (ready.text, d.server.log())


async def balances_through_api(d: Deployment) -> dict[str, tuple[int, int]]:
    """Each member's (available, lifetime) points, as a storefront reads them."""
    found = {}
    for member_id, external_id in d.members.items():
        variables = {"externalId": external_id}
        data = await d.data(MEMBER_BY_EXTERNAL_ID, variables, token=d.kit.secret_key)
        points = data["member"]["points"]
        found[member_id] = (points["available"], points["lifetime"])
    return found


async def assert_every_write_applied_once(
    d: Deployment, writes: Sequence[Write], report: LoadReport
) -> None:
    summary = report.summary()
    assert report.refused == [], summary
    assert report.unanswered == [], summary
    assert report.resend_answers == [], summary
    assert set(report.acknowledged) == {w.key for w in writes}, summary

    # Every write earns or adds at once (the program has no return window): all of it is
    # available, and all of it counts towards lifetime.
    acknowledged = report.points_by_member(writes)
    expected = {member: (points, points) for member, points in acknowledged.items()}
    assert await balances_through_api(d) == expected, summary
    assert await entry_totals(d.postgres.url, d.schema) == expected, summary
    # An entry for each acknowledged key, and never two: no retry was applied again.
    assert await entries_per_key(d.postgres.url, d.schema) == dict.fromkeys(
        report.acknowledged, 1
    ), summary
    pool = await asyncpg.create_pool(d.postgres.url, min_size=1, max_size=1)
    try:
        await assert_schema_ledger_consistent(pool, d.schema)
    finally:
        await pool.close()
