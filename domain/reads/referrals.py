"""Reading referrals: one by id as a caller may see it, a member's referrals and stats,
how a member was referred and by whom."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from domain.ports import UnitOfWorkFactory
from domain.records.members import Member
from domain.records.referrals import Referral, ReferralStats
from domain.viewers import Viewer, may_see_referral


@dataclass(frozen=True, slots=True)
class ReferralPage:
    """Referrals newest first, with the members they brought (absent when erased)."""

    referrals: list[Referral]
    referees: dict[UUID, Member]


async def referral_for(
    uow_factory: UnitOfWorkFactory, viewer: Viewer, referral_id: UUID
) -> Referral | None:
    """The referral, or None when there is none the viewer may see."""
    async with uow_factory() as uow:
        found = await uow.referrals.get(referral_id)
    return found if found is not None and may_see_referral(viewer, found) else None


async def referrals_made(
    uow_factory: UnitOfWorkFactory, referrer_id: UUID, after_seq: int | None, limit: int
) -> ReferralPage:
    async with uow_factory() as uow:
        found = await uow.referrals.for_referrer(referrer_id, after_seq, limit)
        referees = await uow.members.get_many([x.referee_id for x in found])
    return ReferralPage(found, {m.id: m for m in referees})


async def referral_stats(uow_factory: UnitOfWorkFactory, referrer_id: UUID) -> ReferralStats:
    async with uow_factory() as uow:
        return await uow.referrals.stats(referrer_id)


async def referral_of(uow_factory: UnitOfWorkFactory, referee_id: UUID) -> Referral | None:
    """How the member was referred, if they were."""
    async with uow_factory() as uow:
        return await uow.referrals.for_referee(referee_id)


async def referrer_of(
    uow_factory: UnitOfWorkFactory, viewer: Viewer, referee_id: UUID
) -> Member | None:
    """The member who referred this one, for a viewer who may see member records."""
    if not viewer.sees_member_records:
        return None
    async with uow_factory() as uow:
        found = await uow.referrals.for_referee(referee_id)
        return await uow.members.get(found.referrer_id) if found else None


async def referee_of(uow_factory: UnitOfWorkFactory, referral: Referral) -> Member | None:
    async with uow_factory() as uow:
        return await uow.members.get(referral.referee_id)
