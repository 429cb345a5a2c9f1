"""Reading segments: the definitions in force, one segment's members and count, the segments
a member is in, and a win-back campaign with its results."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from domain.errors import DomainError
from domain.ports import UnitOfWorkFactory
from domain.records.members import Member
from domain.records.segments import Campaign, WinBack
from domain.segments import Segment, in_force

MAX_WIN_BACK_DAYS = 3660


async def segments_in_force(uow_factory: UnitOfWorkFactory) -> list[Segment]:
    async with uow_factory() as uow:
        return in_force(await uow.segments.stored())


async def segment_by_key(uow_factory: UnitOfWorkFactory, key: str) -> Segment | None:
    found = [s for s in await segments_in_force(uow_factory) if s.key == key.strip().lower()]
    return found[0] if found else None


async def segment_members(
    uow_factory: UnitOfWorkFactory, key: str, after_seq: int | None, limit: int
) -> list[Member]:
    async with uow_factory() as uow:
        ids = await uow.segments.member_page(key, after_seq, limit)
        found = {m.id: m for m in await uow.members.get_many(ids)}
    return [found[i] for i in ids if i in found]


async def segment_count(uow_factory: UnitOfWorkFactory, key: str) -> int:
    async with uow_factory() as uow:
        return await uow.segments.count(key)


async def segments_of_members(
    uow_factory: UnitOfWorkFactory, member_ids: Sequence[UUID]
) -> dict[UUID, frozenset[str]]:
    async with uow_factory() as uow:
        return await uow.segments.of_members(member_ids)


async def campaign_by_key(uow_factory: UnitOfWorkFactory, key: str) -> Campaign | None:
    async with uow_factory() as uow:
        return await uow.campaigns.by_key(key)


async def win_back(uow_factory: UnitOfWorkFactory, campaign_id: UUID, days: int) -> WinBack:
    """Of the campaign's members granted, those with an order (not refunded in full) in the
    `days` after their grant."""
    if not 1 <= days <= MAX_WIN_BACK_DAYS:
        raise DomainError(f"days must be 1 to {MAX_WIN_BACK_DAYS}.", field=("days",))
    async with uow_factory() as uow:
        return await uow.campaigns.win_back(campaign_id, days)


async def win_back_in_period(
    uow_factory: UnitOfWorkFactory, start: datetime, end: datetime, days: int
) -> WinBack:
    """Of the members granted by any campaign in [start, end), those with an order (not
    refunded in full) in the `days` after their grant."""
    if not 1 <= days <= MAX_WIN_BACK_DAYS:
        raise DomainError(f"days must be 1 to {MAX_WIN_BACK_DAYS}.", field=("days",))
    async with uow_factory() as uow:
        return await uow.campaigns.win_back_granted_between(start, end, days)
