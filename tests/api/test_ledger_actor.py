"""Given points changed by an operator, by a secret key and by time, then each ledger entry
names who made it (the same kind, id and label as the audit log's actor) to the store's
staff, and to a member token not at all."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

from api.schema.common.ids import to_global_id
from api.worker import run_tenant
from tests.support.agency_ops import document
from tests.support.earning import adjust, configure, enroll
from tests.support.gql import GraphQLClient, TenantKit
from tests.support.rewards import member_token

ADJUST = """
mutation Adjust($input: AdjustPointsInput!) {
  adjustPoints(input: $input) { entry { actor { kind id label } } errors { code } }
}
"""
MY_HISTORY = """
query MyHistory { me { history(first: 10) { edges { node { kind note actor { kind } } } } } }
"""
AUDIT_ACTORS = "query Log { auditLog(first: 10) { edges { node { actor { kind id label } } } } }"


async def _history(gql: GraphQLClient, kit: TenantKit, member: str, token: str) -> list[dict]:
    data = await gql(document("Member"), {"id": member}, token=token, tenant=kit.slug)
    return [edge["node"] for edge in data["member"]["history"]["edges"]]


async def _operator_adjust(gql: GraphQLClient, kit: TenantKit, member: str) -> dict[str, Any]:
    data = await gql(
        ADJUST,
        {"input": {"memberId": member, "points": 25, "note": "goodwill"}},
        token=kit.operator_token,
        tenant=kit.slug,
    )
    assert data["adjustPoints"]["errors"] == []
    actor: dict[str, Any] = data["adjustPoints"]["entry"]["actor"]
    return actor


async def test_an_adjustment_names_the_operator_or_the_key_that_made_it(gql, tenant):
    # given a member
    member = await enroll(gql, tenant)

    # when the operator adds points and the store's secret key takes some
    said = await _operator_adjust(gql, tenant, member)
    assert (await adjust(gql, tenant, member, -5))["errors"] == []

    # then the history names each one's maker, as the audit log names them
    by_key, by_operator = await _history(gql, tenant, member, tenant.operator_token)
    logged = await gql(AUDIT_ACTORS, token=tenant.operator_token, tenant=tenant.slug)
    key_logged, operator_logged = [e["node"]["actor"] for e in logged["auditLog"]["edges"]]
    assert (
        by_operator["actor"]
        == {"__typename": "AuditActor", **operator_logged}
        == {
            "__typename": "AuditActor",
            "kind": "OPERATOR",
            "id": operator_logged["id"],
            "label": tenant.operator_email,
        }
    )
    UUID(by_operator["actor"]["id"])
    assert {k: v for k, v in by_operator["actor"].items() if k != "__typename"} == said
    assert by_key["actor"] == {
        "__typename": "AuditActor",
        "kind": "SECRET_KEY",
        "id": key_logged["id"],
        "label": tenant.secret_key[:12],
    }
    assert key_logged["id"] is not None

    # and the secret key reads the same history with the same actors
    read_by_key = await _history(gql, tenant, member, tenant.secret_key)
    assert [e["actor"] for e in read_by_key] == [by_key["actor"], by_operator["actor"]]


async def test_a_member_token_reads_no_actor(gql, tenant):
    # given a member whose points an operator adjusted
    member = await enroll(gql, tenant)
    await _operator_adjust(gql, tenant, member)

    # when the member's own app reads its history
    token = await member_token(gql, tenant, member)
    data = await gql(MY_HISTORY, token=token)

    # then the entry is there without who made it (nor the staff's note)
    entries = [e["node"] for e in data["me"]["history"]["edges"]]
    assert entries == [{"kind": "ADJUST", "note": None, "actor": None}]


async def test_an_opening_balance_names_its_import_and_who_sent_it(gql, services, tenant):
    # given a member file with a balance, uploaded by the tenant's owner
    response = await gql.http.post(
        "/imports/members",
        content=b"external_id,email,points_balance\nimp-1,imp-1@uploads.example,70\n",
        headers={"Authorization": f"Bearer {tenant.operator_token}", "X-Tenant": tenant.slug},
    )
    assert response.status_code == 202, response.text
    import_id = response.json()["memberImport"]["id"]

    # when the import has run and the member's history is read
    await services.imports.wait()
    found = await gql(
        "query M($id: String!) { member(externalId: $id) { id } }",
        {"id": "imp-1"},
        token=tenant.secret_key,
    )
    (opening,) = await _history(gql, tenant, found["member"]["id"], tenant.operator_token)

    # then the opening balance is the import's, named by its id and the owner's email
    assert (opening["kind"], opening["points"]) == ("ADJUST", 70)
    assert opening["actor"]["kind"] == "IMPORT"
    assert opening["actor"]["label"] == tenant.operator_email
    assert to_global_id("MemberImport", UUID(opening["actor"]["id"])) == import_id


async def test_points_expired_by_the_worker_name_the_system(clocked, tenant):
    # given 25 points that expire 30 days after they were added
    gql, services, clock = clocked.gql, clocked.services, clocked.clock
    await configure(gql, tenant, lotExpiry={"after": 30, "unit": "DAYS"})
    member = await enroll(gql, tenant)
    await _operator_adjust(gql, tenant, member)

    # when the worker runs once they have expired
    clock.advance(timedelta(days=31))
    registered = await services.registry.get(UUID(tenant.id))
    assert registered is not None
    report = await run_tenant(services, registered)
    assert report is not None

    # then the expiry entry is the system's; the adjustment is still the operator's
    expired, adjusted = await _history(gql, tenant, member, tenant.operator_token)
    assert (expired["kind"], expired["points"]) == ("EXPIRE", -25)
    assert expired["actor"] == {
        "__typename": "AuditActor",
        "kind": "SYSTEM",
        "id": None,
        "label": None,
    }
    assert adjusted["actor"]["kind"] == "OPERATOR"
