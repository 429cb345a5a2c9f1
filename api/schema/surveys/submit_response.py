"""submitSurveyResponse: a member answers a survey, from the app (member token) or through
the store (secret key, on the member's behalf)."""

from __future__ import annotations

import strawberry

from api.auth.principal import Kind
from api.context import Info
from api.schema.common.errors import UserError, returns_payload
from api.schema.common.ids import uuid_of
from api.schema.members.members import acting_member_id
from api.schema.points.ledger_types import Points
from api.schema.surveys.survey_types import SurveyResponse
from domain.survey_answers import submit_survey_response


@strawberry.input
class SubmitSurveyResponseInput:
    survey_id: strawberry.ID
    score: int = strawberry.field(description="NPS 0-10, CSAT 1-5.")
    answer: str | None = strawberry.field(
        default=None, description="The answer to the follow-up question."
    )
    member_id: strawberry.ID | None = strawberry.field(
        default=None, description="Secret keys name the member; member tokens need not."
    )
    external_id: str | None = None
    idempotency_key: str | None = strawberry.field(
        default=None, description="A retry with the same key and input records one answer."
    )


@strawberry.type
class SubmitSurveyResponsePayload:
    response: SurveyResponse | None = None
    follow_up_question: str | None = strawberry.field(
        default=None, description="The survey's follow-up for this score's group, if any."
    )
    thank_you: str | None = None
    points_awarded: int = 0
    no_points_reason: str | None = strawberry.field(
        default=None,
        description="Why a survey that pays points paid none for this answer (already earned "
        "this period); null when it paid or pays none.",
    )
    points: Points | None = strawberry.field(default=None, description="The member's balance.")
    replayed: bool = False
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class SurveyResponseMutations:
    @strawberry.mutation(description="Record a member's answer to a survey, with its points.")
    @returns_payload(SubmitSurveyResponsePayload)
    async def submit_survey_response(
        self, info: Info, input: SubmitSurveyResponseInput
    ) -> SubmitSurveyResponsePayload:
        ctx = info.context
        ctx.require(Kind.SECRET_KEY, Kind.MEMBER)
        member_id = await acting_member_id(info, input.member_id, input.external_id)
        result = await submit_survey_response(
            ctx.uow,
            ctx.balance_cache,
            ctx.services.clock,
            member_id=member_id,
            survey_id=uuid_of(input.survey_id, "Survey", ("surveyId",)),
            score=input.score,
            answer=input.answer,
            idempotency_key=input.idempotency_key,
        )
        return SubmitSurveyResponsePayload(
            response=SurveyResponse.of(result.response),
            follow_up_question=result.follow_up,
            thank_you=result.survey.thank_you or None,
            points_awarded=result.response.points,
            no_points_reason=result.no_points_reason,
            points=Points.of(result.balance) if result.balance else None,
            replayed=result.replayed,
        )
