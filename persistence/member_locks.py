"""The member's transaction-level advisory lock: held from a transaction's first write of the
member's events, segment memberships or tier row to its COMMIT.

Events: a second transaction with an event of the same member draws its event ids only after
the first has committed, so one member's event ids follow the order of the commits, which is
what webhook deliveries are ordered by (persistence/repositories/webhooks.py).

Segment memberships and the tier row: a transaction takes the lock before it writes a
member's rows in `segment_members` or locks its row in `member_tiers`, so whoever holds
those rows holds the lock too, and never waits for it. A credit writes its event in the
statement that takes the balance lock (persistence/repositories/credit_at_once.py), and then
may evaluate the member's tier and change its segments: the order is the balance rows, this
lock, the tier and segment rows. (Deleting a whole segment deletes its rows without the
members' locks: it waits for no member's lock afterwards, so it closes no circle with a
credit.)

Erasure: the lock is taken before what the member's events say is cleared, so events
written before are cleared and those written after name the member as erased (tenant
migration 0026).
"""

from __future__ import annotations

_SPACE = 5502


def locking(members: str) -> str:
    """A query taking the lock of every member id `members` (a query of one uuid column,
    named `m`) yields: in one order, so two transactions never wait on each other in a
    circle. One row, the count."""
    return f"""SELECT count(pg_advisory_xact_lock({_SPACE}, hashtext(k.m::text))) AS n
      FROM (SELECT DISTINCT m FROM ({members}) s WHERE m IS NOT NULL ORDER BY m) k"""
