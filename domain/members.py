"""Members: the rules of a member's fields and state, and finding the member a change is for.

The records themselves are in domain/records/members.py."""

from __future__ import annotations

import re
from datetime import date
from uuid import UUID

from domain.codes import random_code
from domain.emails import canonical_email
from domain.errors import DomainError, ErrorCode, NotFound
from domain.ports import MemberRepository
from domain.records.members import Member, MemberDraft, MemberStatus

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# No 0/O/1/I/L: codes are read aloud and typed from screens.
_REFERRAL_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
MAX_EXTERNAL_ID = 255
MAX_NAME = 200


def normalise_email(email: str) -> str:
    cleaned = canonical_email(email)
    if len(cleaned) > 320 or not _EMAIL.match(cleaned):
        raise DomainError("Email address is not valid.", field=("email",))
    return cleaned


def clean_external_id(external_id: str) -> str:
    cleaned = external_id.strip()
    if not cleaned or len(cleaned) > MAX_EXTERNAL_ID:
        raise DomainError(
            f"externalId must be 1 to {MAX_EXTERNAL_ID} characters.", field=("externalId",)
        )
    return cleaned


def clean_name(name: str) -> str:
    cleaned = name.strip()
    if len(cleaned) > MAX_NAME:
        raise DomainError(f"name must be at most {MAX_NAME} characters.", field=("name",))
    return cleaned


def validate_birthday(birthday: date, today: date) -> date:
    if birthday > today or birthday.year < 1900:
        raise DomainError("birthday must be a past date.", field=("birthday",))
    return birthday


def draft(
    *,
    external_id: str | None,
    email: str | None,
    name: str | None,
    birthday: date | None,
    today: date,
) -> MemberDraft:
    return MemberDraft(
        external_id=clean_external_id(external_id) if external_id is not None else None,
        email=normalise_email(email) if email is not None else None,
        name=clean_name(name) if name is not None else None,
        birthday=validate_birthday(birthday, today) if birthday is not None else None,
    )


def require_identity(d: MemberDraft) -> None:
    """A member is found again by the store's id or by email: one of them is needed."""
    if d.external_id is None and d.email is None:
        raise DomainError(
            "Give an externalId or an email.", field=("externalId",), code=ErrorCode.REQUIRED
        )


def new_referral_code(length: int = 8) -> str:
    return random_code(_REFERRAL_ALPHABET, length)


def require_active(member: Member) -> None:
    if member.status is not MemberStatus.ACTIVE:
        raise DomainError(
            "Member is not active.", field=("memberId",), code=ErrorCode.MEMBER_NOT_ACTIVE
        )


async def active_member(members: MemberRepository, member_id: UUID) -> Member:
    """The member a change of points is for: one that exists and is active."""
    member = await members.get(member_id)
    if member is None:
        raise NotFound("No such member.", field=("memberId",))
    require_active(member)
    return member
