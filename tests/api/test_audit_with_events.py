"""Given points adjusted by hand, when the transaction ends, then its audit entry and its
points.changed event are written by one statement, the last before the COMMIT (one round
trip fewer under the balance lock), and both are there afterwards; a refused adjustment
writes neither."""

from __future__ import annotations

import uuid
from typing import Any
from uuid import UUID

from tests.conftest import ADJUST
from tests.support.gql import GraphQLClient, TenantKit
from tests.support.round_trips import counting


async def _adjust(gql: GraphQLClient, kit: TenantKit, member_id: str, points: int) -> Any:
    given = {"memberId": member_id, "points": points, "idempotencyKey": uuid.uuid4().hex}
    return (await gql(ADJUST, {"input": given}, token=kit.secret_key))["adjustPoints"]


async def _written(services: Any, kit: TenantKit) -> tuple[int, int]:
    schema = (await services.registry.get(UUID(kit.id))).schema_name
    audited = await services.pool.fetchval(
        f"""SELECT count(*) FROM "{schema}".audit_log WHERE action = 'adjustPoints'"""
    )
    announced = await services.pool.fetchval(
        f"""SELECT count(*) FROM "{schema}".webhook_events WHERE type = 'points.changed'"""
    )
    return audited, announced


async def test_the_audit_entry_and_the_events_go_in_one_statement_before_commit(
    gql, tenant, enroll, services, monkeypatch
):
    # given a member, the path warmed up by a first credit
    member_id = await enroll(tenant)
    assert (await _adjust(gql, tenant, member_id, 10))["errors"] == []
    before = await _written(services, tenant)

    for points in (5, -2):
        # when points are credited, then spent, by the store's secret key
        with counting(monkeypatch) as seen:
            payload = await _adjust(gql, tenant, member_id, points)
        assert payload["errors"] == [], payload

        # then one statement writes the audit entry and the events, just before COMMIT
        audit_writes = [s for s in seen.postgres if "INSERT INTO audit_log" in s]
        assert len(audit_writes) == 1, seen.postgres
        assert "INSERT INTO webhook_events" in audit_writes[0], audit_writes
        assert not [s for s in seen.postgres if "webhook_events" in s and s not in audit_writes]
        assert seen.postgres[-1].startswith("COMMIT") and seen.postgres[-2] == audit_writes[0]

    # and both were written, once per adjustment
    assert await _written(services, tenant) == (before[0] + 2, before[1] + 2)


async def test_a_refused_adjustment_writes_neither(gql, tenant, enroll, services):
    # given a member with no points to spend
    member_id = await enroll(tenant)
    before = await _written(services, tenant)

    # when more is spent than there is
    payload = await _adjust(gql, tenant, member_id, -50)

    # then it is refused, with no audit entry and no event
    assert payload["errors"], payload
    assert await _written(services, tenant) == before
