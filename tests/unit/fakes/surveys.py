"""Surveys and their answers in memory, as persistence/repositories/surveys.py keeps them."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from uuid import UUID

from domain.analytics import bucket_start
from domain.ports import SurveyFilter
from domain.records.analytics import Interval
from domain.records.surveys import Survey, SurveyResponse
from domain.surveys import CsatSummary, NpsSummary, ScoreGroup, SurveyKind, score_group
from tests.unit.fakes.tables import Sequences, Tables, check, references


class FakeSurveyRepository:
    def __init__(self, tables: Tables, sequences: Sequences) -> None:
        self._tables = tables
        self._sequences = sequences

    async def add(self, survey: Survey) -> Survey:
        check(survey.points >= 0, "surveys_points_check")
        stored = replace(survey, seq=self._sequences.next("surveys"))
        self._tables.surveys[stored.id] = stored
        return stored

    async def get(self, survey_id: UUID) -> Survey | None:
        return self._tables.surveys.get(survey_id)

    async def lock(self, survey_id: UUID) -> Survey | None:
        return self._tables.surveys.get(survey_id)

    async def update(self, survey: Survey) -> Survey:
        check(survey.points >= 0, "surveys_points_check")
        current = self._tables.surveys[survey.id]
        stored = replace(survey, seq=current.seq, kind=current.kind, created_at=current.created_at)
        self._tables.surveys[survey.id] = stored
        return stored

    async def page(self, after_seq: int | None, limit: int, where: SurveyFilter) -> list[Survey]:
        found = sorted(
            (
                s
                for s in self._tables.surveys.values()
                if (after_seq is None or s.seq > after_seq)
                and (where.include_archived or not s.archived)
                and (not where.open_only or s.open)
                and (where.kind is None or s.kind is where.kind)
            ),
            key=lambda s: s.seq,
        )
        return found[:limit]

    async def add_response(self, response: SurveyResponse) -> SurveyResponse:
        references(response.survey_id in self._tables.surveys, "survey_responses_survey_id_fkey")
        references(response.member_id in self._tables.members, "survey_responses_member_id_fkey")
        check(0 <= response.score <= 10, "survey_responses_score_check")
        stored = replace(response, seq=self._sequences.next("survey_responses"))
        self._tables.survey_responses[stored.id] = stored
        return stored

    async def response(self, response_id: UUID) -> SurveyResponse | None:
        return self._tables.survey_responses.get(response_id)

    def _newest_first(
        self, before_seq: int | None, limit: int, of: str, value: UUID
    ) -> list[SurveyResponse]:
        found = [
            r
            for r in self._tables.survey_responses.values()
            if getattr(r, of) == value and (before_seq is None or r.seq < before_seq)
        ]
        return sorted(found, key=lambda r: -r.seq)[:limit]

    async def responses_of_survey(
        self, survey_id: UUID, before_seq: int | None, limit: int
    ) -> list[SurveyResponse]:
        return self._newest_first(before_seq, limit, "survey_id", survey_id)

    async def responses_of_member(
        self, member_id: UUID, before_seq: int | None, limit: int
    ) -> list[SurveyResponse]:
        return self._newest_first(before_seq, limit, "member_id", member_id)

    async def forget_answers(self, member_id: UUID) -> None:
        for r in list(self._tables.survey_responses.values()):
            if r.member_id == member_id:
                self._tables.survey_responses[r.id] = replace(r, answer=None)

    def _groups(
        self, kind: SurveyKind, since: datetime, until: datetime, survey_id: UUID | None
    ) -> list[ScoreGroup]:
        return [
            score_group(kind, r.score)
            for r in self._tables.survey_responses.values()
            if r.kind is kind
            and since <= r.created_at < until
            and (survey_id is None or r.survey_id == survey_id)
        ]

    async def nps_counts(
        self, since: datetime, until: datetime, survey_id: UUID | None = None
    ) -> NpsSummary:
        groups = self._groups(SurveyKind.NPS, since, until, survey_id)
        return NpsSummary(
            groups.count(ScoreGroup.PROMOTER),
            groups.count(ScoreGroup.PASSIVE),
            groups.count(ScoreGroup.DETRACTOR),
        )

    async def nps_buckets(
        self, since: datetime, until: datetime, interval: Interval
    ) -> dict[date, NpsSummary]:
        found: dict[date, list[ScoreGroup]] = {}
        for r in self._tables.survey_responses.values():
            if r.kind is SurveyKind.NPS and since <= r.created_at < until:
                start = bucket_start(r.created_at.astimezone(UTC).date(), interval)
                found.setdefault(start, []).append(score_group(SurveyKind.NPS, r.score))
        return {
            start: NpsSummary(
                g.count(ScoreGroup.PROMOTER),
                g.count(ScoreGroup.PASSIVE),
                g.count(ScoreGroup.DETRACTOR),
            )
            for start, g in found.items()
        }

    async def csat_counts(
        self, since: datetime, until: datetime, survey_id: UUID | None = None
    ) -> CsatSummary:
        groups = self._groups(SurveyKind.CSAT, since, until, survey_id)
        return CsatSummary(groups.count(ScoreGroup.SATISFIED), len(groups))
