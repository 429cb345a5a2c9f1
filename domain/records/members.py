"""A member of one tenant's program, and the fields to enrol or change one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from uuid import UUID


class MemberStatus(StrEnum):
    ACTIVE = "ACTIVE"
    SUSPENDED = "SUSPENDED"
    ERASED = "ERASED"


@dataclass(frozen=True, slots=True)
class Member:
    id: UUID
    seq: int
    external_id: str | None
    email: str | None
    name: str | None
    birthday: date | None
    status: MemberStatus
    referral_code: str
    enrolled_at: datetime


@dataclass(frozen=True, slots=True)
class MemberDraft:
    """Validated fields of a member to create or change; None means 'not given'."""

    external_id: str | None = None
    email: str | None = None
    name: str | None = None
    birthday: date | None = None
