"""The real app plus bare Starlette endpoints doing the same work: the floors of the benchmark.

Run as one uvicorn worker (`uvicorn --factory bench.floor_app:create_floor_app`). The floors
share the app's pool and Redis client (app.state.services), so each comparison differs only
by what the GraphQL stack adds: authentication, parsing, validation, resolvers, units of
work and serialisation. Each floor answers with the same JSON as its GraphQL query.

Floors take their parameters from a small JSON body: `t` tenant id, `s` tenant schema,
`m` member id, `p` points, `k` idempotency key. They authenticate nobody: benchmarks only.
"""

from __future__ import annotations

import base64
import gc
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from api.http.app import create_app
from api.services import Services
from bench.gc_pauses import FullCollections
from domain import redemption
from domain.audit import Actor, AuditIntent
from domain.earning import Order, OrderLine
from domain.events import points_changed
from domain.ledger import DEFAULT_WALLET, EntryKind, NewEntry
from domain.orders import record_order
from domain.program import Channel
from domain.records.idempotency import Claim
from persistence import audit_trail
from persistence.balance_cache import balance_key
from persistence.repositories.ledger import _ENTRY_COLUMNS, PgLedgerRepository
from persistence.repositories.members import _COLUMNS as _MEMBER_COLUMNS
from persistence.repositories.members import PgMemberRepository
from persistence.repositories.webhooks import PgEventOutbox
from persistence.uow import PgUnitOfWorkFactory, begin_in_schema
from tenants.naming import assert_schema_name

PAGE = 50
# What the adjust floor claims its key with: any digest will do, the statement is the same.
_FINGERPRINT = "0" * 64
# Who the adjust floor's audit entries name: a secret key, as the benchmark's requests do.
_FLOOR_ACTOR = Actor("SECRET_KEY", "bench-floor", "lp_sk_floor")

# The repositories' queries, verbatim (persistence/repositories/members.py and ledger.py;
# their column lists are imported so they cannot drift), run without mapping rows to domain
# objects: the ratio measures the Python stack above the SQL, not a different query plan.
_MEMBER_PAGE_SQL = f"""SELECT {_MEMBER_COLUMNS} FROM members
                WHERE ($1::bigint IS NULL OR seq > $1)
                  AND ($2::text IS NULL OR status = $2)
                  AND ($3::text IS NULL OR email = $3)
                  AND ($4::text IS NULL OR name ILIKE '%' || $4 || '%'
                       OR email ILIKE '%' || $4 || '%' OR external_id = $4)
                  AND ($5::timestamptz IS NULL OR enrolled_at >= $5)
                  AND ($6::timestamptz IS NULL OR enrolled_at < $6)
                ORDER BY seq LIMIT $7"""
_MEMBER_SQL = f"SELECT {_MEMBER_COLUMNS} FROM members WHERE id = $1"
_HISTORY_SQL = f"""SELECT {_ENTRY_COLUMNS} FROM ledger_entries
                WHERE member_id = $1 AND ($2::text IS NULL OR wallet = $2)
                  AND ($3::bigint IS NULL OR id < $3)
                ORDER BY id DESC LIMIT $4"""


def _gid(type_name: str, raw: object) -> str:
    return base64.urlsafe_b64encode(f"{type_name}:{raw}".encode()).decode().rstrip("=")


def _cursor(position: int) -> str:
    return base64.urlsafe_b64encode(f"k:{position}".encode()).decode().rstrip("=")


def _json(data: Any) -> Response:
    return Response(orjson.dumps(data), media_type="application/json")


def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


async def status(request: Request) -> Response:
    """`me { points { available pending } }`: one HGETALL of the balance key."""
    body = orjson.loads(await request.body())
    key = balance_key(UUID(body["t"]), UUID(body["m"]), DEFAULT_WALLET)
    raw = await _services(request).redis.hgetall(key)
    points = {"available": int(raw[b"a"]), "pending": int(raw[b"p"])}
    return _json({"data": {"me": {"points": points}}})


