"""A referral (a member brought a friend) and a referrer's counts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID


class ReferralStatus(StrEnum):
    PENDING = "PENDING"  # linked; waiting for the referee to qualify
    REWARDED = "REWARDED"
    REJECTED = "REJECTED"  # a fraud rule refused it; see the reason
    REVERSED = "REVERSED"  # rewarded, then the qualifying order was refunded


class RejectReason(StrEnum):
    SELF_REFERRAL = "SELF_REFERRAL"
    NOT_NEW = "NOT_NEW"
    CAP_REACHED = "CAP_REACHED"
    REFERRER_INACTIVE = "REFERRER_INACTIVE"


@dataclass(frozen=True, slots=True)
class Referral:
    id: UUID
    seq: int
    referrer_id: UUID
    referee_id: UUID
    code: str
    status: ReferralStatus
    reject_reason: RejectReason | None
    qualifying_order_id: str | None
    referrer_points: int
    referee_points: int
    referrer_entry_id: int | None
    referee_entry_id: int | None
    referrer_redemption_id: UUID | None
    referee_redemption_id: UUID | None
    created_at: datetime
    rewarded_at: datetime | None
    reversed_at: datetime | None


@dataclass(frozen=True, slots=True)
class ReferralStats:
    invited: int = 0
    pending: int = 0
    rewarded: int = 0
    rejected: int = 0
    reversed: int = 0
    points_earned: int = 0
    clicks: int = 0  # visits of the member's referral link on the platform
