"""Use cases on members: enrol, change, erase."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from uuid import UUID

from domain.clock import Clock
from domain.errors import Duplicate, NotFound
from domain.events import member_enrolled
from domain.members import new_referral_code, require_identity
from domain.ports import MemberRepository, TenantUnitOfWork, UnitOfWorkFactory
from domain.records.members import Member, MemberDraft
from domain.segment_membership import refresh_member
from domain.tier_evaluation import evaluate_member_tier

# Runs in the enrolment's transaction, after the member is added (e.g. to link a referral).
AfterEnrol = Callable[[TenantUnitOfWork, Member], Awaitable[None]]


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


async def enroll(
    uow_factory: UnitOfWorkFactory,
    clock: Clock,
    d: MemberDraft,
    linked: AfterEnrol | None = None,
) -> Member:
    require_identity(d)
    async with uow_factory() as uow:
        await _refuse_taken(uow.members, d)
        # The unique indexes still guard the race between two enrolments of one shopper;
        # the repository turns that violation into the same Duplicate error.
        member = await uow.members.add(d, new_referral_code(), clock.now())
        uow.events.add(member_enrolled(member))
        if linked is not None:
            await linked(uow, member)
        # A tier with no threshold is held from the first day.
        await evaluate_member_tier(uow, member.id, clock.now())
        await refresh_member(uow, member.id, clock.now())
        return member


async def update(
    uow_factory: UnitOfWorkFactory, member_id: UUID, d: MemberDraft, clock: Clock | None = None
) -> Member:
    """With `clock`, the member's segments follow the change in the same transaction (a
    birthday month, a status: only active members are in segments)."""
    async with uow_factory() as uow:
        if await uow.members.get(member_id) is None:
            raise NotFound("No such member.", field=("id",))
        await _refuse_taken(uow.members, d, except_id=member_id)
        updated = await uow.members.update(member_id, d)
        if clock is not None:
            await refresh_member(uow, member_id, clock.now())
        return updated


async def erase(
    uow_factory: UnitOfWorkFactory, member_id: UUID, clock: Clock | None = None
) -> Member:
    """Forgets who the member is: externalId, email, name, birthday, the text of its survey
    answers and what its webhook events say of it are cleared for good and the member is
    ERASED, so it earns and spends no more. Its ledger stays, as the merchant's accounts need
    it, under an id that no longer names anyone, and so do its survey scores. Erasing again
    changes nothing. Its apps' refresh tokens are revoked. With `clock`, the member leaves
    every segment at once."""
    async with uow_factory() as uow:
        if await uow.members.get(member_id) is None:
            raise NotFound("No such member.", field=("id",))
        # The member's row first, then what its events say: the order in which every writer
        # of the member takes their locks.
        erased = await uow.members.erase(member_id)
        await uow.surveys.forget_answers(member_id)
        await uow.webhooks.forget_member(member_id)
        await uow.refresh_tokens.revoke(member_id)  # its apps are signed out for good
        if clock is not None:
            await refresh_member(uow, member_id, clock.now())
        return erased
