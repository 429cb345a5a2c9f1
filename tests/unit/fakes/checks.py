"""The ledger invariant over a fake database (tests/support/ledger_checks.py reads the same
from a tenant schema): each balance row is the column-wise sum of its entries, and its open
lots hold what it says is available and pending."""

from __future__ import annotations

from uuid import UUID

from tests.unit.fakes.tables import FakeDatabase


def ledger_mismatches(db: FakeDatabase) -> list[dict[str, object]]:
    tables = db.tables
    found: list[dict[str, object]] = []
    for (member_id, wallet), row in tables.balances.items():
        b = row.balance
        entries = [
            e.entry
            for e in tables.entries.values()
            if e.entry.member_id == member_id and e.entry.wallet == wallet
        ]
        lots = [
            lot
            for lot in tables.lots.values()
            if lot.member_id == member_id and lot.wallet == wallet
        ]
        sums = {
            "available": sum(e.available_delta for e in entries),
            "pending": sum(e.pending_delta for e in entries),
            "lifetime": sum(e.lifetime_delta for e in entries),
            "debt": sum(e.debt_delta for e in entries),
        }
        lots_available = sum(lot.remaining for lot in lots if not lot.pending)
        lots_pending = sum(lot.remaining for lot in lots if lot.pending)
        held = {"available": b.available, "pending": b.pending, "lifetime": b.lifetime}
        held["debt"] = b.debt
        if held != sums or (lots_available, lots_pending) != (b.available, b.pending):
            found.append(
                {"member": member_id, "wallet": wallet, "balance": held, "entries": sums}
                | {"lots": (lots_available, lots_pending)}
            )
    return found


def assert_ledger_consistent(db: FakeDatabase) -> None:
    assert ledger_mismatches(db) == []


def entry_count(db: FakeDatabase, member_id: UUID) -> int:
    return sum(e.entry.member_id == member_id for e in db.tables.entries.values())
