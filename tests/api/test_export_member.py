"""Given a member with a history, when their data is exported (exportMember), then the export
holds everything about them, its ledger sums to its balance, the export is recorded in the
audit log, and only the tenant's staff may ask for it."""

from __future__ import annotations

import uuid
from typing import Any

from tests.support.agency_ops import document, lifecycle
from tests.support.earning import adjust, earn, enroll, order, refund
from tests.support.gql import GraphQLClient, TenantKit
from tests.support.rewards import member_token


async def _export(
    gql: GraphQLClient, kit: TenantKit, member: str, token: str, tenant: str | None = None
) -> dict[str, Any]:
    data = await gql(
        document("ExportMember"), {"input": {"member": member}}, token=token, tenant=tenant
    )
    payload: dict[str, Any] = data["exportMember"]
    return payload


async def test_the_export_holds_the_member_and_a_ledger_that_sums_to_the_balance(gql, tenant):
    # given a member who ordered, had part refunded, and was given and charged points
    external_id = uuid.uuid4().hex
    member = await enroll(gql, tenant, externalId=external_id, email="ada@example.com")
    assert await earn(gql, tenant, order("o-1", member, ("a", 1, 5_000))) == 50
    await refund(gql, tenant, orderId="o-1", refundId="r-1", amount=1_000)
    assert (await adjust(gql, tenant, member, 30))["errors"] == []
    assert (await adjust(gql, tenant, member, -12))["errors"] == []

    # when the store exports their data
    payload = await _export(gql, tenant, member, tenant.secret_key)

    # then it has their profile, orders, refunds and a ledger summing to their balance
    assert payload["errors"] == []
    export = payload["export"]
    assert export["member"]["external_id"] == external_id
    assert export["member"]["email"] == "ada@example.com"
    assert [o["order_id"] for o in export["orders"]] == ["o-1"]
    assert [r["refund_id"] for r in export["refunds"]] == ["r-1"]
    assert [e["kind"] for e in export["ledgerEntries"]] == ["EARN", "REVERSE", "ADJUST", "ADJUST"]
    (balance,) = export["balances"]
    for column in ("available", "pending", "lifetime"):
        total = sum(e[f"{column}_delta"] for e in export["ledgerEntries"])
        assert total == balance[column], column
    assert balance["available"] == 50 - 10 + 30 - 12
    assert sum(lot["remaining"] for lot in export["lots"]) == balance["available"]
    for part in ("redemptions", "referrals", "surveyResponses", "segments", "tierHistory"):
        assert isinstance(export[part], list), part

    # and the export itself is recorded
    log = await gql(
        document("AuditLog"),
        {"first": 1, "filter": {"action": "exportMember"}},
        token=tenant.operator_token,
        tenant=tenant.slug,
    )
    (entry,) = [e["node"] for e in log["auditLog"]["edges"]]
    assert (entry["target"], entry["actor"]["kind"]) == (member, "SECRET_KEY")


async def test_another_tenants_member_is_not_found_and_nothing_is_recorded(
    gql, tenant, make_tenant
):
    # when a store names a member of another tenant, or an id that is no member's
    other_tenants_member = await enroll(gql, await make_tenant())
    missing = await _export(gql, tenant, other_tenants_member, tenant.secret_key)
    malformed = await _export(gql, tenant, "not-an-id", tenant.secret_key)

    # then neither is found, and no export is recorded
    assert [e["code"] for e in missing["errors"]] == ["NOT_FOUND"]
    assert [e["field"] for e in malformed["errors"]] == [["input", "member"]]
    log = await gql(
        document("AuditLog"), {"first": 5}, token=tenant.operator_token, tenant=tenant.slug
    )
    assert log["auditLog"]["edges"] == []


async def test_only_the_tenants_staff_export_and_a_suspended_tenant_still_may(
    gql, tenant, make_tenant
):
    stranger = await make_tenant()
    member = await enroll(gql, tenant)

    # a publishable key, a member token and another agency's operator are refused
    for token, named in (
        (tenant.publishable_key, None),
        (await member_token(gql, tenant, member), None),
        (stranger.operator_token, tenant.slug),
    ):
        errors = await gql.errors(
            document("ExportMember"), {"input": {"member": member}}, token=token, tenant=named
        )
        assert errors[0]["extensions"]["code"] in ("FORBIDDEN", "UNAUTHENTICATED")

    # while the tenant's owner exports, even with the tenant suspended
    await lifecycle(gql, tenant, "SuspendTenant")
    payload = await _export(gql, tenant, member, tenant.operator_token, tenant=tenant.slug)
    assert payload["errors"] == []
    assert payload["export"]["member"]["status"] == "ACTIVE"
