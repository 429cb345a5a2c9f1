"""A credit available at once, written in one statement that takes the balance row lock.

The plain way (domain/wallet.py) holds the lock over four round trips: the lock with the due
lots, the entry, its lot, the balance. When nothing is due on the wallet (its next_due_at is
known and later than now), it has no debt and the credit cannot overflow, those four write
exactly this: no settling entry, an entry of the credit, a lot of the whole credit available
from now, and the balance moved by the same deltas with its version one higher. This does
the same in one statement whose UPDATE takes the row lock, so the lock is held from here to
the commit only. Otherwise it writes nothing (the UPDATE matches no row; a row it waited for
stays locked, which the plain way then locks anyway) and answers None: the caller takes the
plain way. tests/integration/test_credit_at_once.py
runs the same adjustments both ways and compares entries, lots, balances and keys.

For a tenant without tiers, the same call then reads the segments' refresh inputs of the
member, by a statement of the function's own that starts once the lock is held (so it sees
what the transaction it waited for committed); and the same statement writes the credit's
event with the unit of work's other pending events and its audit entry (CREDIT_ANNOUNCED):
the lock is then held over this round trip and the COMMIT, unless the refresh moves the
member into or out of a segment (its rows take one more round trip, and a segment entered
its event one more again).
tests/integration/test_credit_refreshing.py runs sequences of operations both ways and
compares ledgers, keys, segments and events.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import asyncpg

from domain.ledger import MAX_BALANCE, Balance, LedgerEntry, NewEntry
from domain.records.webhooks import NewEvent
from persistence import audit_trail
from persistence.repositories.webhooks import DELIVERIES, EVENT_CTES, EVENT_ROWS

# The function `credit_at_once` of tenant migration 0025: with its 14th argument true it
# then reads the segments' refresh inputs of the member after the lock is held
# (`segment_refresh_inputs`, as PgSegmentRepository.refresh_inputs does), its rows ending
# with that function's columns; false, one row whose last columns are NULL.
_TYPES = [
    "uuid",
    "text",
    "text",
    "bigint",
    "text",
    "text",
    "text",
    "text",
    "int",
    "timestamptz",
    "timestamptz",
    "text",
    "bigint",
    "boolean",
    "boolean",
]


def _call(first: int) -> str:
    """The function called with its arguments, the parameters from `first` on."""
    given = ", ".join(f"${first + i}::{t}" for i, t in enumerate(_TYPES))
    return f"credit_at_once({given})"


CREDIT_AT_ONCE = f"SELECT * FROM {_call(1)}"

# The credit, then, in the same statement, the unit of work's pending events with the
# credit's own last and its pending audit entry: what the unit of work would write just
# before its COMMIT (persistence/uow.py), so for most credits the lock is held over this
# round trip and the COMMIT only. Parameters: the events from $1 (`event_arguments`), the
# audit entry's seven from $6 (all NULL: none), the credit's from $13.
#
# The credit comes first: `incoming` reads its row, so the events' member lock
# (persistence/member_locks.py) is taken after the balance lock, the order the writers of a
# member's events, segment memberships and tier row keep; when it declines (no row),
# `incoming` and `audited` are empty and nothing is written. The credit's event is sent as
# written for a balance of zero and entry 0: its `entryId` and `balance` are set here from
# the credit's row, as domain.events.points_changed would set them
# (tests/integration/test_credit_refreshing.py compares the events with the plain way's but
# for `entryId`, tests/integration/test_credit_announced.py the whole event with
# points_changed of the entry and balance written). The endpoints the events go to are read
# as of the statement's start, before it waited for the lock (the plain way reads them a
# statement later; neither locks them); the member's externalId once the member's lock is
# held (tenant migration 0026).
CREDIT_ANNOUNCED = f"""WITH credited AS MATERIALIZED (SELECT * FROM {_call(13)}),
incoming AS (
    SELECT e.msg_id, e.type, e.member_id, e.at,
           CASE WHEN e.n < cardinality($1::uuid[]) THEN e.data
                ELSE (e.data::jsonb || jsonb_build_object(
                          'entryId', c.id,
                          'balance', jsonb_build_object(
                              'available', c.available - c.debt,
                              'pending', c.pending,
                              'lifetime', c.lifetime)))::text
           END AS data,
           e.n
      FROM {EVENT_ROWS}
     CROSS JOIN (SELECT * FROM credited LIMIT 1) c
),
{EVENT_CTES},
delivered AS ({DELIVERIES} RETURNING 1),
audited AS (
    {audit_trail.INSERT}
    SELECT $6::text, $7::text, $8::text, $9::text, $10::text, $11::jsonb, $12::text
      FROM (SELECT FROM credited LIMIT 1) c
     WHERE $9::text IS NOT NULL
    RETURNING seq
)
SELECT * FROM credited"""


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


def draft_event(
    entry: NewEntry, at: datetime, announce: Callable[[LedgerEntry, Balance], NewEvent]
) -> NewEvent:
    """The credit's event as `announce` writes it for the entry as it will be, but numbered
    0, and a balance of zero: CREDIT_ANNOUNCED sets those two from the credit's row."""
    written = entry.written(0, at)
    return announce(written, Balance(entry.member_id, entry.wallet, 0, 0, 0, 0, 0))


def balance_of(entry: NewEntry, row: asyncpg.Record) -> Balance:
    """The balance after the credit: the row's last five columns."""
    available, pending, lifetime, version, debt = row[16:21]
    return Balance(entry.member_id, entry.wallet, available, pending, lifetime, version, debt)
