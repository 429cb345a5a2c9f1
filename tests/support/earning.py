"""Helpers the earning tests share: configure the program, record and refund orders, read
points and lots. Each wraps one module-level operation string."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from uuid import UUID

from api.services import Services
from tests.conftest import CLOCK_START
from tests.support.gql import GraphQLClient, TenantKit

ENROLL = """
mutation Enroll($input: EnrollMemberInput!) {
  enrollMember(input: $input) { member { id } errors { code field message } }
}
"""
CONFIGURE = """
mutation Configure($input: ConfigureProgramInput!) {
  configureProgram(input: $input) { program { version } errors { code field message } }
}
"""
RECORD = """
mutation Record($input: RecordOrderInput!) {
  recordOrder(input: $input) {
    order { orderId paid earnedPoints reversedPoints points configVersion }
    pointsDelta unchanged
    points { available pending lifetime debt }
    errors { code field message }
  }
}
"""
REFUND = """
mutation Refund($input: RefundOrderInput!) {
  refundOrder(input: $input) {
    order { refunded reversedPoints points }
    reversedPoints shortfall replayed
    points { available pending lifetime debt }
    errors { code field message }
  }
}
"""
ADJUST = """
mutation Adjust($input: AdjustPointsInput!) {
  adjustPoints(input: $input) {
    points { available pending lifetime debt }
    errors { code field message }
  }
}
"""
POINTS = """
query Points($id: ID!, $days: Int!) {
  member(id: $id) {
    points { available pending lifetime debt expiring(withinDays: $days) { points expiresAt } }
  }
}
"""


async def configure(gql: GraphQLClient, kit: TenantKit, **fields: Any) -> int:
    data = await gql(CONFIGURE, {"input": fields}, token=kit.operator_token, tenant=kit.slug)
    payload = data["configureProgram"]
    assert payload["errors"] == [], payload
    version: int = payload["program"]["version"]
    return version


async def enroll(gql: GraphQLClient, kit: TenantKit, **fields: Any) -> str:
    """Enrols a member (a random externalId unless given); returns its global id."""
    body = {"externalId": uuid.uuid4().hex, **fields}
    data = await gql(ENROLL, {"input": body}, token=kit.secret_key)
    assert data["enrollMember"]["errors"] == [], data
    member_id: str = data["enrollMember"]["member"]["id"]
    return member_id


def order(
    order_id: str,
    member_id: str | None,
    *lines: tuple[str, int, int],
    placed_at: datetime = CLOCK_START,
    **extra: Any,
) -> dict[str, Any]:
    """An order body; lines are (sku, quantity, unit price in cents)."""
    body: dict[str, Any] = {
        "orderId": order_id,
        "currency": "USD",
        "placedAt": placed_at.isoformat(),
        "lines": [{"sku": s, "quantity": q, "unitPrice": p} for s, q, p in lines],
        **extra,
    }
    if member_id is not None:
        body["memberId"] = member_id
    return body


async def record(gql: GraphQLClient, kit: TenantKit, body: dict[str, Any]) -> dict[str, Any]:
    data = await gql(RECORD, {"input": body}, token=kit.secret_key)
    result: dict[str, Any] = data["recordOrder"]
    return result


async def earn(gql: GraphQLClient, kit: TenantKit, body: dict[str, Any]) -> int:
    """Records an order that must be accepted; returns the points it moved."""
    result = await record(gql, kit, body)
    assert result["errors"] == [], result
    points: int = result["pointsDelta"]
    return points


async def refund(gql: GraphQLClient, kit: TenantKit, **fields: Any) -> dict[str, Any]:
    data = await gql(REFUND, {"input": fields}, token=kit.secret_key)
    result: dict[str, Any] = data["refundOrder"]
    return result


async def adjust(gql: GraphQLClient, kit: TenantKit, member_id: str, points: int) -> dict:
    data = await gql(
        ADJUST, {"input": {"memberId": member_id, "points": points}}, token=kit.secret_key
    )
    result: dict[str, Any] = data["adjustPoints"]
    return result


async def points_of(gql: GraphQLClient, kit: TenantKit, member_id: str, days: int = 30) -> dict:
    data = await gql(POINTS, {"id": member_id, "days": days}, token=kit.secret_key)
    points: dict[str, Any] = data["member"]["points"]
    return points


def balance(points: dict[str, Any]) -> tuple[int, int, int, int]:
    """(available, pending, lifetime, debt) of a `points` object."""
    return (points["available"], points["pending"], points["lifetime"], points["debt"])


async def schema_of(services: Services, kit: TenantKit) -> str:
    tenant = await services.registry.get(UUID(kit.id))
    assert tenant is not None
    return tenant.schema_name


async def fetch(services: Services, kit: TenantKit, sql: str, *args: Any) -> list[dict]:
    """Rows of `sql` run in the tenant's schema (tests read the tables the API writes)."""
    tenant = await services.registry.get(UUID(kit.id))
    assert tenant is not None
    async with services.clusters.of(tenant).acquire() as conn, conn.transaction():
        await conn.execute("SELECT set_config('search_path', $1, true)", tenant.schema_name)
        return [dict(r) for r in await conn.fetch(sql, *args)]


async def lots_of(services: Services, kit: TenantKit) -> list[tuple[int, int, bool]]:
    """(points, remaining, pending) of every lot, oldest first."""
    rows = await fetch(services, kit, "SELECT points, remaining, pending FROM lots ORDER BY id")
    return [(r["points"], r["remaining"], r["pending"]) for r in rows]


async def ledger_rows(services: Services, kit: TenantKit) -> list[str]:
    """Every entry without its id, time and member, sorted: what two runs must agree on
    (twin tenants have different member ids; concurrent runs may interleave members)."""
    rows = await fetch(
        services,
        kit,
        """SELECT m.external_id, e.wallet, e.kind, e.available_delta, e.pending_delta,
                  e.lifetime_delta, e.debt_delta, e.shortfall, e.order_id, e.reason
           FROM ledger_entries e JOIN members m ON m.id = e.member_id ORDER BY e.id""",
    )
    return sorted(repr(tuple(r.values())) for r in rows)


async def balances_of(services: Services, kit: TenantKit) -> dict[str, tuple[int, ...]]:
    """(available, pending, lifetime, debt) of every member, by external id."""
    rows = await fetch(
        services,
        kit,
        """SELECT m.external_id, b.available, b.pending, b.lifetime, b.debt
           FROM balances b JOIN members m ON m.id = b.member_id""",
    )
    return {
        r["external_id"]: (r["available"], r["pending"], r["lifetime"], r["debt"]) for r in rows
    }
