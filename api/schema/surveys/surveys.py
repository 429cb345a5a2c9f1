"""surveys / survey(id:) queries, and createSurvey, updateSurvey, archiveSurvey."""

from __future__ import annotations

from typing import Any

import strawberry

from api.context import Info
from api.schema.common.enums import LimitPeriod
from api.schema.common.errors import UserError, returns_payload
from api.schema.common.ids import uuid_of
from api.schema.common.pagination import Connection, decode_cursor, page_of, page_size
from api.schema.surveys.survey_types import ScoreGroup, Survey, SurveyKind
from domain import survey_definitions as defs
from domain.reads.surveys import survey_filter, survey_for, surveys_page
from domain.records.surveys import Survey as DomainSurvey
from domain.surveys import ScoreGroup as DomainScoreGroup
from domain.surveys import SurveyKind as DomainSurveyKind

# camelCase names `clear` accepts, with the survey's field each stands for.
_CLEARABLE_NAMES = {"pointsPeriod": "points_period"}


@strawberry.input(description="A follow-up question for the scores of one group.")
class SurveyFollowUpInput:
    group: ScoreGroup  # type: ignore[valid-type]
    question: str


@strawberry.input
class SurveyFieldsInput:
    follow_ups: list[SurveyFollowUpInput] | None = strawberry.field(
        default=None,
        description="Replace every follow-up question. NPS groups: PROMOTER (9-10), PASSIVE "
        "(7-8), DETRACTOR (0-6); CSAT: SATISFIED (4-5), NEUTRAL (3), DISSATISFIED (1-2).",
    )
    thank_you: str | None = None
    active: bool | None = None
    points: int | None = strawberry.field(default=None, description="For answering; 0 for none.")
    points_period: LimitPeriod | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="An answer earns once per this period; left out: once ever."
    )


@strawberry.input
class CreateSurveyInput(SurveyFieldsInput):
    kind: SurveyKind  # type: ignore[valid-type]
    question: str


@strawberry.input
class UpdateSurveyInput(SurveyFieldsInput):
    id: strawberry.ID
    question: str | None = None
    clear: list[str] = strawberry.field(
        default_factory=list, description="Fields to set back to null: ['pointsPeriod']."
    )


@strawberry.input
class ArchiveSurveyInput:
    id: strawberry.ID


@strawberry.type
class SurveyPayload:
    survey: Survey | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


def _follow_ups(given: list[SurveyFollowUpInput]) -> dict[DomainScoreGroup, str]:
    return {DomainScoreGroup(f.group): f.question for f in given}


def _fields(i: SurveyFieldsInput) -> dict[str, Any]:
    """The fields the input gave, in the domain's terms."""
    out: dict[str, Any] = {
        "thank_you": i.thank_you,
        "active": i.active,
        "points": i.points,
        "points_period": i.points_period,
    }
    if i.follow_ups is not None:
        out["follow_ups"] = _follow_ups(i.follow_ups)
    return {name: value for name, value in out.items() if value is not None}


@strawberry.type
class SurveyQueries:
    @strawberry.field(
        description="The program's surveys. Keys and operators see them all; member tokens "
        "and publishable keys, the ones taking answers."
    )
    async def surveys(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        kind: SurveyKind | None = None,  # type: ignore[valid-type]
        include_archived: bool = False,
    ) -> Connection[Survey]:
        ctx = info.context
        ctx.tenant  # noqa: B018 - a survey list belongs to one tenant
        size = page_size(first, ctx.services.settings.max_page_size)
        where = survey_filter(
            ctx.viewer, include_archived, DomainSurveyKind(kind) if kind is not None else None
        )
        found = await surveys_page(ctx.uow, where, decode_cursor(after), size + 1)
        return page_of(found, size, after is not None, Survey.of, _seq)

    @strawberry.field
    async def survey(self, info: Info, id: strawberry.ID) -> Survey | None:
        ctx = info.context
        found = await survey_for(ctx.uow, ctx.viewer, uuid_of(id, "Survey"))
        return Survey.of(found) if found is not None else None


def _seq(x: DomainSurvey) -> int:
    return x.seq


@strawberry.type
class SurveyMutations:
    @strawberry.mutation(description="Add an NPS or CSAT survey.")
    @returns_payload(SurveyPayload)
    async def create_survey(self, info: Info, input: CreateSurveyInput) -> SurveyPayload:
        ctx = info.context
        ctx.require_writer()
        fields = _fields(input)
        draft = defs.draft_survey(
            ctx.services.clock,
            kind=DomainSurveyKind(input.kind),
            question=input.question,
            follow_ups=fields.get("follow_ups"),
            thank_you=fields.get("thank_you"),
            active=fields.get("active"),
            points=fields.get("points"),
            points_period=fields.get("points_period"),
        )
        return SurveyPayload(survey=Survey.of(await defs.create_survey(ctx.uow, draft)))

    @strawberry.mutation(description="Change a survey; fields left out stay as they are.")
    @returns_payload(SurveyPayload)
    async def update_survey(self, info: Info, input: UpdateSurveyInput) -> SurveyPayload:
        ctx = info.context
        ctx.require_writer()
        fields = _fields(input)
        if input.question is not None:
            fields["question"] = input.question
        update = defs.survey_update(fields, {n: _CLEARABLE_NAMES.get(n) for n in input.clear})
        changed = await defs.change_survey(
            ctx.uow, ctx.services.clock, uuid_of(input.id, "Survey"), update
        )
        return SurveyPayload(survey=Survey.of(changed))

    @strawberry.mutation(description="Stop a survey for good: no more answers; results stay.")
    @returns_payload(SurveyPayload)
    async def archive_survey(self, info: Info, input: ArchiveSurveyInput) -> SurveyPayload:
        ctx = info.context
        ctx.require_writer()
        changed = await defs.change_survey(
            ctx.uow, ctx.services.clock, uuid_of(input.id, "Survey"), defs.archived()
        )
        return SurveyPayload(survey=Survey.of(changed))
