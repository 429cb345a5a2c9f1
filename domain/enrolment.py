"""Use cases on members: enrol, change, look up."""

from __future__ import annotations

from uuid import UUID

from domain.clock import Clock
from domain.errors import Duplicate, NotFound
from domain.members import Member, MemberDraft, new_referral_code, require_identity
from domain.ports import MemberRepository, UnitOfWorkFactory
from domain.tier_evaluation import evaluate_member_tier


async def _refuse_taken(
    members: MemberRepository, d: MemberDraft, except_id: UUID | None = None
) -> None:
    if d.external_id is not None:
        found = await members.get_by_external_id(d.external_id)
        if found is not None and found.id != except_id:
            raise Duplicate("A member with this externalId exists.", field=("externalId",))
    if d.email is not None:
        found = await members.get_by_email(d.email)
        if found is not None and found.id != except_id:
            raise Duplicate("A member with this email exists.", field=("email",))


async def enroll(uow_factory: UnitOfWorkFactory, clock: Clock, d: MemberDraft) -> Member:
    require_identity(d)
    async with uow_factory() as uow:
        await _refuse_taken(uow.members, d)
        # The unique indexes still guard the race between two enrolments of one shopper;
        # the repository turns that violation into the same Duplicate error.
        member = await uow.members.add(d, new_referral_code(), clock.now())
        # A tier with no threshold is held from the first day.
        await evaluate_member_tier(uow, member.id, clock.now())
        return member


async def update(uow_factory: UnitOfWorkFactory, member_id: UUID, d: MemberDraft) -> Member:
    async with uow_factory() as uow:
        if await uow.members.get(member_id) is None:
            raise NotFound("No such member.", field=("id",))
        await _refuse_taken(uow.members, d, except_id=member_id)
        return await uow.members.update(member_id, d)
