"""The member's transaction-level advisory lock: held from a transaction's first write of the
member's events, segment memberships or tier row to its COMMIT.

Events: a second transaction with an event of the same member draws its event ids only after
the first has committed, so one member's event ids follow the order of the commits, which is
what webhook deliveries are ordered by (persistence/repositories/webhooks.py).

Segment memberships and the tier row: a transaction takes the lock before it writes a
member's rows in `segment_members` or locks its row in `member_tiers`, so whoever holds
those rows holds the lock too, and never waits for it. A credit writes its event in the
statement that takes the balance lock (persistence/repositories/credit_at_once.py), and then
may evaluate the member's tier and change its segments: the order is the member's row (a
KEY SHARE lock, which a foreign key's check takes anyway, and `locking` takes first), the
balance rows, this lock, the tier and segment rows. An erasure locks the member's row FOR
UPDATE first, then this lock. (Deleting a whole segment deletes its rows without the
members' locks: it waits for no member's lock afterwards, so it closes no circle with a
credit.)

Erasure: the lock is taken before what the member's events say is cleared, so the
member's own events written before are cleared and those written after name the member as
erased (tenant migration 0026). An event naming the member in its data only (a referrer's
`referral.completed` names its referee) is written under the referrer's lock: what it says
of the referee is cleared when it committed before the clearing started, not otherwise.
"""

from __future__ import annotations

_SPACE = 5502


def locking(members: str) -> str:
    """A query taking the lock of every member id `members` (a query of one uuid column,
    named `m`) yields: in one order, so two transactions never wait on each other in a
    circle, each after a KEY SHARE lock on the member's row. One row, the count.

    The row first, as every writer that references the member takes it (a foreign key's
    check): an erasure, which locks the row FOR UPDATE and then takes this lock, and a
    writer holding this lock could otherwise wait for each other."""
    return f"""SELECT count(pg_advisory_xact_lock({_SPACE}, hashtext(k.m::text))) AS n
      FROM (SELECT DISTINCT m FROM ({members}) s WHERE m IS NOT NULL ORDER BY m) k
      LEFT JOIN LATERAL (SELECT 1 FROM members r WHERE r.id = k.m FOR KEY SHARE) r ON true"""
