"""Referrals: a member brings a friend; both may be rewarded once the friend qualifies.

The rules here are pure: who may refer whom. One person signing up twice is found by the
comparable form of their email (domain/emails.py). The records are in
domain/records/referrals.py.
"""

from __future__ import annotations

import re

from domain.codes import typed_code
from domain.emails import comparable_email
from domain.errors import NotFound
from domain.records.members import Member, MemberStatus
from domain.records.referrals import RejectReason

_CODE = re.compile(r"^[A-Z0-9]{1,32}$")


def clean_code(code: str) -> str:
    """A referral code as typed; one that cannot be a code is no member's."""
    cleaned = typed_code(code)
    if not _CODE.match(cleaned):
        raise NotFound("No member has this referral code.", field=("referralCode",))
    return cleaned


def _same_external_id(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and a.strip().casefold() == b.strip().casefold()


def self_referral(referrer: Member, referee: Member) -> bool:
    """One person on both sides: the same member, email (in comparable form) or store id."""
    same_email = (
        referrer.email is not None
        and referee.email is not None
        and comparable_email(referrer.email) == comparable_email(referee.email)
    )
    return (
        referrer.id == referee.id
        or same_email
        or _same_external_id(referrer.external_id, referee.external_id)
    )


def refusal(referrer: Member, referee: Member, look_alikes: int) -> RejectReason | None:
    """Why this referral may not be rewarded, or None.

    `look_alikes` counts other members (neither of the two) whose email has the referee's
    comparable form: the referee has been a member before under another address.
    """
    if self_referral(referrer, referee):
        return RejectReason.SELF_REFERRAL
    if look_alikes > 0:
        return RejectReason.NOT_NEW
    if referrer.status is not MemberStatus.ACTIVE:
        return RejectReason.REFERRER_INACTIVE
    return None
