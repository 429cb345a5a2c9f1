"""Given operators and secret keys changing a tenant's configuration and points by hand, then
each change is recorded with it (who, what, target, when, input without secrets) and a
failed one is not; `auditLog` pages newest first and filters; no one outside the tenant's
agency reads it."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from tests.support.agency_ops import document, lifecycle
from tests.support.earning import adjust, earn, enroll, fetch, order
from tests.support.gql import GraphQLClient, TenantKit

ADJUST = """
mutation Adjust($input: AdjustPointsInput!) {
  adjustPoints(input: $input) { entry { id } errors { code field message } }
}
"""


async def _log(
    gql: GraphQLClient, kit: TenantKit, first: int = 50, after: str | None = None, **filters: Any
) -> dict[str, Any]:
    data = await gql(
        document("AuditLog"),
        {"first": first, "after": after, "filter": filters or None},
        token=kit.operator_token,
        tenant=kit.slug,
    )
    log: dict[str, Any] = data["auditLog"]
    return log


async def _entries(gql: GraphQLClient, kit: TenantKit, **filters: Any) -> list[dict[str, Any]]:
    return [e["node"] for e in (await _log(gql, kit, **filters))["edges"]]


async def _operator_adjust(gql: GraphQLClient, kit: TenantKit, member: str, points: int) -> dict:
    data = await gql(
        ADJUST,
        {"input": {"memberId": member, "points": points, "note": "goodwill"}},
        token=kit.operator_token,
        tenant=kit.slug,
    )
    payload: dict[str, Any] = data["adjustPoints"]
    return payload


async def test_a_change_by_hand_is_recorded_with_who_made_it(gql, tenant):
    # given a member (enrolment and orders are storefront traffic: not recorded)
    member = await enroll(gql, tenant)
    assert await earn(gql, tenant, order("o-1", member, ("a", 1, 1_000))) == 10

    # when the operator adds points and the store's secret key takes some
    assert (await _operator_adjust(gql, tenant, member, 25))["errors"] == []
    assert (await adjust(gql, tenant, member, -5))["errors"] == []

    # then both are recorded, newest first, each with its actor, target and input
    entries = await _entries(gql, tenant)
    assert [(e["action"], e["target"], e["actor"]["kind"]) for e in entries] == [
        ("adjustPoints", member, "SECRET_KEY"),
        ("adjustPoints", member, "OPERATOR"),
    ]
    by_key, by_operator = entries
    assert by_operator["actor"]["label"] == tenant.operator_email
    assert by_operator["summary"] == {"memberId": member, "points": 25, "note": "goodwill"}
    assert by_key["actor"]["label"] == tenant.secret_key[:12]
    assert by_key["actor"]["id"] is not None
    assert datetime.fromisoformat(by_key["at"]) >= datetime.fromisoformat(by_operator["at"])


async def test_an_entry_is_written_in_the_transaction_of_its_change(gql, services, tenant):
    # given a member with 10 points
    member = await enroll(gql, tenant)
    assert (await _operator_adjust(gql, tenant, member, 10))["errors"] == []

    # when operators take 10 points twenty times at once (only one can succeed)
    results = await asyncio.gather(*(_operator_adjust(gql, tenant, member, -10) for _ in range(20)))

    # then there is one entry per change made, none for the refusals
    succeeded = [r for r in results if r["errors"] == []]
    assert len(succeeded) == 1
    assert {r["errors"][0]["code"] for r in results if r["errors"]} == {"INSUFFICIENT_POINTS"}
    entries = await _entries(gql, tenant, action="adjustPoints")
    assert [e["summary"]["points"] for e in entries] == [-10, 10]
    rows = await fetch(services, tenant, "SELECT count(*) AS n FROM ledger_entries")
    assert rows == [{"n": 2}]
    # each entry was written by the very transaction that wrote its ledger entry
    same = await fetch(
        services,
        tenant,
        """SELECT count(*) AS n FROM audit_log a
           JOIN ledger_entries e ON e.xmin::text = a.xmin::text WHERE e.kind = 'ADJUST'""",
    )
    assert same == [{"n": 2}]


async def test_keys_are_recorded_without_the_key_and_a_refused_change_is_not(gql, tenant):
    # when the owner creates a key, then tries one with a name too long
    created = await gql(
        document("CreateApiKey"),
        {"input": {"kind": "SECRET", "name": "backend"}},
        token=tenant.operator_token,
        tenant=tenant.slug,
    )
    refused = await gql(
        document("CreateApiKey"),
        {"input": {"kind": "SECRET", "name": "x" * 101}},
        token=tenant.operator_token,
        tenant=tenant.slug,
    )

    # then only the first is recorded, and the key itself appears nowhere in the log
    assert refused["createApiKey"]["errors"][0]["field"] == ["input", "name"]
    entries = await _entries(gql, tenant)
    assert [(e["action"], e["summary"]) for e in entries] == [
        ("createApiKey", {"kind": "SECRET", "name": "backend"})
    ]
    assert created["createApiKey"]["key"] not in str(entries)


async def test_the_log_pages_newest_first_and_filters(gql, tenant):
    # given five changes by the operator and two by the secret key, with a pause between
    member = await enroll(gql, tenant)
    for points in (1, 2, 3, 4, 5):
        assert (await _operator_adjust(gql, tenant, member, points))["errors"] == []
    middle = datetime.now(UTC)
    await asyncio.sleep(0.01)
    for points in (6, 7):
        assert (await adjust(gql, tenant, member, points))["errors"] == []

    # when the log is read two entries a page
    seen: list[int] = []
    after = None
    while True:
        page = await _log(gql, tenant, first=2, after=after)
        seen += [e["node"]["summary"]["points"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]

    # then every entry comes once, newest first
    assert seen == [7, 6, 5, 4, 3, 2, 1]

    # and the filters pick by actor (email or key prefix), action and time
    def points(entries: list[dict[str, Any]]) -> list[int]:
        return [e["summary"]["points"] for e in entries]

    assert points(await _entries(gql, tenant, actor=tenant.operator_email)) == [5, 4, 3, 2, 1]
    assert points(await _entries(gql, tenant, actor=tenant.secret_key[:12])) == [7, 6]
    assert points(await _entries(gql, tenant, **{"from": middle.isoformat()})) == [7, 6]
    assert points(await _entries(gql, tenant, to=middle.isoformat())) == [5, 4, 3, 2, 1]
    later = (middle + timedelta(days=1)).isoformat()
    assert await _entries(gql, tenant, **{"from": later}) == []
    assert await _entries(gql, tenant, action="createTier") == []


async def test_no_one_outside_the_agency_or_below_admin_reads_the_log(gql, tenant, make_tenant):
    stranger = await make_tenant()
    viewer = await make_tenant(role="VIEWER")
    member = await enroll(gql, tenant)
    assert (await _operator_adjust(gql, tenant, member, 1))["errors"] == []

    # an operator of another agency naming this tenant is refused
    errors = await gql.errors(
        document("AuditLog"), {"first": 5}, token=stranger.operator_token, tenant=tenant.slug
    )
    assert errors[0]["extensions"]["code"] == "FORBIDDEN"
    # a viewer reads no log, a key no log
    errors = await gql.errors(
        document("AuditLog"), {"first": 5}, token=viewer.operator_token, tenant=viewer.slug
    )
    assert errors[0]["extensions"]["code"] == "FORBIDDEN"
    errors = await gql.errors(document("AuditLog"), {"first": 5}, token=tenant.secret_key)
    assert errors[0]["extensions"]["code"] == "FORBIDDEN"
    # another agency's log holds nothing of this tenant's agency
    log = await gql(document("AgencyAuditLog"), {"first": 50}, token=stranger.operator_token)
    assert log["agency"]["auditLog"]["edges"] == []


async def test_the_logs_refuse_to_be_edited(gql, services, tenant):
    # given an entry in the tenant's log and one in the agency's
    member = await enroll(gql, tenant)
    assert (await _operator_adjust(gql, tenant, member, 1))["errors"] == []
    assert (await lifecycle(gql, tenant, "SuspendTenant"))["errors"] == []

    # then neither may be changed nor deleted
    for statement in ("UPDATE audit_log SET action = 'x'", "DELETE FROM audit_log"):
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await fetch(services, tenant, statement)
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await services.pool.execute(statement.replace("audit_log", "control.audit_log"))


async def test_a_tenant_created_by_an_operator_is_in_the_agencys_log(gql, tenant):
    # when the owner creates a second tenant in the agency
    slug = "a" + uuid.uuid4().hex[:12]
    created = await gql(
        document("CreateTenant"),
        {"input": {"slug": slug, "name": "Second shop"}},
        token=tenant.operator_token,
    )

    # then the agency's log records it, naming the new tenant
    assert created["createTenant"]["errors"] == []
    log = await gql(document("AgencyAuditLog"), {"first": 5}, token=tenant.operator_token)
    (entry,) = [e["node"] for e in log["agency"]["auditLog"]["edges"]]
    assert (entry["action"], entry["target"]) == ("createTenant", slug)
    assert entry["tenantId"] == created["createTenant"]["tenant"]["id"]
    assert entry["actor"]["label"] == tenant.operator_email


async def test_a_members_details_are_recorded_as_changed_but_not_copied(gql, tenant):
    # when the operator corrects a member's email
    member = await enroll(gql, tenant)
    updated = await gql(
        "mutation U($input: UpdateMemberInput!) { updateMember(input: $input) {"
        " errors { code } } }",
        {"input": {"id": member, "email": "ada@example.com"}},
        token=tenant.operator_token,
        tenant=tenant.slug,
    )

    # then the log says which member and which field, and holds no personal data an
    # erasure could not reach
    assert updated["updateMember"]["errors"] == []
    (entry,) = await _entries(gql, tenant, action="updateMember")
    assert entry["target"] == member
    assert entry["summary"] == {"id": member, "email": "[personal data]"}


async def test_each_entry_names_the_request_that_made_it(gql, tenant):
    # given a member, and two recorded changes: one in the tenant's log, one in the agency's
    member = await enroll(gql, tenant)
    adjusted = await gql.raw(
        ADJUST,
        {"input": {"memberId": member, "points": 7, "note": "traced"}},
        token=tenant.operator_token,
        tenant=tenant.slug,
    )
    created = await gql.raw(
        document("CreateTenant"),
        {"input": {"slug": "r" + uuid.uuid4().hex[:12], "name": "Traced shop"}},
        token=tenant.operator_token,
    )
    assert adjusted.json()["data"]["adjustPoints"]["errors"] == []
    assert created.json()["data"]["createTenant"]["errors"] == []

    # when the logs are read
    [in_tenant] = await _entries(gql, tenant, action="adjustPoints")
    log = await gql(document("AgencyAuditLog"), {"first": 5}, token=tenant.operator_token)
    [in_agency] = [e["node"] for e in log["agency"]["auditLog"]["edges"]]

    # then each entry carries the X-Request-Id its response carried, and no other
    assert in_tenant["requestId"] == adjusted.headers["x-request-id"]
    assert in_agency["requestId"] == created.headers["x-request-id"]
    assert in_tenant["requestId"] != in_agency["requestId"]
