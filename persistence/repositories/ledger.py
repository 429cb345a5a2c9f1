"""Balances, lots and ledger entries in a tenant schema.

The balance row lock taken by `lock_balance` serialises every change of one member's wallet,
so lot reads and updates below need no locks of their own. Everything read under that lock
is an index range scan whatever PostgreSQL's statistics say, and the due lots are read only
once the row's `next_due_at` (kept by triggers on `lots`, tenant migration 0014) has passed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from uuid import UUID

import asyncpg

from domain.ledger import Balance, EntryKind, LedgerEntry, Lot, LotDraw, NewEntry
from domain.records.segments import RefreshInputs
from domain.records.webhooks import NewEvent
from persistence import audit_trail
from persistence.db import Conn
from persistence.repositories import credit_at_once
from persistence.repositories.records import rebuilder
from persistence.repositories.segments import refresh_inputs_of
from persistence.repositories.webhooks import PgEventOutbox, event_arguments

_ENTRY_COLUMNS = (
    "id, member_id, wallet, kind, available_delta, pending_delta, lifetime_delta,"
    " reason, note, created_at, debt_delta, shortfall, order_id, rate, config_version, actor"
)
_BALANCE_COLUMNS = "member_id, wallet, available, pending, lifetime, version, debt"
_LOT_COLUMNS = (
    "id, member_id, wallet, points, remaining, available_at, expires_at, pending, order_id"
)


# Lots read at a time while looking for enough to cover a spend.
_SPEND_BATCH = 100

_BALANCE_NAMES = _BALANCE_COLUMNS.split(", ")
_LOT_NAMES = _LOT_COLUMNS.split(", ")


# Due lots read at a time from each index (a batch of either that comes back full is read
# on from where it stopped).
DUE_BATCH = 500
_AFTER = " AND ({column}, id) > ($4, $5)"


# The lots due by $3 in one of two streams, each an index range scan with a LIMIT in the
# index's order, the plan PostgreSQL picks whatever its statistics say: pending lots that
# matured (lots_maturing_member) and open lots that expired without maturing now
# (lots_expiring_member). `gate` is the same for every row, so the planner runs the scan
# only when it holds; `after` reads on from the keyset ($4, $5), $6 at a time.
def _maturing_sql(gate: str = "true", *, after: bool = False) -> str:
    return f"""SELECT {_LOT_COLUMNS} FROM lots
        WHERE {gate} AND member_id = $1 AND wallet = $2
          AND pending AND remaining > 0 AND available_at <= $3
          {_AFTER.format(column="available_at") if after else ""}
        ORDER BY available_at, id LIMIT {"$6" if after else DUE_BATCH}"""


def _expiring_sql(gate: str = "true", *, after: bool = False) -> str:
    return f"""SELECT {_LOT_COLUMNS} FROM lots
        WHERE {gate} AND member_id = $1 AND wallet = $2
          AND remaining > 0 AND expires_at <= $3 AND NOT (pending AND available_at <= $3)
          {_AFTER.format(column="expires_at") if after else ""}
        ORDER BY expires_at, id LIMIT {"$6" if after else DUE_BATCH}"""


DUE_MATURING = _maturing_sql(after=True)
DUE_EXPIRING = _expiring_sql(after=True)
# The first batch of both streams.
DUE_LOTS = f"({_maturing_sql()}) UNION ALL ({_expiring_sql()})"
_GATE = "(SELECT next_due_at <= $3 FROM locked)"
# The balance row locked, whether its next_due_at has passed, the version the statement's
# snapshot saw, and the first batch of both streams of lots due by $3 (lot columns prefixed `lot_`;
# one row of nulls when none is). The lots are read only when next_due_at says one may be due.
LOCK_WITH_DUE_LOTS = f"""
    WITH locked AS MATERIALIZED (
        SELECT {_BALANCE_COLUMNS}, next_due_at FROM balances
        WHERE member_id = $1 AND wallet = $2 FOR UPDATE),
    due AS MATERIALIZED (({_maturing_sql(_GATE)}) UNION ALL ({_expiring_sql(_GATE)}))
    SELECT locked.*, coalesce(locked.next_due_at <= $3, false) AS may_be_due,
           (SELECT version FROM balances WHERE member_id = $1 AND wallet = $2) AS seen_version,
           {", ".join(f"due.{c} AS lot_{c}" for c in _LOT_NAMES)}
    FROM locked
    LEFT JOIN due ON true
    ORDER BY due.id"""
_LOCK = f"""SELECT {_BALANCE_COLUMNS}, coalesce(next_due_at <= $3, false) AS may_be_due
    FROM balances WHERE member_id = $1 AND wallet = $2 FOR UPDATE"""
# Nothing was due although next_due_at had passed (it is never later than the truth, often
# sooner): recount it from the open lots, two one-row index reads.
RECOUNT_NEXT_DUE = """
    UPDATE balances SET next_due_at = least(
        (SELECT available_at FROM lots
         WHERE member_id = $1 AND wallet = $2 AND pending AND remaining > 0
         ORDER BY available_at LIMIT 1),
        (SELECT expires_at FROM lots
         WHERE member_id = $1 AND wallet = $2 AND remaining > 0 AND expires_at IS NOT NULL
         ORDER BY expires_at LIMIT 1))
    WHERE member_id = $1 AND wallet = $2"""
# Open available lots in spend order after the keyset ($3, $4, $5), $6 at a time (null:
# all): a range scan of lots_spend_order from its first key on, whatever the statistics say.
# The first read starts after (false, now, the largest id): lots expiring after now, then
# the never-expiring ones.
SPENDABLE_LOTS = f"""SELECT {_LOT_COLUMNS} FROM lots
    WHERE member_id = $1 AND wallet = $2 AND remaining > 0 AND NOT pending
      AND ((expires_at IS NULL), coalesce(expires_at, available_at), id) > ($3, $4, $5)
    ORDER BY (expires_at IS NULL), coalesce(expires_at, available_at), id
    LIMIT $6"""
_LAST_ID = 2**63 - 1
ORDER_LOTS = f"""SELECT {_LOT_COLUMNS} FROM lots
    WHERE order_id = $1 AND member_id = $2 AND wallet = $3 AND remaining > 0
    ORDER BY id DESC"""

MARK_AVAILABLE = "UPDATE lots SET pending = false WHERE id = ANY($1::bigint[])"
# Draws $3 points from each lot of $2 for entry $1.
DRAW = """WITH d AS (SELECT * FROM unnest($2::bigint[], $3::bigint[]) AS d(lot_id, points)),
                    drawn AS (INSERT INTO lot_draws (entry_id, lot_id, points)
                              SELECT $1, lot_id, points FROM d)
               UPDATE lots SET remaining = lots.remaining - d.points
               FROM d WHERE lots.id = d.lot_id"""
UNDRAW = f"""UPDATE lots SET remaining = lots.remaining + d.points
                FROM lot_draws d WHERE d.entry_id = $1 AND lots.id = d.lot_id
                RETURNING {", ".join("lots." + c for c in _LOT_COLUMNS.split(", "))}"""

# What an order's entries earned and took back in a wallet (stamps read it under the lock).
ORDER_TOTALS = """SELECT coalesce(sum(lifetime_delta) FILTER (WHERE kind = 'EARN'), 0) AS earned,
                      coalesce(-sum(lifetime_delta) FILTER (WHERE kind = 'REVERSE'), 0)
                        AS reversed
               FROM ledger_entries
               WHERE member_id = $1 AND wallet = $2 AND order_id = $3"""
COUNT_ENTRIES = (
    "SELECT count(*) FROM ledger_entries WHERE member_id = $1 AND wallet = $2 AND kind = $3"
)
COUNT_ENTRIES_OF = (
    "SELECT member_id, count(*) AS n FROM ledger_entries"
    " WHERE member_id = ANY($1::uuid[]) AND wallet = $2 AND kind = $3 GROUP BY member_id"
)

_APPEND = (
    """INSERT INTO ledger_entries
    (member_id, wallet, kind, available_delta, pending_delta, lifetime_delta,
     reason, note, idempotency_key, actor, created_at, debt_delta, shortfall,
     order_id, rate, config_version)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
    RETURNING """
    + _ENTRY_COLUMNS
)
# The key ($9) was claimed earlier in this transaction; its result is the entry, recorded in
# the same statement (the same JSON as IdempotencyStore.complete writes).
_APPEND_ANSWERING_KEY = f"""WITH entry AS ({_APPEND}),
    answered AS (UPDATE idempotency_keys SET result = jsonb_build_object('entryId', entry.id)
                 FROM entry WHERE idempotency_keys.key = $9)
    SELECT * FROM entry"""


# _ENTRY_COLUMNS in the order of domain.ledger.LedgerEntry's fields, so a row maps by
# position (a history page maps fifty); the kind is looked up, not parsed, per row.
_KINDS = {kind.value: kind for kind in EntryKind}
_rebuild_entry = rebuilder(LedgerEntry)


def _entry(row: asyncpg.Record) -> LedgerEntry:
    values = row[:16]  # _ENTRY_COLUMNS, in LedgerEntry's field order; the kind is 4th
    kind = values[3]
    return _rebuild_entry(*values[:3], _KINDS.get(kind) or EntryKind(kind), *values[4:])


def _balance(row: asyncpg.Record) -> Balance:
    return Balance(*row.values())


def _lot(row: asyncpg.Record) -> Lot:
    return Lot(*row.values())


def _balance_of(row: asyncpg.Record) -> Balance:
    return Balance(*(row[c] for c in _BALANCE_NAMES))


def _lot_of(row: asyncpg.Record) -> Lot:
    return Lot(*(row["lot_" + c] for c in _LOT_NAMES))


class PgLedgerRepository:
    """`outbox`: the unit of work's, whose pending events `credit_at_once_refreshing` writes
    with its credit. `gated`: waits for the process's gate of a wallet, held until the
    transaction ends, before an at-once credit takes its balance row lock
    (persistence/member_gates.py)."""

    def __init__(
        self,
        conn: Conn,
        outbox: PgEventOutbox | None = None,
        gated: Callable[[tuple[UUID, str]], Awaitable[None]] | None = None,
    ) -> None:
        self._conn = conn
        self._outbox = outbox if outbox is not None else PgEventOutbox()
        self._gated = gated

    async def lock_balance(self, member_id: UUID, wallet: str) -> Balance:
        return _balance_of(await self._lock(member_id, wallet, None))

    async def _lock(self, member_id: UUID, wallet: str, now: datetime | None) -> asyncpg.Record:
        row = await self._conn.fetchrow(_LOCK, member_id, wallet, now)
        if row is None:
            await self._conn.execute(
                "INSERT INTO balances (member_id, wallet) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                member_id,
                wallet,
            )
            row = await self._conn.fetchrow(_LOCK, member_id, wallet, now)
        assert row is not None
        return row

    async def lock_balance_with_due_lots(
        self, member_id: UUID, wallet: str, now: datetime
    ) -> tuple[Balance, list[Lot]]:
        # One round trip for both, unless the lock had to wait: the lots are read from the
        # statement's snapshot, taken before the lock was granted, while the locked row is
        # the latest. Every change of a wallet's lots changes its balance row's version under
        # this lock, so a version the snapshot also saw means no change came in between;
        # any other version, and a row that is not there yet, take the separate reads.
        rows = await self._conn.fetch(LOCK_WITH_DUE_LOTS, member_id, wallet, now)
        if rows and rows[0]["seen_version"] == rows[0]["version"]:
            locked = rows[0]
            lots = await self._read_on(
                member_id, wallet, now, [_lot_of(r) for r in rows if r["lot_id"] is not None]
            )
        else:
            locked = await self._lock(member_id, wallet, now)
            lots = await self.due_lots(member_id, wallet, now) if locked["may_be_due"] else []
        if locked["may_be_due"] and not lots:
            # Once per due time: lots due now stay in the count until they are settled, so
            # a transaction that reads them and does not settle them leaves it correct.
            await self._conn.execute(RECOUNT_NEXT_DUE, member_id, wallet)
        return _balance_of(locked), lots

    async def read_balance(self, member_id: UUID, wallet: str) -> Balance:
        row = await self._conn.fetchrow(
            f"SELECT {_BALANCE_COLUMNS} FROM balances WHERE member_id = $1 AND wallet = $2",
            member_id,
            wallet,
        )
        return _balance(row) if row else Balance.empty(member_id, wallet)

    async def read_balances(self, member_ids: Sequence[UUID], wallet: str) -> dict[UUID, Balance]:
        rows = await self._conn.fetch(
            f"SELECT {_BALANCE_COLUMNS} FROM balances"
            " WHERE member_id = ANY($1::uuid[]) AND wallet = $2",
            list(member_ids),
            wallet,
        )
        found = {b.member_id: b for b in map(_balance, rows)}
        return {m: found.get(m) or Balance.empty(m, wallet) for m in member_ids}

    async def save_balance(self, balance: Balance, activity_at: datetime | None = None) -> None:
        await self._conn.execute(
            """UPDATE balances SET available = $3, pending = $4, lifetime = $5, version = $6,
                   debt = $7, last_activity_at = COALESCE($8, last_activity_at),
                   updated_at = now()
               WHERE member_id = $1 AND wallet = $2""",
            balance.member_id,
            balance.wallet,
            balance.available,
            balance.pending,
            balance.lifetime,
            balance.version,
            balance.debt,
            activity_at,
        )

    async def append(self, entry: NewEntry, at: datetime) -> LedgerEntry:
        answers_key = entry.answers_key and entry.idempotency_key is not None
        row = await self._conn.fetchrow(
            _APPEND_ANSWERING_KEY if answers_key else _APPEND,
            entry.member_id,
            entry.wallet,
            entry.kind.value,
            entry.available_delta,
            entry.pending_delta,
            entry.lifetime_delta,
            entry.reason,
            entry.note,
            entry.idempotency_key,
            entry.actor,
            at,
            entry.debt_delta,
            entry.shortfall,
            entry.order_id,
            entry.rate,
            entry.config_version,
        )
        assert row is not None
        return _entry(row)

    async def _at_gate(self, entry: NewEntry) -> None:
        """Through the wallet's gate, when this unit of work has gates: right before the
        statement that takes the balance row lock."""
        if self._gated is not None:
            await self._gated((entry.member_id, entry.wallet))

    async def credit_at_once(
        self, entry: NewEntry, expires_at: datetime | None, at: datetime
    ) -> tuple[LedgerEntry, Balance] | None:
        if not credit_at_once.fits(entry):
            return None
        await self._at_gate(entry)
        row = await self._conn.fetchrow(
            credit_at_once.CREDIT_AT_ONCE, *credit_at_once.arguments(entry, expires_at, at)
        )
        if row is None:
            return None
        return _entry(row), credit_at_once.balance_of(entry, row)

    async def credit_at_once_refreshing(
        self,
        entry: NewEntry,
        expires_at: datetime | None,
        at: datetime,
        announce: Callable[[LedgerEntry, Balance], NewEvent],
    ) -> tuple[LedgerEntry, Balance, RefreshInputs] | None:
        if not credit_at_once.fits(entry):
            return None
        await self._at_gate(entry)
        events = [*self._outbox.pending, credit_at_once.draft_event(entry, at, announce)]
        intent = audit_trail.pending()
        rows = await self._conn.fetch(
            credit_at_once.CREDIT_ANNOUNCED,
            *event_arguments(events),
            *audit_trail.values(intent),
            *credit_at_once.arguments(entry, expires_at, at, refresh=True),
        )
        if not rows:
            return None
        # Written with the credit: the unit of work has none of them left to write.
        self._outbox.pending = []
        if intent is not None:
            intent.written = True
        row = rows[0]
        return _entry(row), credit_at_once.balance_of(entry, row), refresh_inputs_of(rows)

    async def add_lot(
        self,
        entry_id: int,
        member_id: UUID,
        wallet: str,
        points: int,
        remaining: int,
        available_at: datetime,
        expires_at: datetime | None,
        *,
        pending: bool = False,
        order_id: str | None = None,
    ) -> Lot:
        row = await self._conn.fetchrow(
            f"""INSERT INTO lots (member_id, wallet, entry_id, points, remaining, available_at,
                                  expires_at, pending, order_id)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING {_LOT_COLUMNS}""",
            member_id,
            wallet,
            entry_id,
            points,
            remaining,
            available_at,
            expires_at,
            pending,
            order_id,
        )
        assert row is not None
        return _lot(row)

    async def spendable_lots(
        self, member_id: UUID, wallet: str, now: datetime, covering: int | None = None
    ) -> list[Lot]:
        lots: list[Lot] = []
        total = 0
        after: tuple[bool, datetime, int] = (False, now, _LAST_ID)
        while True:
            rows = await self._conn.fetch(
                SPENDABLE_LOTS,
                member_id,
                wallet,
                *after,
                _SPEND_BATCH if covering is not None else None,
            )
            batch = [_lot(r) for r in rows]
            lots += batch
            total += sum(lot.remaining for lot in batch)
            if covering is None or total >= covering or len(batch) < _SPEND_BATCH:
                return lots
            last = batch[-1]
            after = (last.expires_at is None, last.expires_at or last.available_at, last.id)

    async def due_lots(self, member_id: UUID, wallet: str, now: datetime) -> list[Lot]:
        rows = await self._conn.fetch(DUE_LOTS, member_id, wallet, now)
        return await self._read_on(member_id, wallet, now, [_lot(r) for r in rows])

    async def _read_on(
        self, member_id: UUID, wallet: str, now: datetime, first: list[Lot]
    ) -> list[Lot]:
        """All the lots due, from the first batch of each stream: a full one is read on."""
        maturing = [lot for lot in first if lot.pending and lot.available_at <= now]
        expiring = [lot for lot in first if not (lot.pending and lot.available_at <= now)]
        streams = (
            (DUE_MATURING, maturing, lambda lot: lot.available_at),
            (DUE_EXPIRING, expiring, lambda lot: lot.expires_at),
        )
        lots: list[Lot] = []
        for sql, batch, key in streams:
            lots += batch
            while len(batch) == DUE_BATCH:
                last = batch[-1]
                rows = await self._conn.fetch(
                    sql, member_id, wallet, now, key(last), last.id, DUE_BATCH
                )
                batch = [_lot(r) for r in rows]
                lots += batch
        return sorted(lots, key=lambda lot: lot.id)

    async def order_lots(self, order_id: str, member_id: UUID, wallet: str) -> list[Lot]:
        rows = await self._conn.fetch(
            ORDER_LOTS,
            order_id,
            member_id,
            wallet,
        )
        return [_lot(r) for r in rows]

    async def mark_available(self, lot_ids: list[int]) -> None:
        await self._conn.execute(MARK_AVAILABLE, lot_ids)

    async def draw(self, entry_id: int, draws: list[LotDraw]) -> None:
        lot_ids = [d.lot_id for d in draws]
        amounts = [d.points for d in draws]
        await self._conn.execute(
            DRAW,
            entry_id,
            lot_ids,
            amounts,
        )

    async def expiring(
        self, member_id: UUID, wallet: str, now: datetime, until: datetime
    ) -> list[tuple[datetime, int]]:
        rows = await self._conn.fetch(
            """SELECT expires_at, sum(remaining)::bigint AS points FROM lots
               WHERE member_id = $1 AND wallet = $2 AND remaining > 0 AND NOT pending
                 AND expires_at > $3 AND expires_at <= $4
               GROUP BY expires_at ORDER BY expires_at""",
            member_id,
            wallet,
            now,
            until,
        )
        return [(r["expires_at"], r["points"]) for r in rows]

    async def entry(self, entry_id: int) -> LedgerEntry | None:
        row = await self._conn.fetchrow(
            f"SELECT {_ENTRY_COLUMNS} FROM ledger_entries WHERE id = $1", entry_id
        )
        return _entry(row) if row else None

    async def keyed_entry(self, member_id: UUID, wallet: str, key: str) -> LedgerEntry | None:
        row = await self._conn.fetchrow(
            f"""SELECT {_ENTRY_COLUMNS} FROM ledger_entries
                WHERE member_id = $1 AND wallet = $2 AND idempotency_key = $3
                ORDER BY id DESC LIMIT 1""",
            member_id,
            wallet,
            key,
        )
        return _entry(row) if row else None

    async def balance_after(self, entry_id: int) -> Balance | None:
        row = await self._conn.fetchrow(
            """SELECT e.member_id, e.wallet, sum(x.available_delta)::bigint AS available,
                      sum(x.pending_delta)::bigint AS pending,
                      sum(x.lifetime_delta)::bigint AS lifetime, count(*) AS version,
                      sum(x.debt_delta)::bigint AS debt
               FROM ledger_entries e
               JOIN ledger_entries x
                 ON x.member_id = e.member_id AND x.wallet = e.wallet AND x.id <= e.id
               WHERE e.id = $1
               GROUP BY e.member_id, e.wallet""",
            entry_id,
        )
        return _balance_of(row) if row else None

    async def history(
        self, member_id: UUID, wallet: str | None, before_id: int | None, limit: int
    ) -> list[LedgerEntry]:
        rows = await self._conn.fetch(
            f"""SELECT {_ENTRY_COLUMNS} FROM ledger_entries
                WHERE member_id = $1 AND ($2::text IS NULL OR wallet = $2)
                  AND ($3::bigint IS NULL OR id < $3)
                ORDER BY id DESC LIMIT $4""",
            member_id,
            wallet,
            before_id,
            limit,
        )
        return [_entry(r) for r in rows]

    async def order_totals(self, order_id: str, member_id: UUID, wallet: str) -> tuple[int, int]:
        row = await self._conn.fetchrow(
            ORDER_TOTALS,
            member_id,
            wallet,
            order_id,
        )
        assert row is not None  # an aggregate always answers one row
        return int(row["earned"]), int(row["reversed"])

    async def count_entries(self, member_id: UUID, wallet: str, kind: EntryKind) -> int:
        found: int = await self._conn.fetchval(
            COUNT_ENTRIES,
            member_id,
            wallet,
            kind.value,
        )
        return found

    async def count_entries_of(
        self, member_ids: Sequence[UUID], wallet: str, kind: EntryKind
    ) -> dict[UUID, int]:
        rows = await self._conn.fetch(COUNT_ENTRIES_OF, list(member_ids), wallet, kind.value)
        found = dict.fromkeys(member_ids, 0)
        found.update((r["member_id"], r["n"]) for r in rows)
        return found

    async def wallets_with_due_lots(self, now: datetime, limit: int) -> list[tuple[UUID, str]]:
        rows = await self._conn.fetch(
            """SELECT DISTINCT member_id, wallet FROM (
                   (SELECT member_id, wallet FROM lots
                    WHERE pending AND remaining > 0 AND available_at <= $1 LIMIT $2)
                   UNION ALL
                   (SELECT member_id, wallet FROM lots
                    WHERE remaining > 0 AND expires_at <= $1 LIMIT $2)
               ) due LIMIT $2""",
            now,
            limit,
        )
        return [(r["member_id"], r["wallet"]) for r in rows]

    async def inactive_wallets(self, cutoff: datetime, limit: int) -> list[tuple[UUID, str]]:
        rows = await self._conn.fetch(
            """SELECT member_id, wallet FROM balances
               WHERE available > 0 AND last_activity_at <= $1
               ORDER BY last_activity_at LIMIT $2""",
            cutoff,
            limit,
        )
        return [(r["member_id"], r["wallet"]) for r in rows]

    async def last_activity(self, member_id: UUID, wallet: str) -> datetime | None:
        last: datetime | None = await self._conn.fetchval(
            "SELECT last_activity_at FROM balances WHERE member_id = $1 AND wallet = $2",
            member_id,
            wallet,
        )
        return last

    async def undraw(self, entry_id: int) -> list[Lot]:
        rows = await self._conn.fetch(
            UNDRAW,
            entry_id,
        )
        return [_lot(r) for r in rows]
