"""Given a tenant, when its agency suspends, reactivates, archives or deletes it, then its
keys and member tokens are refused with TENANT_SUSPENDED (on every replica), its
operators still read it, the worker leaves it alone, and deletion waits for the archive
and its grace period."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

import httpx

from api.http.app import create_app
from api.services import Services
from api.worker import run_once
from tests.support.agency_ops import document, lifecycle
from tests.support.earning import configure, earn, enroll, fetch, order, points_of
from tests.support.gql import GraphQLClient, TenantKit
from tests.support.rewards import member_token

PROGRAM = "query Program { program { name } }"
ME = "query Me { me { id } }"
MEMBERS = "query Members { members(first: 1) { nodes { id } } }"


async def _refusal(gql: GraphQLClient, query: str, token: str) -> tuple[int, str | None]:
    response = await gql.raw(query, token=token)
    body = response.json()
    errors = body.get("errors") or [{}]
    return response.status_code, errors[0].get("extensions", {}).get("code")


async def _credentials(gql: GraphQLClient, kit: TenantKit) -> dict[str, tuple[str, str]]:
    member = await enroll(gql, kit)
    return {
        "secret key": (PROGRAM, kit.secret_key),
        "publishable key": (PROGRAM, kit.publishable_key),
        "member token": (ME, await member_token(gql, kit, member)),
    }


async def test_a_suspended_tenant_refuses_every_credential_until_reactivated(gql, tenant):
    # given a tenant whose secret key, publishable key and member token work
    credentials = await _credentials(gql, tenant)
    for query, token in credentials.values():
        assert (await _refusal(gql, query, token))[0] == 200

    # when its owner suspends it
    suspended = await lifecycle(gql, tenant, "SuspendTenant", reason="unpaid invoice")

    # then each is refused with TENANT_SUSPENDED, 403, while the operators still read it
    assert suspended["errors"] == []
    assert suspended["tenant"]["status"] == "SUSPENDED"
    assert suspended["tenant"]["statusReason"] == "unpaid invoice"
    assert suspended["tenant"]["suspendedAt"] is not None
    for name, (query, token) in credentials.items():
        assert await _refusal(gql, query, token) == (403, "TENANT_SUSPENDED"), name
    read = await gql(MEMBERS, token=tenant.operator_token, tenant=tenant.slug)
    assert len(read["members"]["nodes"]) == 1

    # and when it is reactivated, every credential works again
    reactivated = await lifecycle(gql, tenant, "ReactivateTenant")
    assert reactivated["tenant"]["status"] == "ACTIVE"
    assert reactivated["tenant"]["suspendedAt"] is None
    for name, (query, token) in credentials.items():
        assert (await _refusal(gql, query, token))[0] == 200, name


async def test_an_operator_changes_nothing_in_a_suspended_tenant_but_its_lifecycle(gql, tenant):
    # given a suspended tenant
    await lifecycle(gql, tenant, "SuspendTenant")

    # when its owner tries to configure its program
    errors = await gql.errors(
        "mutation C($input: ConfigureProgramInput!) { configureProgram(input: $input) {"
        " errors { code } } }",
        {"input": {"pendingDays": 3}},
        token=tenant.operator_token,
        tenant=tenant.slug,
    )

    # then it is refused as the tenant is suspended
    assert errors[0]["extensions"]["code"] == "TENANT_SUSPENDED"


async def _second_replica(settings) -> tuple[Services, httpx.AsyncClient]:
    services = await Services.start(settings.model_copy(update={"db_pool_max": 4}))
    transport = httpx.ASGITransport(app=create_app(services=services))
    return services, httpx.AsyncClient(transport=transport, base_url="http://test")


async def _until(
    gql: GraphQLClient, query: str, token: str, expected: tuple[int, Any], wait: float = 10
) -> tuple[int, Any]:
    """The answer once it is `expected`, or the last one after `wait` seconds: the change
    is announced across the database server, not there the instant it commits."""
    deadline = asyncio.get_running_loop().time() + wait
    while True:
        got = await _refusal(gql, query, token)
        if got == expected or asyncio.get_running_loop().time() > deadline:
            return got
        await asyncio.sleep(0.02)


async def test_another_replica_refuses_the_tenant_as_soon_as_it_is_suspended(gql, settings, tenant):
    # given a second replica on the same database and Redis that has just served each
    # credential (and so holds the tenant in its caches)
    services, http = await _second_replica(settings)
    try:
        other = GraphQLClient(http)
        credentials = await _credentials(gql, tenant)
        for query, token in credentials.values():
            assert (await _refusal(other, query, token))[0] == 200

        # when the tenant is suspended through the first replica
        await lifecycle(gql, tenant, "SuspendTenant")

        # then the second refuses every credential long before its cache time (10 s)
        started = asyncio.get_running_loop().time()
        for name, (query, token) in credentials.items():
            got = await _until(other, query, token, (403, "TENANT_SUSPENDED"))
            assert got == (403, "TENANT_SUSPENDED"), name
        assert asyncio.get_running_loop().time() - started < 10

        # and serves them again once it is reactivated
        await lifecycle(gql, tenant, "ReactivateTenant")
        for name, (query, token) in credentials.items():
            assert (await _until(other, query, token, (200, None)))[0] == 200, name
    finally:
        await http.aclose()
        await services.close()


async def test_the_worker_skips_a_suspended_tenant(clocked, make_tenant):
    # given a tenant with 40 points pending for 14 days, suspended
    gql, services, clock = clocked.gql, clocked.services, clocked.clock
    kit = await make_tenant()
    await configure(gql, kit, pendingDays=14)
    member_id = await enroll(gql, kit)
    assert await earn(gql, kit, order("o-1", member_id, ("a", 1, 4_000))) == 40
    await lifecycle(gql, kit, "SuspendTenant")

    # when the worker runs after the points are due
    clock.advance(timedelta(days=15))
    await run_once(services)

    # then it left the tenant alone; once reactivated, the next round matures them
    pending = "SELECT available, pending FROM balances"
    assert await fetch(services, kit, pending) == [{"available": 0, "pending": 40}]
    await lifecycle(gql, kit, "ReactivateTenant")
    await run_once(services)
    assert await fetch(services, kit, pending) == [{"available": 40, "pending": 0}]


async def _schema_exists(services: Services, slug: str) -> bool:
    found = await services.pool.fetchval(
        "SELECT count(*) FROM information_schema.schemata WHERE schema_name = $1",
        "t_" + slug.replace("-", "_"),
    )
    return bool(found)


async def test_deletion_waits_for_the_archive_and_its_grace_period(clocked, make_tenant):
    gql, services, clock = clocked.gql, clocked.services, clocked.clock
    kit = await make_tenant()
    member = await enroll(gql, kit)
    await points_of(gql, kit, member)  # its balance now cached in Redis
    cached = f"{{t:{kit.id}}}*"
    assert [k async for k in services.redis.scan_iter(match=cached)]

    # given an active tenant: deletion is refused until it is archived
    refused = await lifecycle(gql, kit, "DeleteTenant")
    assert [e["code"] for e in refused["errors"]] == ["TENANT_NOT_ARCHIVED"]

    # when it is archived: hidden from the default list, refused within the grace period
    archived = await lifecycle(gql, kit, "ArchiveTenant", reason="closed shop")
    assert archived["tenant"]["status"] == "ARCHIVED"
    assert archived["tenant"]["deletableAt"] is not None
    listed = await gql(
        document("ArchivedTenants"), {"includeArchived": False}, token=kit.operator_token
    )
    assert listed["agency"]["tenants"] == []
    listed = await gql(
        document("ArchivedTenants"), {"includeArchived": True}, token=kit.operator_token
    )
    assert [t["slug"] for t in listed["agency"]["tenants"]] == [kit.slug]
    assert await _refusal(gql, PROGRAM, kit.secret_key) == (403, "TENANT_SUSPENDED")
    clock.advance(timedelta(days=30) - timedelta(seconds=1))
    early = await lifecycle(gql, kit, "DeleteTenant")
    assert [e["code"] for e in early["errors"]] == ["GRACE_PERIOD"]
    assert await _schema_exists(services, kit.slug)

    # then, once the grace period is over, its owner deletes it
    clock.advance(timedelta(seconds=1))
    deleted = await lifecycle(gql, kit, "DeleteTenant")
    assert deleted["errors"] == []
    assert not await _schema_exists(services, kit.slug)
    keys = await services.pool.fetchval(
        "SELECT count(*) FROM control.api_keys WHERE tenant_id = $1", uuid.UUID(kit.id)
    )
    assert keys == 0
    assert (await _refusal(gql, PROGRAM, kit.secret_key))[0] == 401
    assert [k async for k in services.redis.scan_iter(match=cached)] == []

    # and the agency's audit log keeps the deletion and the archive
    log = await gql(document("AgencyAuditLog"), {"first": 10}, token=kit.operator_token)
    entries = [e["node"] for e in log["agency"]["auditLog"]["edges"]]
    assert [(e["action"], e["target"]) for e in entries] == [
        ("deleteTenant", kit.slug),
        ("archiveTenant", kit.slug),
    ]
    assert entries[0]["actor"]["label"] == kit.operator_email
    assert entries[1]["summary"] == {"tenant": kit.slug, "reason": "closed shop"}


async def test_only_an_owner_deletes_and_no_one_outside_the_agency_touches_it(clocked, make_tenant):
    gql, clock = clocked.gql, clocked.clock
    admin_kit = await make_tenant(role="ADMIN")
    stranger = await make_tenant()

    # given an archived tenant past its grace period, whose operator is an admin
    assert (await lifecycle(gql, admin_kit, "ArchiveTenant"))["errors"] == []
    clock.advance(timedelta(days=31))

    # then the admin may not delete it
    errors = await gql.errors(
        document("DeleteTenant"),
        {"input": {"tenant": admin_kit.slug}},
        token=admin_kit.operator_token,
    )
    assert errors[0]["extensions"]["code"] == "FORBIDDEN"

    # and an operator of another agency may do nothing to it
    for name in ("SuspendTenant", "ReactivateTenant", "ArchiveTenant", "DeleteTenant"):
        errors = await gql.errors(
            document(name), {"input": {"tenant": admin_kit.slug}}, token=stranger.operator_token
        )
        assert errors[0]["extensions"]["code"] == "FORBIDDEN", name
    listed = await gql(
        document("ArchivedTenants"), {"includeArchived": True}, token=admin_kit.operator_token
    )
    assert [t["status"] for t in listed["agency"]["tenants"]] == ["ARCHIVED"]


async def test_a_move_the_status_does_not_allow_is_refused_and_not_recorded(gql, tenant):
    # when an active tenant is reactivated, or a reason too long is given
    again = await lifecycle(gql, tenant, "ReactivateTenant")
    too_long = await lifecycle(gql, tenant, "SuspendTenant", reason="x" * 501)

    # then both are refused, and the agency's log records neither
    assert [e["code"] for e in again["errors"]] == ["CONFLICT"]
    assert [e["field"] for e in too_long["errors"]] == [["input", "reason"]]
    log = await gql(document("AgencyAuditLog"), {"first": 10}, token=tenant.operator_token)
    assert log["agency"]["auditLog"]["edges"] == []


async def test_two_deletions_at_once_delete_once_and_record_once(clocked, make_tenant):
    # given an archived tenant past its grace period
    gql, clock = clocked.gql, clocked.clock
    kit = await make_tenant()
    assert (await lifecycle(gql, kit, "ArchiveTenant"))["errors"] == []
    clock.advance(timedelta(days=30))

    # when its owner deletes it twice at once
    async def delete() -> list[str]:
        response = await gql.raw(
            document("DeleteTenant"), {"input": {"tenant": kit.slug}}, token=kit.operator_token
        )
        body = response.json()
        if body.get("errors"):  # the tenant was gone before this one was even checked
            return [e["extensions"]["code"] for e in body["errors"]]
        return [e["code"] for e in body["data"]["deleteTenant"]["errors"]]

    results = await asyncio.gather(delete(), delete())

    # then one deletes it, the other finds it gone, and the log has one deletion
    assert sorted(results) == [[], ["NOT_FOUND"]] or sorted(results) == [[], ["FORBIDDEN"]]
    log = await gql(
        document("AgencyAuditLog"),
        {"first": 10, "filter": {"action": "deleteTenant"}},
        token=kit.operator_token,
    )
    assert len(log["agency"]["auditLog"]["edges"]) == 1
