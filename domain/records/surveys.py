"""Surveys and their responses as the ports store them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from domain.program import LimitPeriod
from domain.surveys import ScoreGroup, SurveyKind, score_group


@dataclass(frozen=True, slots=True)
class Survey:
    """An NPS or CSAT question a tenant asks its members.

    `points` (0: none) are paid for an answer once per `points_period` and survey, or once
    per member and survey when there is no period."""

    id: UUID
    seq: int
    kind: SurveyKind
    question: str
    follow_ups: Mapping[ScoreGroup, str]
    thank_you: str
    active: bool
    archived: bool
    points: int
    points_period: LimitPeriod | None
    created_at: datetime
    updated_at: datetime

    @property
    def open(self) -> bool:
        """Whether it takes answers."""
        return self.active and not self.archived

    def follow_up(self, score: int) -> str | None:
        """The follow-up question for the group `score` falls in, if the survey has one."""
        return self.follow_ups.get(score_group(self.kind, score))


@dataclass(frozen=True, slots=True)
class SurveyResponse:
    id: UUID
    seq: int
    survey_id: UUID
    member_id: UUID
    kind: SurveyKind
    score: int
    answer: str | None
    points: int
    entry_id: int | None
    created_at: datetime
