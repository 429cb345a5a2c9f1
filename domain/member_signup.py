"""enrollMember: a shopper enrolled, linked to a referrer when they came with a code, and
given the program's welcome offer (domain/welcome.py), all in one transaction."""

from __future__ import annotations

from dataclasses import dataclass

from domain import enrolment
from domain.clock import Clock
from domain.ports import BalanceCache, TenantUnitOfWork, UnitOfWorkFactory
from domain.records.members import Member, MemberDraft
from domain.records.referrals import Referral
from domain.referral_program import enroll_referred
from domain.welcome import Welcomed, welcome


@dataclass(frozen=True, slots=True)
class SignUp:
    member: Member
    referral: Referral | None  # the referral a code made (REJECTED by a fraud rule, maybe)
    welcomed: Welcomed | None = None  # what the welcome offer gave


async def sign_up(
    uow_factory: UnitOfWorkFactory,
    cache: BalanceCache,
    clock: Clock,
    draft: MemberDraft,
    referral_code: str | None,
) -> SignUp:
    """A blank code is no code: storefronts send the empty field of their sign-up form."""
    given: list[Welcomed] = []

    async def welcomed(uow: TenantUnitOfWork, member: Member) -> None:
        gift = await welcome(uow, member, clock.now())
        if gift is not None:
            given.append(gift)

    if referral_code is not None and referral_code.strip():
        enrolled = await enroll_referred(
            uow_factory, cache, clock, draft, referral_code, then=welcomed
        )
        member, referral = enrolled.member, enrolled.referral
    else:
        member = await enrolment.enroll(uow_factory, clock, draft, linked=welcomed)
        referral = None
    gift = given[0] if given else None
    for balance in gift.balances if gift else ():
        await cache.put(balance)
    return SignUp(member, referral, gift)
