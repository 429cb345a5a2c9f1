"""Facts written straight into a tenant's tables (the rollup triggers on), for the tests of
the analytics rollups: members, and ledger entries at given instants."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

_ENTRY = """INSERT INTO ledger_entries (member_id, wallet, kind, available_delta, pending_delta,
                                        lifetime_delta, actor, created_at)
            VALUES ($1, 'points', $2, $3, $4, 0, 'test', $5)"""


async def add_members(conn: Any, count: int, prefix: str, enrolled_at: datetime) -> list[uuid.UUID]:
    """`count` members enrolled at `enrolled_at`, on a connection in the tenant's schema."""
    ids = [uuid.uuid4() for _ in range(count)]
    for n, member in enumerate(ids):
        await conn.execute(
            "INSERT INTO members (id, external_id, referral_code, enrolled_at)"
            " VALUES ($1, $2, $3, $4)",
            member,
            f"{prefix}-{n}",
            f"{prefix.upper()}{n}",
            enrolled_at,
        )
    return ids


async def add_entry(
    conn: Any, member: uuid.UUID, kind: str, available: int, at: datetime, pending: int = 0
) -> None:
    """A ledger entry of the default wallet written at `at`."""
    await conn.execute(_ENTRY, member, kind, available, pending, at)
