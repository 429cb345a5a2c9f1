"""Points and ledger entries as clients see them."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from uuid import UUID

import strawberry

from api.context import Info
from api.schema.common.actors import AuditActor
from api.schema.common.ids import to_global_id
from api.schema.common.node import Node
from domain import entry_actors
from domain.ledger import Balance
from domain.ledger import EntryKind as DomainEntryKind
from domain.ledger import LedgerEntry as DomainEntry
from domain.reads.members import expiring_points
from engine.assemble import assemble

EntryKind = strawberry.enum(DomainEntryKind, name="EntryKind")


@strawberry.type(description="Points that will expire at one moment.")
class ExpiringPoints:
    points: int
    expires_at: datetime


@strawberry.type(description="A member's balance in one wallet.")
class Points:
    wallet: str
    available: int = strawberry.field(
        description="Spendable now; negative while a refund of spent points is owed."
    )
    pending: int = strawberry.field(description="Earned, not yet spendable (return window).")
    lifetime: int = strawberry.field(description="Everything ever earned in this wallet.")
    debt: int = strawberry.field(description="Points owed after refunds; paid off first.")
    member_id: strawberry.Private[UUID]

    @classmethod
    def of(cls, b: Balance) -> Points:
        # One per member of a page with points: assembled, not through __init__.
        return assemble(
            cls,
            {
                "wallet": b.wallet,
                "available": b.spendable,
                "pending": b.pending,
                "lifetime": b.lifetime,
                "debt": b.debt,
                "member_id": b.member_id,
            },
        )

    @strawberry.field(description="Available points that expire within the given days.")
    async def expiring(self, info: Info, within_days: int = 30) -> list[ExpiringPoints]:
        ctx = info.context
        rows = await expiring_points(
            ctx.uow, self.member_id, self.wallet, ctx.services.clock.now(), within_days
        )
        return [ExpiringPoints(points=p, expires_at=at) for at, p in rows]


@strawberry.type(description="One change of a member's points. The ledger is append-only.")
class LedgerEntry(Node):
    kind: EntryKind  # type: ignore[valid-type]
    wallet: str
    points: int = strawberry.field(description="The change the member sees.")
    available_delta: int
    pending_delta: int
    reason: str | None = strawberry.field(description="Shown to the member.")
    note: str | None = strawberry.field(description="Internal; null for member tokens.")
    order_id: str | None = strawberry.field(description="The order this entry is about.")
    shortfall: int = strawberry.field(
        description="Points a reversal could not take back because they were spent."
    )
    config_version: int | None = strawberry.field(
        description="The program version an earning or its reversal was computed under."
    )
    rate: str | None = strawberry.field(
        description="The earning rate it used, e.g. 'v3:2/USD' (version 3, 2 points per USD)."
    )
    created_at: datetime
    actor: AuditActor | None = strawberry.field(
        description="Who made it: an operator or API key (adjustPoints), an import, or the "
        "system (maturing, expiry); null where none was recorded (orders, actions, "
        "redemptions). Internal; null for member tokens."
    )

    @classmethod
    def of(cls, e: DomainEntry, *, internal: bool) -> LedgerEntry:
        return assemble(
            cls,
            {
                "id": to_global_id("LedgerEntry", e.id),  # strawberry.ID(x) is x
                "kind": e.kind,
                "wallet": e.wallet,
                "points": e.points,
                "available_delta": e.available_delta,
                "pending_delta": e.pending_delta,
                "reason": e.reason,
                "note": e.note if internal else None,
                "order_id": e.order_id,
                "shortfall": e.shortfall,
                "config_version": e.config_version,
                "rate": e.rate,
                "created_at": e.created_at,
                "actor": _actor(e.actor) if internal and e.actor else None,
            },
        )


# Entries repeat their makers (the system, an operator, an import): one object per maker,
# shared by every entry that names it, rather than one built per row of a page.
@lru_cache(maxsize=1024)
def _actor(stored: str) -> AuditActor | None:
    found = entry_actors.read(stored)
    return AuditActor.of(found) if found else None