async def adjust(request: Request) -> Response:
    """`adjustPoints` (positive): the statements adjustPoints issues, in one transaction; then
    the CAS.

    Through the app's own persistence adapters, so the statements are the ones adjustPoints
    issues for a tenant without tiers, and stay so: BEGIN with the search path in one round
    trip, the member read that claims the idempotency key, then the statement that credits
    (taking the balance lock), reads the segments' refresh inputs and writes the credit's
    event and the audit entry the app's hook announces for the request, when it takes it
    (else the balance lock that also reads the lots due, the entry that answers the key, its
    lot and the balance), and COMMIT.
    What it leaves out is everything above the SQL: GraphQL, authentication, the rate-limit
    budget, checking the input, the input's fingerprint and the use case's own logic (the
    segments' evaluation among it).
    """
    body = orjson.loads(await request.body())
    schema = assert_schema_name(body["s"])
    member_id, points, key = UUID(body["m"]), int(body["p"]), body["k"]
    services = _services(request)
    now = datetime.now(UTC)
    summary = {"memberId": body["m"], "points": points, "idempotencyKey": key}
    intent = AuditIntent(_FLOOR_ACTOR, "adjustPoints", body["m"], summary)
    async with services.pool.acquire() as conn:
        transaction = await begin_in_schema(conn, schema)
        try:
            member, claimed = await PgMemberRepository(conn).get_claiming(
                member_id, Claim(key, "adjustPoints", _FINGERPRINT, now)
            )
            assert member is not None and claimed
            ledger = PgLedgerRepository(conn, PgEventOutbox())
            new = NewEntry(
                member_id,
                DEFAULT_WALLET,
                EntryKind.ADJUST,
                points,
                0,
                points,
                body.get("r"),
                None,
                key,
                "secret_key",
                answers_key=True,
            )
            announced = audit_trail.current.set(intent)
            try:
                at_once = await ledger.credit_at_once_refreshing(new, None, now, points_changed)
            finally:
                audit_trail.current.reset(announced)
            if at_once is not None:
                entry, balance, _ = at_once
            else:
                balance, _ = await ledger.lock_balance_with_due_lots(member_id, DEFAULT_WALLET, now)
                entry = await ledger.append(new, now)
                await ledger.add_lot(entry.id, member_id, DEFAULT_WALLET, points, points, now, None)
                balance = balance.apply(points, 0, points)
                await ledger.save_balance(balance, activity_at=now)
        except BaseException:
            await transaction.rollback()
            raise
        await transaction.commit()
    await services.balances.put(balance_key(UUID(body["t"]), member_id, DEFAULT_WALLET), balance)
    payload = {
        "entry": {"id": _gid("LedgerEntry", entry.id), "points": points},
        "points": {"available": balance.available, "pending": balance.pending},
        "errors": [],
    }
    return _json({"data": {"adjustPoints": payload}})


async def _known_member(uow: PgUnitOfWorkFactory, member_id: UUID) -> UUID:
    # The resolvers look the named member up in a unit of work of its own first.
    async with uow() as work:
        found = await work.members.get(member_id)
    assert found is not None
    return found.id


async def order(request: Request) -> Response:
    """`recordOrder`: its use case (domain.orders.record_order) called as the resolver calls
    it, after the same member lookup: the same transactions, without the GraphQL stack."""
    body = orjson.loads(await request.body())
    services = _services(request)
    # With the process's memory of the program, as the app's requests have it.
    uow = PgUnitOfWorkFactory(services.pool, body["s"], services.programs)
    member_id = await _known_member(uow, UUID(body["m"]))
    placed_at = datetime(2026, 1, 15, 12, tzinfo=UTC)
    lines = (OrderLine("BEAN-1", 1, 1250, None),)
    result = await record_order(
        uow,
        services.balances.for_tenant(UUID(body["t"])),
        services.clock,
        Order(body["k"], member_id, "USD", Channel.WEB, placed_at, lines),
    )
    balance = result.balance
    payload = {
        "order": {"orderId": result.record.order.order_id},
        "pointsDelta": result.points_delta,
        "points": {"available": balance.available, "pending": balance.pending} if balance else None,
        "errors": [],
    }
    return _json({"data": {"recordOrder": payload}})


async def redeem(request: Request) -> Response:
    """`redeemReward`: its use case (domain.redemption.redeem_reward) called as the resolver
    calls it, after the same member lookup."""
    body = orjson.loads(await request.body())
    services = _services(request)
    # With the process's memory of the program, as the app's requests have it.
    uow = PgUnitOfWorkFactory(services.pool, body["s"], services.programs)
    member_id = await _known_member(uow, UUID(body["m"]))
    result = await redemption.redeem_reward(
        uow,
        services.balances.for_tenant(UUID(body["t"])),
        services.clock,
        member_id=member_id,
        reward_id=UUID(body["r"]),
        points=None,
        idempotency_key=body["k"],
    )
    balance = result.balance
    payload = {
        "redemption": {"code": result.redemption.code, "points": result.redemption.points},
        "points": {"available": balance.available, "pending": balance.pending} if balance else None,
        "errors": [],
    }
    return _json({"data": {"redeemReward": payload}})


