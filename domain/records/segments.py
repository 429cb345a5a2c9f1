"""Records the segment and win-back ports speak in: a campaign, its progress and its results."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from domain.segments import MemberFacts, Segment


class CampaignStatus(StrEnum):
    RUNNING = "RUNNING"
    DONE = "DONE"


class GrantStatus(StrEnum):
    PENDING = "PENDING"
    GRANTED = "GRANTED"
    SKIPPED = "SKIPPED"  # the reward could not be given (out of stock, archived, debt)


@dataclass(frozen=True, slots=True)
class Campaign:
    """Gives `points` or the reward `reward_id` once to each member the segment held when
    the campaign started (`total` of them)."""

    id: UUID
    seq: int
    key: str
    segment_key: str
    points: int | None
    reward_id: UUID | None
    reason: str
    fingerprint: str
    status: CampaignStatus
    total: int
    granted: int
    skipped: int
    created_at: datetime
    finished_at: datetime | None


@dataclass(frozen=True, slots=True)
class GrantDone:
    """One member's grant as processed."""

    member_id: UUID
    status: GrantStatus
    entry_id: int | None = None
    redemption_id: UUID | None = None


@dataclass(frozen=True, slots=True)
class WinBack:
    """Of the members granted, how many placed an order within the days after their grant."""

    members: int
    reordered: int

    @property
    def rate(self) -> float:
        return self.reordered / self.members if self.members else 0.0


@dataclass(frozen=True, slots=True)
class RefreshState:
    """The worker's pass over every member: the last seq done (None: a pass starts over)."""

    cursor: int | None
    due_at: datetime


@dataclass(frozen=True, slots=True)
class RefreshInputs:
    """What recomputing some members' segments reads, in one round trip: the facts of
    those that are active, the stored definitions, and the segments each member holds now."""

    facts: dict[UUID, MemberFacts]
    stored: list[Segment]
    held: dict[UUID, frozenset[str]]
