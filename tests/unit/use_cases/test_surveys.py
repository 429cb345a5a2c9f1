"""Survey definitions and answers on the fakes (domain/survey_definitions.py,
domain/survey_answers.py): points once per period through the action limits, partial
updates, closed surveys, erasure of the answers' text."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain import enrolment
from domain.errors import DomainError, ErrorCode
from domain.partial_updates import PartialUpdate
from domain.program import LimitPeriod
from domain.reads.surveys import nps_summary, responses_of_member
from domain.survey_answers import submit_survey_response
from domain.survey_definitions import archived, change_survey, create_survey, draft_survey
from domain.surveys import ScoreGroup, SurveyKind


async def _survey(world, **fields):
    draft = draft_survey(
        world.clock, kind=SurveyKind.NPS, question="Would you recommend us?", **fields
    )
    return await create_survey(world.uow, draft)


async def _answer(world, survey, member, score, answer=None, key=None):
    return await submit_survey_response(
        world.uow, world.cache, world.clock, member_id=member.id, survey_id=survey.id,
        score=score, answer=answer, idempotency_key=key,
    )  # fmt: skip


async def test_an_answer_earns_once_a_week_and_repeats_are_kept_without_points(world):
    # given a survey paying 30 points once a week
    survey = await _survey(world, points=30, points_period=LimitPeriod.WEEK)
    member = await world.member()

    # when the member answers twice this week, then again the next week
    first = await _answer(world, survey, member, 10)
    second = await _answer(world, survey, member, 9)
    world.clock.advance(timedelta(days=7))
    third = await _answer(world, survey, member, 8)

    # then the first and the third earn; the second is recorded and says why it did not
    assert [a.response.points for a in (first, second, third)] == [30, 0, 30]
    assert second.no_points_reason is not None and "week" in second.no_points_reason
    assert (await world.balance(member.id)).available == 60
    kept = await responses_of_member(world.uow, member.id, None, 10)
    assert [r.score for r in kept] == [8, 9, 10]


async def test_a_changed_survey_keeps_what_the_update_left_out(world):
    # given a survey with a follow-up for detractors
    survey = await _survey(world, follow_ups={ScoreGroup.DETRACTOR: "What went wrong?"})

    # when only its thank-you changes
    changed = await change_survey(
        world.uow, world.clock, survey.id, PartialUpdate.of({"thank_you": "Thanks a lot"})
    )

    # then the question and follow-ups are as they were
    assert changed.thank_you == "Thanks a lot"
    assert (changed.question, dict(changed.follow_ups)) == (
        survey.question, {ScoreGroup.DETRACTOR: "What went wrong?"})  # fmt: skip


async def test_an_archived_survey_takes_no_answers_and_its_answers_stay_counted(world):
    # given one answer to a survey, which is then archived
    survey = await _survey(world)
    member = await world.member()
    await _answer(world, survey, member, 10)
    await change_survey(world.uow, world.clock, survey.id, archived())

    # when another answer comes
    with pytest.raises(DomainError) as refused:
        await _answer(world, survey, member, 9)

    # then it is refused, and the first still counts in the period's NPS
    assert refused.value.code is ErrorCode.SURVEY_CLOSED
    now = world.clock.now()
    summary = await nps_summary(world.uow, now - timedelta(days=1), now + timedelta(days=1))
    assert (summary.promoters, summary.responses, summary.score) == (1, 1, 100)


async def test_erasing_a_member_forgets_the_text_of_its_answers(world):
    # given a member's answer with a comment
    survey = await _survey(world)
    member = await world.member()
    await _answer(world, survey, member, 2, answer="My name is Ada and my order was late")

    # when the member is erased
    await enrolment.erase(world.uow, member.id)

    # then the answer's score stays and its text is gone
    kept = await responses_of_member(world.uow, member.id, None, 10)
    assert [(r.score, r.answer) for r in kept] == [(2, None)]