async def members(request: Request) -> Response:
    """`members(first: 50)`: one keyset page of members in a tenant transaction."""
    body = orjson.loads(await request.body())
    schema = assert_schema_name(body["s"])
    async with _services(request).pool.acquire() as conn, conn.transaction():
        await conn.execute("SELECT set_config('search_path', $1, true)", schema)
        rows = await conn.fetch(_MEMBER_PAGE_SQL, None, None, None, None, None, None, PAGE + 1)
    edges = [
        {
            "cursor": _cursor(r["seq"]),
            "node": {
                "id": _gid("Member", r["id"]),
                "externalId": r["external_id"],
                "email": r["email"],
                "name": r["name"],
                "status": r["status"],
                "enrolledAt": r["enrolled_at"].isoformat(),
            },
        }
        for r in rows[:PAGE]
    ]
    page_info = {
        "hasNextPage": len(rows) > PAGE,
        "endCursor": edges[-1]["cursor"] if edges else None,
    }
    return _json({"data": {"members": {"edges": edges, "pageInfo": page_info}}})


async def members_points(request: Request) -> Response:
    """`members(first: 50) { … points { available pending } }`: the members floor's page
    query, then one pipeline of HGETALL of those members' balance keys."""
    body = orjson.loads(await request.body())
    schema = assert_schema_name(body["s"])
    tenant_id = UUID(body["t"])
    services = _services(request)
    async with services.pool.acquire() as conn, conn.transaction():
        await conn.execute("SELECT set_config('search_path', $1, true)", schema)
        rows = await conn.fetch(_MEMBER_PAGE_SQL, None, None, None, None, None, None, PAGE + 1)
    page = rows[:PAGE]
    async with services.redis.pipeline(transaction=False) as pipe:
        for r in page:
            pipe.hgetall(balance_key(tenant_id, r["id"], DEFAULT_WALLET))
        balances = await pipe.execute()
    edges = [
        {
            "cursor": _cursor(r["seq"]),
            "node": {
                "id": _gid("Member", r["id"]),
                "externalId": r["external_id"],
                "points": {"available": int(raw[b"a"]), "pending": int(raw[b"p"])},
            },
        }
        for r, raw in zip(page, balances, strict=True)
    ]
    page_info = {
        "hasNextPage": len(rows) > PAGE,
        "endCursor": edges[-1]["cursor"] if edges else None,
    }
    return _json({"data": {"members": {"edges": edges, "pageInfo": page_info}}})


async def history(request: Request) -> Response:
    """`member(id:) { history(first: 50) }`: the member, then a page of its entries."""
    body = orjson.loads(await request.body())
    schema = assert_schema_name(body["s"])
    member_id = UUID(body["m"])
    async with _services(request).pool.acquire() as conn, conn.transaction():
        await conn.execute("SELECT set_config('search_path', $1, true)", schema)
        found = await conn.fetchrow(_MEMBER_SQL, member_id)
        rows = await conn.fetch(_HISTORY_SQL, member_id, None, None, PAGE + 1) if found else []
    if not found:
        return _json({"data": {"member": None}})
    edges = [
        {
            "cursor": _cursor(r["id"]),
            "node": {
                "id": _gid("LedgerEntry", r["id"]),
                "kind": r["kind"],
                "points": r["available_delta"] or r["pending_delta"],
                "reason": r["reason"],
                "createdAt": r["created_at"].isoformat(),
            },
        }
        for r in rows[:PAGE]
    ]
    page_info = {
        "hasNextPage": len(rows) > PAGE,
        "endCursor": edges[-1]["cursor"] if edges else None,
    }
    return _json({"data": {"member": {"history": {"edges": edges, "pageInfo": page_info}}}})


FLOOR_ROUTES = [
    Route("/floor/status", status, methods=["POST"]),
    Route("/floor/adjust", adjust, methods=["POST"]),
    Route("/floor/order", order, methods=["POST"]),
    Route("/floor/redeem", redeem, methods=["POST"]),
    Route("/floor/members", members, methods=["POST"]),
    Route("/floor/members_points", members_points, methods=["POST"]),
    Route("/floor/history", history, methods=["POST"]),
]


def create_floor_app() -> Starlette:
    """The production app from the environment (LOYALTY_*), with the floor routes added."""
    app = create_app()
    app.router.routes.extend(FLOOR_ROUTES)
    # The benchmark sets its slowest requests against the app's full collections.
    collections = FullCollections()
    gc.callbacks.append(collections)
    app.router.routes.append(Route("/floor/gc", collections.endpoint, methods=["POST"]))
    return app
