"""enrollMember: a shopper enrolled, and linked to a referrer when they came with a code."""

from __future__ import annotations

from dataclasses import dataclass

from domain import enrolment
from domain.clock import Clock
from domain.ports import BalanceCache, UnitOfWorkFactory
from domain.records.members import Member, MemberDraft
from domain.records.referrals import Referral
from domain.referral_program import enroll_referred


@dataclass(frozen=True, slots=True)
class SignUp:
    member: Member
    referral: Referral | None  # the referral a code made (REJECTED by a fraud rule, maybe)


async def sign_up(
    uow_factory: UnitOfWorkFactory,
    cache: BalanceCache,
    clock: Clock,
    draft: MemberDraft,
    referral_code: str | None,
) -> SignUp:
    """A blank code is no code: storefronts send the empty field of their sign-up form."""
    if referral_code is not None and referral_code.strip():
        enrolled = await enroll_referred(uow_factory, cache, clock, draft, referral_code)
        return SignUp(enrolled.member, enrolled.referral)
    return SignUp(await enrolment.enroll(uow_factory, clock, draft), None)
