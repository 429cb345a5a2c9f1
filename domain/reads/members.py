"""Reading members and their records: a member by id or reference, a page of members, and
one member's ledger, expiring points, redemptions and moves between tiers, as a caller may
see them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from domain.errors import DomainError
from domain.ledger import LedgerEntry
from domain.members import normalise_email
from domain.ports import MemberFilter, TierHistoryEntry, UnitOfWorkFactory
from domain.records.members import Member, MemberStatus
from domain.records.redemptions import Redemption
from domain.rewards import RedemptionStatus
from domain.tiers import Tier
from domain.viewers import Viewer, may_see_records_of


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


MAX_SEARCH = 200


def member_filter(
    *,
    status: MemberStatus | None = None,
    email: str | None = None,
    search: str | None = None,
    enrolled_after: datetime | None = None,
    enrolled_before: datetime | None = None,
    segment: str | None = None,
) -> MemberFilter:
    """The filter of a members query: the email as stored (refused when it cannot be one),
    the search trimmed and bounded."""
    return MemberFilter(
        status=status,
        email=normalise_email(email) if email else None,
        search=search.strip()[:MAX_SEARCH] if search else None,
        enrolled_after=enrolled_after,
        enrolled_before=enrolled_before,
        segment=segment.strip().lower()[:MAX_SEARCH] if segment else None,
    )


# About ten years: bounds the stretch of the ledger one answer scans.
MAX_EXPIRING_DAYS = 3660


async def member_by_id(uow_factory: UnitOfWorkFactory, member_id: UUID) -> Member | None:
    async with uow_factory() as uow:
        return await uow.members.get(member_id)


async def member_by_reference(
    uow_factory: UnitOfWorkFactory, member_id: UUID | None, external_id: str | None
) -> Member | None:
    """The member by id, else by the store's external id."""
    async with uow_factory() as uow:
        if member_id is not None:
            return await uow.members.get(member_id)
        assert external_id is not None
        return await uow.members.get_by_external_id(external_id)


async def members_page(
    uow_factory: UnitOfWorkFactory, after_seq: int | None, limit: int, where: MemberFilter
) -> list[Member]:
    async with uow_factory() as uow:
        return await uow.members.page(after_seq, limit, where)


async def ledger_entry_for(
    uow_factory: UnitOfWorkFactory, viewer: Viewer, entry_id: int
) -> LedgerEntry | None:
    """The entry, or None when there is none the viewer may see."""
    async with uow_factory() as uow:
        found = await uow.ledger.entry(entry_id)
    return found if found is not None and may_see_records_of(viewer, found.member_id) else None


async def redemption_for(
    uow_factory: UnitOfWorkFactory, viewer: Viewer, redemption_id: UUID
) -> Redemption | None:
    """The redemption, or None when there is none the viewer may see."""
    async with uow_factory() as uow:
        found = await uow.redemptions.get(redemption_id)
    return found if found is not None and may_see_records_of(viewer, found.member_id) else None


async def expiring_points(
    uow_factory: UnitOfWorkFactory, member_id: UUID, wallet: str, now: datetime, within_days: int
) -> list[tuple[datetime, int]]:
    """(when, points) of the member's available points that expire within the days given."""
    if within_days < 0 or within_days > MAX_EXPIRING_DAYS:
        raise DomainError(
            f"withinDays must be between 0 and {MAX_EXPIRING_DAYS}.", field=("withinDays",)
        )
    async with uow_factory() as uow:
        return await uow.ledger.expiring(member_id, wallet, now, now + timedelta(days=within_days))
