"""Managing a tenant's surveys: create, change (partial updates), archive."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from uuid import UUID, uuid4

from domain.clock import Clock
from domain.errors import DomainError, NotFound
from domain.partial_updates import PartialUpdate
from domain.ports import UnitOfWorkFactory
from domain.program import LimitPeriod
from domain.records.surveys import Survey
from domain.surveys import (
    MAX_QUESTION,
    ScoreGroup,
    SurveyKind,
    clean_text,
    validate_follow_ups,
    validate_points,
)

# The only optional term: without a period, an answer earns once per member and survey.
CLEARABLE = frozenset({"points_period"})


def validate_survey(survey: Survey) -> Survey:
    return replace(
        survey,
        question=clean_text(survey.question, "question", MAX_QUESTION, required=True),
        follow_ups=validate_follow_ups(survey.kind, dict(survey.follow_ups)),
        thank_you=clean_text(survey.thank_you, "thankYou", MAX_QUESTION),
        points=validate_points(survey.points),
    )


def draft_survey(
    clock: Clock,
    *,
    kind: SurveyKind,
    question: str,
    follow_ups: Mapping[ScoreGroup, str] | None = None,
    thank_you: str | None = None,
    active: bool | None = None,
    points: int | None = None,
    points_period: LimitPeriod | None = None,
) -> Survey:
    """A new survey, every term not given at its default: active, no points."""
    now = clock.now()
    return Survey(
        id=uuid4(),
        seq=0,
        kind=kind,
        question=question,
        follow_ups=dict(follow_ups or {}),
        thank_you=thank_you or "",
        active=True if active is None else active,
        archived=False,
        points=points or 0,
        points_period=points_period,
        created_at=now,
        updated_at=now,
    )


def survey_update(values: Mapping[str, object], cleared: Mapping[str, str | None]) -> PartialUpdate:
    """The update of `values` and of the fields to clear, each keyed by the name the caller
    gave it (which a refusal repeats), with the survey's field, or None when it is none."""
    for named, field in cleared.items():
        if field is None or field not in CLEARABLE:
            raise DomainError(f"{named} cannot be cleared.", field=("clear",))
    return PartialUpdate.of(values, (f for f in cleared.values() if f is not None))


async def create_survey(uow_factory: UnitOfWorkFactory, survey: Survey) -> Survey:
    checked = validate_survey(survey)
    async with uow_factory() as uow:
        return await uow.surveys.add(checked)


async def change_survey(
    uow_factory: UnitOfWorkFactory, clock: Clock, survey_id: UUID, update: PartialUpdate
) -> Survey:
    """Its kind never changes: the answers it holds are on its scale."""
    async with uow_factory() as uow:
        current = await uow.surveys.lock(survey_id)
        if current is None:
            raise NotFound("No such survey.", field=("id",))
        changed = update.applied_to(current)
        checked = validate_survey(
            replace(changed, id=current.id, kind=current.kind, updated_at=clock.now())
        )
        return await uow.surveys.update(checked)


def archived() -> PartialUpdate:
    """An archived survey takes no answers and leaves the list; its answers stay counted."""
    return PartialUpdate.of({"archived": True, "active": False})
