"""A credit available at once, written in one statement that takes the balance row lock.

The plain way (domain/wallet.py) holds the lock over four round trips: the lock with the due
lots, the entry, its lot, the balance. When nothing is due on the wallet (its next_due_at is
known and later than now), it has no debt and the credit cannot overflow, those four write
exactly this: no settling entry, an entry of the credit, a lot of the whole credit available
from now, and the balance moved by the same deltas with its version one higher. This does
the same in one statement whose UPDATE takes the row lock, so the lock is held from here to
the commit only. Otherwise it writes nothing (the UPDATE matches no row, and no lock is
kept) and answers None: the caller takes the plain way. tests/integration/test_credit_at_once.py
runs the same adjustments both ways and compares entries, lots, balances and keys.

For a tenant without tiers, the same call then reads the segments' refresh inputs of the
member, by a statement of the function's own that starts once the lock is held (so it sees
what the transaction it waited for committed): the lock is then held over this call, the
audit entry with the events, and the COMMIT. tests/integration/test_credit_refreshing.py
runs sequences of operations both ways and compares ledgers, keys, segments and events.
"""

from __future__ import annotations

from datetime import datetime

import asyncpg

from domain.ledger import MAX_BALANCE, Balance, NewEntry

# The statement is the function `credit_at_once` of tenant migration 0025: with its
# 14th argument true it then reads the segments' refresh inputs of the member after the
# lock is held (`segment_refresh_inputs`, as PgSegmentRepository.refresh_inputs does), its
# rows ending with that function's columns; false, one row whose last columns are NULL.
CREDIT_AT_ONCE = (
    "SELECT * FROM credit_at_once($1::uuid, $2::text, $3::text, $4::bigint, $5::text,"
    " $6::text, $7::text, $8::text, $9::int, $10::timestamptz, $11::timestamptz, $12::text,"
    " $13::bigint, $14::boolean, $15::boolean)"
)


def fits(entry: NewEntry) -> bool:
    """An entry this statement writes as the plain way would: a credit, available now, that
    pays no debt and belongs to no order."""
    return (
        entry.available_delta > 0
        and entry.lifetime_delta == entry.available_delta
        and entry.pending_delta == 0
        and entry.debt_delta == 0
        and entry.shortfall == 0
        and entry.order_id is None
        and entry.rate is None
    )


def arguments(
    entry: NewEntry, expires_at: datetime | None, at: datetime, *, refresh: bool = False
) -> tuple[object, ...]:
    """With `refresh`, the refresh inputs are read as for a tenant without tiers."""
    answered_key = entry.idempotency_key if entry.answers_key else None
    return (
        entry.member_id,
        entry.wallet,
        entry.kind.value,
        entry.available_delta,
        entry.reason,
        entry.note,
        entry.idempotency_key,
        entry.actor,
        entry.config_version,
        at,
        expires_at,
        answered_key,
        MAX_BALANCE,
        refresh,
        False,
    )


def balance_of(entry: NewEntry, row: asyncpg.Record) -> Balance:
    """The balance after the credit: the row's last five columns."""
    available, pending, lifetime, version, debt = row[16:21]
    return Balance(entry.member_id, entry.wallet, available, pending, lifetime, version, debt)
