"""Surveys and survey responses in one tenant schema."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

import asyncpg

from domain.ports import SurveyFilter
from domain.program import LimitPeriod
from domain.records.analytics import Interval
from domain.records.surveys import Survey, SurveyResponse
from domain.surveys import CsatSummary, NpsSummary, ScoreGroup, SurveyKind
from persistence.db import Conn
from persistence.repositories.keyset import newest_first

_SURVEY_COLUMNS = (
    "id, seq, kind, question, follow_ups, thank_you, active, archived, points, points_period,"
    " created_at, updated_at"
)
_RESPONSE_COLUMNS = (
    "id, seq, survey_id, member_id, kind, score, answer, points, entry_id, created_at"
)
_RESPONSES_OF_SURVEY = newest_first(_RESPONSE_COLUMNS, "survey_responses", "survey_id")
_RESPONSES_OF_MEMBER = newest_first(_RESPONSE_COLUMNS, "survey_responses", "member_id")


def _survey(row: asyncpg.Record) -> Survey:
    data = dict(row)
    data["kind"] = SurveyKind(data["kind"])
    data["follow_ups"] = {ScoreGroup(k): v for k, v in data["follow_ups"].items()}
    period = data["points_period"]
    data["points_period"] = LimitPeriod(period) if period else None
    return Survey(**data)


def _response(row: asyncpg.Record) -> SurveyResponse:
    data = dict(row)
    data["kind"] = SurveyKind(data["kind"])
    return SurveyResponse(**data)


def _follow_ups(survey: Survey) -> dict[str, str]:
    return {group.value: question for group, question in survey.follow_ups.items()}


def _period(survey: Survey) -> str | None:
    return survey.points_period.value if survey.points_period is not None else None


class PgSurveyRepository:
    def __init__(self, conn: Conn) -> None:
        self._conn = conn

    async def add(self, survey: Survey) -> Survey:
        row = await self._conn.fetchrow(
            f"""INSERT INTO surveys (id, kind, question, follow_ups, thank_you, active, archived,
                                     points, points_period, created_at, updated_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
                RETURNING {_SURVEY_COLUMNS}""",
            survey.id,
            survey.kind.value,
            survey.question,
            _follow_ups(survey),
            survey.thank_you,
            survey.active,
            survey.archived,
            survey.points,
            _period(survey),
            survey.created_at,
            survey.updated_at,
        )
        assert row is not None
        return _survey(row)

    async def get(self, survey_id: UUID) -> Survey | None:
        row = await self._conn.fetchrow(
            f"SELECT {_SURVEY_COLUMNS} FROM surveys WHERE id = $1", survey_id
        )
        return _survey(row) if row else None

    async def lock(self, survey_id: UUID) -> Survey | None:
        row = await self._conn.fetchrow(
            f"SELECT {_SURVEY_COLUMNS} FROM surveys WHERE id = $1 FOR UPDATE", survey_id
        )
        return _survey(row) if row else None

    async def update(self, survey: Survey) -> Survey:
        row = await self._conn.fetchrow(
            f"""UPDATE surveys SET question = $2, follow_ups = $3, thank_you = $4, active = $5,
                       archived = $6, points = $7, points_period = $8, updated_at = $9
                WHERE id = $1 RETURNING {_SURVEY_COLUMNS}""",
            survey.id,
            survey.question,
            _follow_ups(survey),
            survey.thank_you,
            survey.active,
            survey.archived,
            survey.points,
            _period(survey),
            survey.updated_at,
        )
        assert row is not None
        return _survey(row)

    async def page(self, after_seq: int | None, limit: int, where: SurveyFilter) -> list[Survey]:
        rows = await self._conn.fetch(
            f"""SELECT {_SURVEY_COLUMNS} FROM surveys
                WHERE ($1::bigint IS NULL OR seq > $1)
                  AND ($2 OR NOT archived)
                  AND (NOT $3 OR (active AND NOT archived))
                  AND ($4::text IS NULL OR kind = $4)
                ORDER BY seq LIMIT $5""",
            after_seq,
            where.include_archived,
            where.open_only,
            where.kind.value if where.kind is not None else None,
            limit,
        )
        return [_survey(r) for r in rows]

    async def add_response(self, response: SurveyResponse) -> SurveyResponse:
        row = await self._conn.fetchrow(
            f"""INSERT INTO survey_responses
                    (id, survey_id, member_id, kind, score, answer, points, entry_id, created_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                RETURNING {_RESPONSE_COLUMNS}""",
            response.id,
            response.survey_id,
            response.member_id,
            response.kind.value,
            response.score,
            response.answer,
            response.points,
            response.entry_id,
            response.created_at,
        )
        assert row is not None
        return _response(row)

    async def response(self, response_id: UUID) -> SurveyResponse | None:
        row = await self._conn.fetchrow(
            f"SELECT {_RESPONSE_COLUMNS} FROM survey_responses WHERE id = $1", response_id
        )
        return _response(row) if row else None

    async def responses_of_survey(
        self, survey_id: UUID, before_seq: int | None, limit: int
    ) -> list[SurveyResponse]:
        rows = await self._conn.fetch(_RESPONSES_OF_SURVEY, survey_id, before_seq, limit)
        return [_response(r) for r in rows]

    async def responses_of_member(
        self, member_id: UUID, before_seq: int | None, limit: int
    ) -> list[SurveyResponse]:
        rows = await self._conn.fetch(_RESPONSES_OF_MEMBER, member_id, before_seq, limit)
        return [_response(r) for r in rows]

    async def forget_answers(self, member_id: UUID) -> None:
        await self._conn.execute(
            "UPDATE survey_responses SET answer = NULL WHERE member_id = $1 AND answer IS NOT NULL",
            member_id,
        )

    async def _counts(
        self, kind: SurveyKind, since: datetime, until: datetime, survey_id: UUID | None
    ) -> asyncpg.Record:
        # Two statements, not one with `$4 IS NULL OR survey_id = $4`: each then has the
        # index that answers it from the index alone.
        where = "kind = $1" if survey_id is None else "survey_id = $4 AND kind = $1"
        args: list[object] = [kind.value, since, until]
        if survey_id is not None:
            args.append(survey_id)
        row = await self._conn.fetchrow(
            f"""SELECT count(*) FILTER (WHERE score >= 9)::bigint AS promoters,
                       count(*) FILTER (WHERE score BETWEEN 7 AND 8)::bigint AS passives,
                       count(*) FILTER (WHERE score <= 6)::bigint AS detractors,
                       count(*) FILTER (WHERE score >= 4)::bigint AS satisfied,
                       count(*)::bigint AS responses
                FROM survey_responses
                WHERE {where} AND created_at >= $2 AND created_at < $3""",
            *args,
        )
        assert row is not None
        return row

    async def nps_counts(
        self, since: datetime, until: datetime, survey_id: UUID | None = None
    ) -> NpsSummary:
        row = await self._counts(SurveyKind.NPS, since, until, survey_id)
        return NpsSummary(row["promoters"], row["passives"], row["detractors"])

    async def nps_buckets(
        self, since: datetime, until: datetime, interval: Interval
    ) -> dict[date, NpsSummary]:
        rows = await self._conn.fetch(
            """SELECT date_trunc($4, created_at AT TIME ZONE 'UTC')::date AS b,
                      count(*) FILTER (WHERE score >= 9)::bigint AS promoters,
                      count(*) FILTER (WHERE score BETWEEN 7 AND 8)::bigint AS passives,
                      count(*) FILTER (WHERE score <= 6)::bigint AS detractors
                 FROM survey_responses
                WHERE kind = $1 AND created_at >= $2 AND created_at < $3
                GROUP BY 1""",
            SurveyKind.NPS.value,
            since,
            until,
            interval.value.lower(),
        )
        return {r["b"]: NpsSummary(r["promoters"], r["passives"], r["detractors"]) for r in rows}

    async def csat_counts(
        self, since: datetime, until: datetime, survey_id: UUID | None = None
    ) -> CsatSummary:
        row = await self._counts(SurveyKind.CSAT, since, until, survey_id)
        return CsatSummary(row["satisfied"], row["responses"])
