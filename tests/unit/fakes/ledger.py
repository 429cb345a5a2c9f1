"""Balances, lots and the append-only ledger in memory, as
persistence/repositories/ledger.py keeps them.

Entries can only be appended: nothing here changes or removes one. A balance row is
checked as the schema checks it (available, pending and debt never below zero), and a lot
as its CHECK does (0 <= remaining <= points, points > 0).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from uuid import UUID

from domain.ledger import Balance, EntryKind, LedgerEntry, Lot, LotDraw, NewEntry, spend_order
from domain.records.segments import RefreshInputs
from domain.records.webhooks import NewEvent
from tests.unit.fakes.tables import (
    BalanceRow,
    EntryRow,
    Sequences,
    Tables,
    check,
    references,
    unique,
)

# Lots the real repository reads at a time while covering a spend: it returns whole batches.
SPEND_BATCH = 100


def _check_balance(b: Balance) -> None:
    check(b.available >= 0, "balances_available_check")
    check(b.pending >= 0, "balances_pending_check")
    check(b.debt >= 0, "balances_debt_check")


def _check_lot(lot: Lot) -> None:
    check(lot.points > 0, "lots_points_check")
    check(0 <= lot.remaining <= lot.points, "lots_remaining_check")


class FakeLedgerRepository:
    def __init__(self, tables: Tables, sequences: Sequences) -> None:
        self._tables = tables
        self._sequences = sequences

    async def lock_balance(self, member_id: UUID, wallet: str) -> Balance:
        rows = self._tables.balances
        if (member_id, wallet) not in rows:
            references(member_id in self._tables.members, "balances_member_id_fkey")
            rows[member_id, wallet] = BalanceRow(Balance.empty(member_id, wallet))
        return rows[member_id, wallet].balance

    async def lock_balance_with_due_lots(
        self, member_id: UUID, wallet: str, now: datetime
    ) -> tuple[Balance, list[Lot]]:
        return await self.lock_balance(member_id, wallet), await self.due_lots(
            member_id, wallet, now
        )

    async def read_balance(self, member_id: UUID, wallet: str) -> Balance:
        row = self._tables.balances.get((member_id, wallet))
        return row.balance if row else Balance.empty(member_id, wallet)

    async def read_balances(self, member_ids: Sequence[UUID], wallet: str) -> dict[UUID, Balance]:
        return {m: await self.read_balance(m, wallet) for m in member_ids}

    async def save_balance(self, balance: Balance, activity_at: datetime | None = None) -> None:
        key = (balance.member_id, balance.wallet)
        row = self._tables.balances.get(key)
        if row is None:  # an UPDATE of no row
            return
        _check_balance(balance)
        self._tables.balances[key] = BalanceRow(
            balance, activity_at if activity_at is not None else row.last_activity_at
        )

    async def credit_at_once(
        self, entry: NewEntry, expires_at: datetime | None, at: datetime
    ) -> tuple[LedgerEntry, Balance] | None:
        # The port allows declining: use cases take the plain way here, which the fakes
        # model. The real statement is compared with that way on PostgreSQL
        # (tests/integration/test_credit_at_once.py).
        return None

    async def credit_at_once_refreshing(
        self,
        entry: NewEntry,
        expires_at: datetime | None,
        at: datetime,
        announce: Callable[[LedgerEntry, Balance], NewEvent],
    ) -> tuple[LedgerEntry, Balance, RefreshInputs] | None:
        # Declined as `credit_at_once` is (tests/integration/test_credit_refreshing.py).
        return None

    async def append(self, entry: NewEntry, at: datetime) -> LedgerEntry:
        # The identity is drawn before any constraint is checked, as PostgreSQL does.
        written = entry.written(self._sequences.next("ledger_entries"), at)
        references(entry.member_id in self._tables.members, "ledger_entries_member_id_fkey")
        self._tables.entries[written.id] = EntryRow(written, entry.idempotency_key, entry.actor)
        key = entry.idempotency_key
        if entry.answers_key and key is not None and key in self._tables.idempotency_keys:
            claimed = self._tables.idempotency_keys[key]
            self._tables.idempotency_keys[key] = replace(claimed, result={"entryId": written.id})
        return written

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
        lot = Lot(
            self._sequences.next("lots"),
            member_id,
            wallet,
            points,
            remaining,
            available_at,
            expires_at,
            pending,
            order_id,
        )
        references(entry_id in self._tables.entries, "lots_entry_id_fkey")
        _check_lot(lot)
        self._tables.lots[lot.id] = lot
        return lot

    def _open_lots(self, member_id: UUID, wallet: str) -> list[Lot]:
        return [
            lot
            for lot in self._tables.lots.values()
            if lot.member_id == member_id and lot.wallet == wallet and lot.remaining > 0
        ]

    async def spendable_lots(
        self, member_id: UUID, wallet: str, now: datetime, covering: int | None = None
    ) -> list[Lot]:
        spendable = spend_order(
            [
                lot
                for lot in self._open_lots(member_id, wallet)
                if not lot.pending and (lot.expires_at is None or lot.expires_at > now)
            ]
        )
        if covering is None:
            return spendable
        taken: list[Lot] = []
        for start in range(0, len(spendable), SPEND_BATCH):
            taken += spendable[start : start + SPEND_BATCH]
            if sum(lot.remaining for lot in taken) >= covering:
                break
        return taken

    async def due_lots(self, member_id: UUID, wallet: str, now: datetime) -> list[Lot]:
        return sorted(
            (lot for lot in self._open_lots(member_id, wallet) if _due(lot, now)),
            key=lambda lot: lot.id,
        )

    async def order_lots(self, order_id: str, member_id: UUID, wallet: str) -> list[Lot]:
        return sorted(
            (lot for lot in self._open_lots(member_id, wallet) if lot.order_id == order_id),
            key=lambda lot: lot.id,
            reverse=True,
        )

    async def mark_available(self, lot_ids: list[int]) -> None:
        for lot_id in lot_ids:
            if lot_id in self._tables.lots:
                self._tables.lots[lot_id] = replace(self._tables.lots[lot_id], pending=False)

    async def draw(self, entry_id: int, draws: list[LotDraw]) -> None:
        for d in draws:
            references(entry_id in self._tables.entries, "lot_draws_entry_id_fkey")
            references(d.lot_id in self._tables.lots, "lot_draws_lot_id_fkey")
            check(d.points > 0, "lot_draws_points_check")
            unique((entry_id, d.lot_id) in self._tables.lot_draws, "lot_draws_pkey")
            self._tables.lot_draws[entry_id, d.lot_id] = d.points
            lot = self._tables.lots[d.lot_id]
            drawn = replace(lot, remaining=lot.remaining - d.points)
            _check_lot(drawn)
            self._tables.lots[d.lot_id] = drawn

    async def undraw(self, entry_id: int) -> list[Lot]:
        restored: list[Lot] = []
        for (drawn_by, lot_id), points in self._tables.lot_draws.items():
            if drawn_by != entry_id:
                continue
            lot = self._tables.lots[lot_id]
            back = replace(lot, remaining=lot.remaining + points)
            _check_lot(back)
            self._tables.lots[lot_id] = back
            restored.append(back)
        return restored

    async def wallets_with_due_lots(self, now: datetime, limit: int) -> list[tuple[UUID, str]]:
        due = dict.fromkeys(
            (lot.member_id, lot.wallet)
            for lot in sorted(self._tables.lots.values(), key=lambda lot: lot.id)
            if lot.remaining > 0 and _due(lot, now)
        )
        return list(due)[:limit]

    async def inactive_wallets(self, cutoff: datetime, limit: int) -> list[tuple[UUID, str]]:
        idle = [
            row
            for row in self._tables.balances.values()
            if row.balance.available > 0
            and row.last_activity_at is not None
            and row.last_activity_at <= cutoff
        ]
        idle.sort(key=lambda row: row.last_activity_at or cutoff)
        return [(row.balance.member_id, row.balance.wallet) for row in idle[:limit]]

    async def last_activity(self, member_id: UUID, wallet: str) -> datetime | None:
        row = self._tables.balances.get((member_id, wallet))
        return row.last_activity_at if row else None

    async def expiring(
        self, member_id: UUID, wallet: str, now: datetime, until: datetime
    ) -> list[tuple[datetime, int]]:
        by_time: dict[datetime, int] = {}
        for lot in self._open_lots(member_id, wallet):
            if not lot.pending and lot.expires_at is not None and now < lot.expires_at <= until:
                by_time[lot.expires_at] = by_time.get(lot.expires_at, 0) + lot.remaining
        return sorted(by_time.items())

    async def entry(self, entry_id: int) -> LedgerEntry | None:
        row = self._tables.entries.get(entry_id)
        return row.entry if row else None

    async def keyed_entry(self, member_id: UUID, wallet: str, key: str) -> LedgerEntry | None:
        found = [
            row.entry
            for row in self._tables.entries.values()
            if row.entry.member_id == member_id
            and row.entry.wallet == wallet
            and row.idempotency_key == key
        ]
        return max(found, key=lambda e: e.id, default=None)

    async def balance_after(self, entry_id: int) -> Balance | None:
        last = self._tables.entries.get(entry_id)
        if last is None:
            return None
        member_id, wallet = last.entry.member_id, last.entry.wallet
        upto = [
            row.entry
            for row in self._tables.entries.values()
            if row.entry.member_id == member_id
            and row.entry.wallet == wallet
            and row.entry.id <= entry_id
        ]
        return Balance(
            member_id,
            wallet,
            sum(e.available_delta for e in upto),
            sum(e.pending_delta for e in upto),
            sum(e.lifetime_delta for e in upto),
            len(upto),
            sum(e.debt_delta for e in upto),
        )

    async def history(
        self, member_id: UUID, wallet: str | None, before_id: int | None, limit: int
    ) -> list[LedgerEntry]:
        found = [
            row.entry
            for row in self._tables.entries.values()
            if row.entry.member_id == member_id
            and (wallet is None or row.entry.wallet == wallet)
            and (before_id is None or row.entry.id < before_id)
        ]
        found.sort(key=lambda e: e.id, reverse=True)
        return found[:limit]

    async def order_totals(self, order_id: str, member_id: UUID, wallet: str) -> tuple[int, int]:
        mine = [
            row.entry
            for row in self._tables.entries.values()
            if (row.entry.member_id, row.entry.wallet, row.entry.order_id)
            == (member_id, wallet, order_id)
        ]
        earned = sum(e.lifetime_delta for e in mine if e.kind is EntryKind.EARN)
        reversed_ = -sum(e.lifetime_delta for e in mine if e.kind is EntryKind.REVERSE)
        return earned, reversed_

    async def count_entries(self, member_id: UUID, wallet: str, kind: EntryKind) -> int:
        return sum(
            1
            for row in self._tables.entries.values()
            if (row.entry.member_id, row.entry.wallet, row.entry.kind) == (member_id, wallet, kind)
        )

    async def count_entries_of(
        self, member_ids: Sequence[UUID], wallet: str, kind: EntryKind
    ) -> dict[UUID, int]:
        return {m: await self.count_entries(m, wallet, kind) for m in member_ids}


def _due(lot: Lot, now: datetime) -> bool:
    """Matured while pending, or expired, by `now` (with points left)."""
    return (lot.pending and lot.available_at <= now) or (
        lot.expires_at is not None and lot.expires_at <= now
    )
