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
"""

from __future__ import annotations

from datetime import datetime

import asyncpg

from domain.ledger import MAX_BALANCE, Balance, NewEntry

CREDIT_AT_ONCE = f"""
WITH balance AS (
    UPDATE balances SET available = available + $4::bigint, lifetime = lifetime + $4::bigint,
           version = version + 1, last_activity_at = $10::timestamptz, updated_at = now()
    WHERE member_id = $1 AND wallet = $2 AND debt = 0
      AND (next_due_at IS NULL OR next_due_at > $10::timestamptz)
      AND available + pending + $4::bigint <= {MAX_BALANCE}
      AND lifetime + $4::bigint <= {MAX_BALANCE}
    RETURNING member_id, wallet, available, pending, lifetime, version, debt),
entry AS (
    INSERT INTO ledger_entries
        (member_id, wallet, kind, available_delta, pending_delta, lifetime_delta,
         reason, note, idempotency_key, actor, created_at, debt_delta, shortfall,
         order_id, rate, config_version)
    SELECT member_id, wallet, $3::text, $4::bigint, 0, $4::bigint, $5::text, $6::text,
           $7::text, $8::text, $10::timestamptz, 0, 0, NULL, NULL, $9::int
    FROM balance
    RETURNING id, member_id, wallet, kind, available_delta, pending_delta, lifetime_delta,
              reason, note, created_at, debt_delta, shortfall, order_id, rate, config_version,
              actor),
lot AS (
    INSERT INTO lots (member_id, wallet, entry_id, points, remaining, available_at,
                      expires_at, pending, order_id)
    SELECT member_id, wallet, id, $4::bigint, $4::bigint, $10::timestamptz,
           $11::timestamptz, false, NULL
    FROM entry),
answered AS (
    UPDATE idempotency_keys SET result = jsonb_build_object('entryId', entry.id)
    FROM entry WHERE idempotency_keys.key = $12::text)
SELECT entry.*, balance.available, balance.pending, balance.lifetime, balance.version,
       balance.debt
FROM entry, balance"""


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


def arguments(entry: NewEntry, expires_at: datetime | None, at: datetime) -> tuple[object, ...]:
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
    )


def balance_of(entry: NewEntry, row: asyncpg.Record) -> Balance:
    """The balance after the credit: the row's last five columns."""
    available, pending, lifetime, version, debt = row[16:21]
    return Balance(entry.member_id, entry.wallet, available, pending, lifetime, version, debt)
