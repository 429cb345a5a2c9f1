"""Reading surveys as a caller may see them, their answers, and the NPS and CSAT of a
period: what resolvers (survey lists, `analytics { nps csat }`) call."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from domain.errors import DomainError
from domain.ports import SurveyFilter, UnitOfWorkFactory
from domain.records.surveys import Survey, SurveyResponse
from domain.surveys import CsatSummary, NpsSummary, SurveyKind
from domain.viewers import Audience, Viewer, may_see_records_of


def survey_filter(viewer: Viewer, include_archived: bool, kind: SurveyKind | None) -> SurveyFilter:
    """Staff see every survey (archived ones when asked); members and the storefront see
    the surveys that take answers."""
    staff = viewer.audience is Audience.STAFF
    return SurveyFilter(include_archived=include_archived and staff, open_only=not staff, kind=kind)


async def surveys_page(
    uow_factory: UnitOfWorkFactory, where: SurveyFilter, after_seq: int | None, limit: int
) -> list[Survey]:
    async with uow_factory() as uow:
        return await uow.surveys.page(after_seq, limit, where)


async def survey_for(
    uow_factory: UnitOfWorkFactory, viewer: Viewer, survey_id: UUID
) -> Survey | None:
    """The survey, or None when there is none the viewer may see."""
    async with uow_factory() as uow:
        found = await uow.surveys.get(survey_id)
    if found is None or (viewer.audience is not Audience.STAFF and not found.open):
        return None
    return found


async def survey_by_id(uow_factory: UnitOfWorkFactory, survey_id: UUID) -> Survey | None:
    """The survey a response refers to, as it is."""
    async with uow_factory() as uow:
        return await uow.surveys.get(survey_id)


async def responses_of_survey(
    uow_factory: UnitOfWorkFactory, survey_id: UUID, before_seq: int | None, limit: int
) -> list[SurveyResponse]:
    async with uow_factory() as uow:
        return await uow.surveys.responses_of_survey(survey_id, before_seq, limit)


async def responses_of_member(
    uow_factory: UnitOfWorkFactory, member_id: UUID, before_seq: int | None, limit: int
) -> list[SurveyResponse]:
    async with uow_factory() as uow:
        return await uow.surveys.responses_of_member(member_id, before_seq, limit)


def _period(since: datetime, until: datetime) -> None:
    if until <= since:
        raise DomainError("to must be after from.", field=("to",))


async def nps_summary(
    uow_factory: UnitOfWorkFactory,
    since: datetime,
    until: datetime,
    survey_id: UUID | None = None,
) -> NpsSummary:
    """NPS answers given in [since, until): of every NPS survey, or of one."""
    _period(since, until)
    async with uow_factory() as uow:
        return await uow.surveys.nps_counts(since, until, survey_id)


async def csat_summary(
    uow_factory: UnitOfWorkFactory,
    since: datetime,
    until: datetime,
    survey_id: UUID | None = None,
) -> CsatSummary:
    """CSAT answers given in [since, until): of every CSAT survey, or of one."""
    _period(since, until)
    async with uow_factory() as uow:
        return await uow.surveys.csat_counts(since, until, survey_id)


async def response_for(
    uow_factory: UnitOfWorkFactory, viewer: Viewer, response_id: UUID
) -> SurveyResponse | None:
    """The answer, or None when there is none the viewer may see (a member token sees its
    own member's answers only)."""
    async with uow_factory() as uow:
        found = await uow.surveys.response(response_id)
    if found is None or not may_see_records_of(viewer, found.member_id):
        return None
    return found
