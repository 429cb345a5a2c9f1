"""Survey and SurveyResponse as clients see them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import strawberry

from api.auth.principal import Kind
from api.context import Info
from api.schema.common.enums import LimitPeriod
from api.schema.common.ids import to_global_id, uuid_of
from api.schema.common.node import Node
from api.schema.common.pagination import Connection, decode_cursor, page_of, page_size
from api.schema.surveys.summaries import CsatSummary, NpsSummary, csat_of, nps_of
from domain import surveys as s
from domain.reads import surveys as reads
from domain.records import surveys as records

SurveyKind = strawberry.enum(s.SurveyKind, name="SurveyKind")
ScoreGroup = strawberry.enum(s.ScoreGroup, name="ScoreGroup")


@strawberry.type(description="The question asked after a score of one group.")
class SurveyFollowUp:
    group: ScoreGroup  # type: ignore[valid-type]
    question: str


@strawberry.type(description="A survey's scores over a period; the one of its kind is set.")
class SurveyResults:
    nps: NpsSummary | None
    csat: CsatSummary | None


@strawberry.type(description="One member's answer to a survey.")
class SurveyResponse(Node):
    survey_id: strawberry.ID
    member_id: strawberry.ID
    kind: SurveyKind  # type: ignore[valid-type]
    score: int
    group: ScoreGroup  # type: ignore[valid-type]
    answer: str | None = strawberry.field(description="The answer to the follow-up question.")
    points_awarded: int = strawberry.field(description="0 when the answer earned none.")
    created_at: datetime

    @classmethod
    def of(cls, x: records.SurveyResponse) -> SurveyResponse:
        return cls(
            id=strawberry.ID(to_global_id("SurveyResponse", x.id)),
            survey_id=strawberry.ID(to_global_id("Survey", x.survey_id)),
            member_id=strawberry.ID(to_global_id("Member", x.member_id)),
            kind=x.kind,
            score=x.score,
            group=s.score_group(x.kind, x.score),
            answer=x.answer,
            points_awarded=x.points,
            created_at=x.created_at,
        )


def _seq(x: records.SurveyResponse) -> int:
    return x.seq


@strawberry.type(description="An NPS (0-10) or CSAT (1-5) question the program asks members.")
class Survey(Node):
    kind: SurveyKind  # type: ignore[valid-type]
    question: str
    follow_ups: list[SurveyFollowUp]
    thank_you: str
    active: bool
    archived: bool
    points: int = strawberry.field(description="Paid for an answer; 0 for none.")
    points_period: LimitPeriod | None = strawberry.field(  # type: ignore[valid-type]
        description="An answer earns once per this period; null: once per member."
    )
    created_at: datetime
    updated_at: datetime
    survey_id: strawberry.Private[UUID]
    domain: strawberry.Private[records.Survey]

    @classmethod
    def of(cls, x: records.Survey) -> Survey:
        return cls(
            id=strawberry.ID(to_global_id("Survey", x.id)),
            kind=x.kind,
            question=x.question,
            follow_ups=[SurveyFollowUp(group=g, question=q) for g, q in x.follow_ups.items()],
            thank_you=x.thank_you,
            active=x.active,
            archived=x.archived,
            points=x.points,
            points_period=x.points_period,
            created_at=x.created_at,
            updated_at=x.updated_at,
            survey_id=x.id,
            domain=x,
        )

    @strawberry.field(description="The follow-up question to ask after this score, if any.")
    def follow_up(self, score: int) -> str | None:
        return self.domain.follow_up(score)

    @strawberry.field(description="Answers, newest first (secret keys and operators).")
    async def responses(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[SurveyResponse]:
        ctx = info.context
        ctx.require_reader()
        size = page_size(first, ctx.services.settings.max_page_size)
        found = await reads.responses_of_survey(
            ctx.uow, self.survey_id, decode_cursor(after), size + 1
        )
        return page_of(found, size, after is not None, SurveyResponse.of, _seq)

    @strawberry.field(description="This survey's score over [from, to) (keys and operators).")
    async def results(
        self,
        info: Info,
        since: Annotated[datetime, strawberry.argument(name="from")],
        until: Annotated[datetime, strawberry.argument(name="to")],
    ) -> SurveyResults:
        info.context.require_reader()
        if self.domain.kind is s.SurveyKind.NPS:
            return SurveyResults(nps=await nps_of(info, since, until, self.survey_id), csat=None)
        return SurveyResults(nps=None, csat=await csat_of(info, since, until, self.survey_id))


async def member_survey_responses(
    info: Info, member_id: UUID, first: int | None, after: str | None
) -> Connection[SurveyResponse]:
    """`member { surveyResponses }`: the member's answers, newest first."""
    ctx = info.context
    size = page_size(first, ctx.services.settings.max_page_size)
    found = await reads.responses_of_member(ctx.uow, member_id, decode_cursor(after), size + 1)
    return page_of(found, size, after is not None, SurveyResponse.of, _seq)


async def survey_node(info: Info, gid: strawberry.ID) -> Survey | None:
    """node(id:) of a Survey: as `survey(id:)` answers it."""
    ctx = info.context
    found = await reads.survey_for(ctx.uow, ctx.viewer, uuid_of(gid, "Survey"))
    return Survey.of(found) if found is not None else None


async def survey_response_node(info: Info, gid: strawberry.ID) -> SurveyResponse | None:
    """node(id:) of a SurveyResponse: staff read any; a member token its own member's."""
    ctx = info.context
    ctx.require(Kind.SECRET_KEY, Kind.OPERATOR, Kind.MEMBER, roles=ctx.reader_roles)
    found = await reads.response_for(ctx.uow, ctx.viewer, uuid_of(gid, "SurveyResponse"))
    return SurveyResponse.of(found) if found is not None else None
