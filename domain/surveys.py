"""NPS and CSAT, pure: the scales, the score groups, the two scores, and what a survey
definition may hold.

Definitions (docs/analytics.md, "Surveys"):

- NPS, as the seed articles 001_b912145bd3295e28.txt and 002_a724b41b302cd474.txt describe
  it: "how likely are you to recommend us", 0 to 10; promoters answer 9-10, passives 7-8,
  detractors 0-6. Score = % promoters - % detractors, from -100 to 100.
- CSAT: 1 to 5; satisfied 4-5, neutral 3, dissatisfied 1-2. Score = satisfied responses
  over all responses x 100, from 0 to 100. The articles name CSAT (001, 002) but give no
  formula: this is the usual "top two boxes" share.

Every response in the period counts, a member's repeat answers too: the score measures
answers, as a survey tool's export would.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from domain.errors import DomainError


class SurveyKind(StrEnum):
    NPS = "NPS"
    CSAT = "CSAT"


class ScoreGroup(StrEnum):
    PROMOTER = "PROMOTER"  # NPS 9-10
    PASSIVE = "PASSIVE"  # NPS 7-8
    DETRACTOR = "DETRACTOR"  # NPS 0-6
    SATISFIED = "SATISFIED"  # CSAT 4-5
    NEUTRAL = "NEUTRAL"  # CSAT 3
    DISSATISFIED = "DISSATISFIED"  # CSAT 1-2


SCALES: dict[SurveyKind, tuple[int, int]] = {SurveyKind.NPS: (0, 10), SurveyKind.CSAT: (1, 5)}
GROUPS: dict[SurveyKind, tuple[ScoreGroup, ...]] = {
    SurveyKind.NPS: (ScoreGroup.PROMOTER, ScoreGroup.PASSIVE, ScoreGroup.DETRACTOR),
    SurveyKind.CSAT: (ScoreGroup.SATISFIED, ScoreGroup.NEUTRAL, ScoreGroup.DISSATISFIED),
}
MAX_QUESTION = 500
MAX_ANSWER = 2000
MAX_POINTS = 1_000_000
_PLACES = Decimal("0.01")


def validate_score(kind: SurveyKind, score: int) -> int:
    low, high = SCALES[kind]
    if not low <= score <= high:
        raise DomainError(f"The {kind.value} score is {low} to {high}.", field=("score",))
    return score


def score_group(kind: SurveyKind, score: int) -> ScoreGroup:
    validate_score(kind, score)
    if kind is SurveyKind.NPS:
        if score >= 9:
            return ScoreGroup.PROMOTER
        return ScoreGroup.PASSIVE if score >= 7 else ScoreGroup.DETRACTOR
    if score >= 4:
        return ScoreGroup.SATISFIED
    return ScoreGroup.NEUTRAL if score == 3 else ScoreGroup.DISSATISFIED


def _percent(part: int, whole: int) -> Decimal:
    return Decimal(100) * part / whole


@dataclass(frozen=True, slots=True)
class NpsSummary:
    promoters: int = 0
    passives: int = 0
    detractors: int = 0

    @property
    def responses(self) -> int:
        return self.promoters + self.passives + self.detractors

    @property
    def score(self) -> Decimal | None:
        """% promoters - % detractors, to two places; None without responses."""
        n = self.responses
        if n == 0:
            return None
        exact = _percent(self.promoters, n) - _percent(self.detractors, n)
        return exact.quantize(_PLACES, ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class CsatSummary:
    satisfied: int = 0
    responses: int = 0

    @property
    def score(self) -> Decimal | None:
        """Satisfied responses over all x 100, to two places; None without responses."""
        if self.responses == 0:
            return None
        return _percent(self.satisfied, self.responses).quantize(_PLACES, ROUND_HALF_UP)


def clean_text(value: str, field: str, limit: int, *, required: bool = False) -> str:
    cleaned = value.strip()
    if len(cleaned) > limit or (required and not cleaned):
        least = 1 if required else 0
        raise DomainError(f"{field} is {least} to {limit} characters.", field=(field,))
    return cleaned


def validate_follow_ups(
    kind: SurveyKind, follow_ups: dict[ScoreGroup, str]
) -> dict[ScoreGroup, str]:
    """Follow-up questions by group, each of a group of the survey's own scale; an empty
    question is no follow-up."""
    out: dict[ScoreGroup, str] = {}
    for group, question in follow_ups.items():
        if group not in GROUPS[kind]:
            raise DomainError(
                f"{group.value} is not a group of {kind.value} scores.", field=("followUps",)
            )
        text = clean_text(question, "followUps", MAX_QUESTION)
        if text:
            out[group] = text
    return out


def validate_points(points: int) -> int:
    if not 0 <= points <= MAX_POINTS:
        raise DomainError(f"points is 0 to {MAX_POINTS:,}.", field=("points",))
    return points
