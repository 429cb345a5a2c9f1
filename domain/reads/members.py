"""Reading one member's records: ledger history, redemptions and moves between tiers."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from domain.ledger import LedgerEntry
from domain.ports import TierHistoryEntry, UnitOfWorkFactory
from domain.redemption import Redemption
from domain.rewards import RedemptionStatus
from domain.tiers import Tier


@dataclass(frozen=True, slots=True)
class TierMoves:
    """Moves between tiers, newest first, with every tier they name (archived ones too)."""

    moves: list[TierHistoryEntry]
    tiers: dict[UUID, Tier]


async def ledger_history(
    uow_factory: UnitOfWorkFactory,
    member_id: UUID,
    wallet: str | None,
    before_id: int | None,
    limit: int,
) -> list[LedgerEntry]:
    """Entries newest first; of every wallet when `wallet` is None."""
    async with uow_factory() as uow:
        return await uow.ledger.history(member_id, wallet, before_id, limit)


async def redemptions_of(
    uow_factory: UnitOfWorkFactory,
    member_id: UUID,
    before_seq: int | None,
    limit: int,
    statuses: tuple[RedemptionStatus, ...] = (),
) -> list[Redemption]:
    """Newest first; of any status when `statuses` is empty."""
    async with uow_factory() as uow:
        return await uow.redemptions.for_member(member_id, before_seq, limit, statuses)


async def tier_moves(
    uow_factory: UnitOfWorkFactory, member_id: UUID, before_id: int | None, limit: int
) -> TierMoves:
    async with uow_factory() as uow:
        found = await uow.tiers.history(member_id, before_id, limit)
        tiers = {x.id: x for x in await uow.tiers.all()}
    return TierMoves(found, tiers)
