"""A redemption: a reward a member took for points, with its code and terms."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from domain.rewards import RedemptionStatus, Terms


@dataclass(frozen=True, slots=True)
class Redemption:
    id: UUID
    seq: int
    reward_id: UUID
    member_id: UUID
    code: str
    status: RedemptionStatus
    points: int
    value_minor: int | None
    spend_entry_id: int
    return_entry_id: int | None
    order_id: str | None
    created_at: datetime
    expires_at: datetime | None
    used_at: datetime | None
    closed_at: datetime | None
    terms: Terms
