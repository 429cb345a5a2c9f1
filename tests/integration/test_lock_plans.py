"""Every query run under a member's balance lock reads the member's lots through an index,
with no statistics at all (a bulk load never analysed, autovacuum off) and with stale ones
(analysed when the member had 10 lots), and the lock reads no lot at all until one is due."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from api.schema.common.ids import uuid_of
from domain.ledger import DEFAULT_WALLET
from persistence.repositories import ledger
from persistence.uow import PgUnitOfWorkFactory
from tests.support.bulk_lots import load_lots, without_autovacuum
from tests.support.earning import enroll, schema_of

LOTS = 25_000
INDEXED = {"Index Scan", "Index Only Scan", "Bitmap Heap Scan"}


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


def _lot_scans(explained: str, tables: tuple[str, ...] = ("lots",)) -> list[dict[str, Any]]:
    (top,) = json.loads(explained)
    return [
        node
        for node in _nodes(top["Plan"])
        if node.get("Relation Name") in tables and node["Node Type"] != "ModifyTable"
    ]


async def _locked_queries(conn: Any, member_id: UUID, now: datetime) -> dict[str, tuple]:
    """Each statement the ledger runs under the lock, with this member's parameters.

    Not the read of every spendable lot at once (inactivity expiry takes them all): reading
    all of a member's lots is a scan of the table when the member owns most of it."""
    wallet = DEFAULT_WALLET
    lot_ids = [r["id"] for r in await conn.fetch("SELECT id FROM lots ORDER BY id LIMIT 3")]
    entry_id = await conn.fetchval("SELECT min(entry_id) FROM lots")
    return {
        "lock with due lots": (ledger.LOCK_WITH_DUE_LOTS, member_id, wallet, now),
        "due lots": (ledger.DUE_LOTS, member_id, wallet, now),
        "recount next due": (ledger.RECOUNT_NEXT_DUE, member_id, wallet),
        "spendable, first batch": (
            ledger.SPENDABLE_LOTS,
            member_id,
            wallet,
            False,
            now,
            2**63 - 1,
            100,
        ),
        "spendable, next batch": (
            ledger.SPENDABLE_LOTS,
            member_id,
            wallet,
            False,
            now,
            lot_ids[0],
            100,
        ),
        "order lots": (ledger.ORDER_LOTS, "order-100", member_id, wallet),
        "mark available": (ledger.MARK_AVAILABLE, lot_ids),
        "draw": (ledger.DRAW, entry_id, lot_ids, [1, 1, 1]),
        "undraw": (ledger.UNDRAW, entry_id),
        "order totals": (ledger.ORDER_TOTALS, member_id, wallet, "order-100"),
        "stamp cards completed": (ledger.COUNT_ENTRIES, member_id, "stamps", "REDEEM"),
    }


async def _assert_lots_read_by_index(conn: Any, member_id: UUID, now: datetime) -> None:
    for name, (sql, *args) in (await _locked_queries(conn, member_id, now)).items():
        scans = await conn.fetchval("EXPLAIN (FORMAT JSON) " + sql, *args)
        kinds = [node["Node Type"] for node in _lot_scans(scans, ("lots", "ledger_entries"))]
        assert kinds, f"{name}: neither lots nor entries read at all?\n{scans}"
        assert set(kinds) <= INDEXED, f"{name}: {kinds}\n{scans}"


async def _member_with_lots(gql: Any, services: Any, tenant: Any, analysed_at: int | None):
    """A fresh tenant's member holding LOTS lots loaded in SQL, with autovacuum off; analysed
    once, when it held `analysed_at` lots, or never."""
    member_id = uuid_of(await enroll(gql, tenant), "Member")
    schema = await schema_of(services, tenant)
    async with services.pool.acquire() as conn:
        await conn.execute("SELECT set_config('search_path', $1, false)", schema)
        try:
            await without_autovacuum(conn, "lots", "balances", "ledger_entries", "lot_draws")
            loaded = 0
            if analysed_at is not None:
                await load_lots(conn, member_id, 1, analysed_at)
                for table in ("lots", "balances", "ledger_entries", "lot_draws"):
                    await conn.execute(f"ANALYZE {table}")
                loaded = analysed_at
            await load_lots(conn, member_id, loaded + 1, LOTS)
        finally:
            await conn.execute("RESET search_path")
    return schema, member_id


async def _explain_all(services: Any, schema: str, member_id: UUID) -> None:
    async with services.pool.acquire() as conn, conn.transaction():
        await conn.execute("SELECT set_config('search_path', $1, true)", schema)
        now = await conn.fetchval("SELECT now()")
        await _assert_lots_read_by_index(conn, member_id, now)
        # and an hour before the first lots mature, and once the first hundred have expired
        # (when all of them are due, reading them all is the work to do, by any plan)
        await _assert_lots_read_by_index(conn, member_id, now + timedelta(hours=23))
        first_expired = timedelta(days=30, seconds=100)
        await _assert_lots_read_by_index(conn, member_id, now + first_expired)


async def test_with_no_statistics_the_locked_queries_read_lots_by_index(gql, services, tenant):
    # given a member with 25,000 open lots loaded in SQL, never analysed
    schema, member_id = await _member_with_lots(gql, services, tenant, analysed_at=None)

    # when each query run under the balance lock is explained with the member's parameters
    # then every read of lots goes through an index, never a sequential scan
    await _explain_all(services, schema, member_id)


async def test_with_stale_statistics_the_locked_queries_read_lots_by_index(gql, services, tenant):
    # given a member analysed when it held 10 lots, then loaded up to 25,000 with no ANALYZE
    schema, member_id = await _member_with_lots(gql, services, tenant, analysed_at=10)

    # when each query run under the balance lock is explained with the member's parameters
    # then every read of lots goes through an index, never a sequential scan
    await _explain_all(services, schema, member_id)


async def test_the_lock_reads_no_lot_until_one_is_due(gql, services, tenant):
    # given a member with 25,000 lots, none due yet, whose lock has been taken once
    schema, member_id = await _member_with_lots(gql, services, tenant, analysed_at=None)
    uow = PgUnitOfWorkFactory(services.pool, schema)
    async with uow() as unit:
        now = await services.pool.fetchval("SELECT now()")
        _, due = await unit.ledger.lock_balance_with_due_lots(member_id, DEFAULT_WALLET, now)
    assert due == []

    # when the lock is taken again, and when it is taken after the first lots matured
    async with services.pool.acquire() as conn, conn.transaction():
        await conn.execute("SELECT set_config('search_path', $1, true)", schema)
        run = "EXPLAIN (ANALYZE, FORMAT JSON) " + ledger.LOCK_WITH_DUE_LOTS
        quiet = await conn.fetchval(run, member_id, DEFAULT_WALLET, now)
        later = await conn.fetchval(run, member_id, DEFAULT_WALLET, now + timedelta(days=2))

    # then the first reads no lot at all, and the second one batch of the matured ones
    assert {node["Actual Loops"] for node in _lot_scans(quiet)} == {0}
    read = sum(node["Actual Rows"] * node["Actual Loops"] for node in _lot_scans(later))
    assert read == ledger.DUE_BATCH

    # when the ledger locks the balance once the pending lots matured
    async with uow() as unit:
        _, due = await unit.ledger.lock_balance_with_due_lots(
            member_id, DEFAULT_WALLET, now + timedelta(days=2)
        )

    # then it has read on, batch after batch, to every matured lot, in id order
    assert len(due) == LOTS // 10
    assert all(lot.pending for lot in due)
    assert [lot.id for lot in due] == sorted({lot.id for lot in due})
