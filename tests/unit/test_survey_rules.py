"""Pure rules of surveys: the scales, the score groups, and NPS and CSAT against scores
computed by hand (docs/analytics.md, "Surveys")."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.clock import FixedClock
from domain.errors import DomainError
from domain.survey_definitions import draft_survey, validate_survey
from domain.surveys import (
    CsatSummary,
    NpsSummary,
    ScoreGroup,
    SurveyKind,
    score_group,
    validate_score,
)

CLOCK = FixedClock(datetime(2026, 6, 1, tzinfo=UTC))


@pytest.mark.parametrize(
    ("score", "group"),
    [(0, "DETRACTOR"), (6, "DETRACTOR"), (7, "PASSIVE"), (8, "PASSIVE"), (9, "PROMOTER"),
     (10, "PROMOTER")],
)  # fmt: skip
def test_nps_groups_split_at_seven_and_nine(score, group):
    # when an NPS score is grouped, then it falls in its group by the bounds of article 001
    assert score_group(SurveyKind.NPS, score) is ScoreGroup(group)


@pytest.mark.parametrize(
    ("score", "group"),
    [(1, "DISSATISFIED"), (2, "DISSATISFIED"), (3, "NEUTRAL"), (4, "SATISFIED"),
     (5, "SATISFIED")],
)  # fmt: skip
def test_csat_groups_split_at_three_and_four(score, group):
    # when a CSAT score is grouped, then 4 and 5 are satisfied, 3 neutral, the rest not
    assert score_group(SurveyKind.CSAT, score) is ScoreGroup(group)


@pytest.mark.parametrize(("kind", "score"), [("NPS", -1), ("NPS", 11), ("CSAT", 0), ("CSAT", 6)])
def test_a_score_off_the_scale_is_refused(kind, score):
    # when a score outside its survey's scale is checked, then it is refused on `score`
    with pytest.raises(DomainError) as refused:
        validate_score(SurveyKind(kind), score)
    assert refused.value.field == ("score",)


def test_nps_of_a_hand_computed_sample():
    # given 10 answers: 9, 10, 10, 10 (4 promoters), 7, 8 (2 passives), 0, 3, 6, 6 (4 ...)
    scores = [9, 10, 10, 10, 7, 8, 0, 3, 6, 6]
    groups = Counter(score_group(SurveyKind.NPS, s) for s in scores)

    # when they are summarised
    summary = NpsSummary(
        groups[ScoreGroup.PROMOTER], groups[ScoreGroup.PASSIVE], groups[ScoreGroup.DETRACTOR]
    )

    # then NPS = 40 % promoters - 40 % detractors = 0, over 10 responses
    assert (summary.promoters, summary.passives, summary.detractors) == (4, 2, 4)
    assert summary.responses == 10
    assert summary.score == Decimal("0.00")


@pytest.mark.parametrize(
    ("promoters", "passives", "detractors", "score"),
    [(1, 0, 0, "100.00"), (0, 0, 1, "-100.00"), (2, 1, 0, "66.67"), (1, 1, 1, "0.00"),
     (5, 2, 1, "50.00"), (0, 3, 0, "0.00")],
)  # fmt: skip
def test_nps_is_promoters_percent_minus_detractors_percent(promoters, passives, detractors, score):
    # when a summary is read, then its score is the hand-computed one, to two places
    assert NpsSummary(promoters, passives, detractors).score == Decimal(score)


def test_no_answers_have_no_score():
    # when nothing was answered, then neither score exists (rather than a misleading 0)
    assert NpsSummary().score is None
    assert CsatSummary().score is None


@pytest.mark.parametrize(
    ("scores", "score"),
    [([5, 4, 3, 2, 1], "40.00"), ([5, 5, 4], "100.00"), ([1, 2, 3], "0.00"),
     ([4, 4, 1], "66.67")],
)  # fmt: skip
def test_csat_is_the_share_of_satisfied_answers(scores, score):
    # given answers on the 1-5 scale
    satisfied = sum(score_group(SurveyKind.CSAT, s) is ScoreGroup.SATISFIED for s in scores)

    # when they are summarised, then CSAT is satisfied over all x 100
    assert CsatSummary(satisfied, len(scores)).score == Decimal(score)


@given(st.integers(0, 500), st.integers(0, 500), st.integers(0, 500))
def test_nps_stays_between_minus_and_plus_one_hundred(promoters, passives, detractors):
    # when any counts are summarised, then the score is within the NPS range
    score = NpsSummary(promoters, passives, detractors).score
    assert score is None or Decimal(-100) <= score <= Decimal(100)


def test_a_follow_up_of_another_scale_is_refused():
    # given a CSAT survey with a follow-up for NPS promoters
    survey = draft_survey(
        CLOCK,
        kind=SurveyKind.CSAT,
        question="How was your delivery?",
        follow_ups={ScoreGroup.PROMOTER: "What did you like?"},
    )

    # when it is validated, then it is refused on followUps
    with pytest.raises(DomainError) as refused:
        validate_survey(survey)
    assert refused.value.field == ("followUps",)


def test_a_survey_answers_the_follow_up_of_the_score_group():
    # given an NPS survey with a follow-up for detractors only
    survey = validate_survey(
        draft_survey(
            CLOCK,
            kind=SurveyKind.NPS,
            question="How likely are you to recommend us?",
            follow_ups={ScoreGroup.DETRACTOR: " What should we fix? "},
        )
    )

    # when scores of each group ask for their follow-up
    # then a detractor gets the (trimmed) question and the others none
    assert survey.follow_up(3) == "What should we fix?"
    assert survey.follow_up(8) is None
    assert survey.follow_up(10) is None
