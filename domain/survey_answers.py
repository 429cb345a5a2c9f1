"""submitSurveyResponse: a member's answer to a survey, recorded, with the survey's points
for answering paid through the action limits (domain/actions.py), so one answer per survey
and period earns and a repeat answer is recorded but earns nothing."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID, uuid4

from domain.actions import limit_refusal
from domain.clock import Clock
from domain.earned import earn_now
from domain.errors import DomainError, ErrorCode, NotFound
from domain.events import survey_answered
from domain.idempotency import fingerprint, first_result, validate_key
from domain.ledger import DEFAULT_WALLET, Balance
from domain.members import active_member
from domain.ports import BalanceCache, TenantUnitOfWork, UnitOfWorkFactory
from domain.program import ActionRule
from domain.records.surveys import Survey, SurveyResponse
from domain.segment_membership import refresh_member
from domain.surveys import MAX_ANSWER, SurveyKind, clean_text, validate_score
from domain.tier_evaluation import evaluate_member_tier
from domain.wallet import LockedWallet

_OPERATION = "submitSurveyResponse"


@dataclass(frozen=True, slots=True)
class SurveyAnswer:
    response: SurveyResponse
    survey: Survey
    balance: Balance | None
    no_points_reason: str | None = None
    replayed: bool = False

    @property
    def follow_up(self) -> str | None:
        return self.survey.follow_up(self.response.score)


def earning_rule(survey: Survey) -> ActionRule:
    """The survey's points as an action the limits count: the key cannot be a program
    action's (those are lowercase letters, digits and '_' only)."""
    return ActionRule(
        key=f"survey:{survey.id}",
        points=survey.points,
        once=survey.points_period is None,
        max_per_period=1 if survey.points_period is not None else None,
        period=survey.points_period,
    )


def _already_earned(survey: Survey) -> str:
    if survey.points_period is None:
        return "This survey's points were earned already: they are paid once per member."
    return (
        "This survey's points were earned already this "
        f"{survey.points_period.value.lower()}: the answer is recorded without points."
    )


async def submit_survey_response(
    uow_factory: UnitOfWorkFactory,
    cache: BalanceCache,
    clock: Clock,
    *,
    member_id: UUID,
    survey_id: UUID,
    score: int,
    answer: str | None,
    idempotency_key: str | None,
) -> SurveyAnswer:
    key = validate_key(idempotency_key) if idempotency_key is not None else None
    text = clean_text(answer, "answer", MAX_ANSWER) or None if answer is not None else None
    now = clock.now()
    asked = {"member": str(member_id), "survey": str(survey_id), "score": score, "answer": text}
    digest = fingerprint(_OPERATION, asked)
    async with uow_factory() as uow:
        if key is not None:
            first = await first_result(uow.idempotency, key, _OPERATION, digest, now)
            if first is not None:
                return await _replayed(uow, first)
        survey = await uow.surveys.get(survey_id)
        if survey is None:
            raise NotFound("No such survey.", field=("surveyId",))
        if not survey.open:
            raise DomainError(
                "This survey takes no answers now.",
                field=("surveyId",),
                code=ErrorCode.SURVEY_CLOSED,
            )
        validate_score(survey.kind, score)
        await active_member(uow.members, member_id)
        points, entry_id, balance, reason = 0, None, None, None
        if survey.points > 0:
            # The wallet lock serialises this member's answers: the count the limit reads
            # cannot race with a concurrent answer's.
            wallet = await LockedWallet.open_in(uow, member_id, DEFAULT_WALLET, now)
            rule = earning_rule(survey)
            if await limit_refusal(uow.actions, member_id, rule, now) is None:
                program = await uow.programs.current()
                why = f"Survey: {survey.question[:80]}"
                entry = await earn_now(wallet, program, survey.points, why, key)
                await uow.actions.add(member_id, rule.key, now, entry.id)
                points, entry_id = survey.points, entry.id
            else:
                reason = _already_earned(survey)
            balance = await wallet.save()
            if entry_id is not None:
                await evaluate_member_tier(uow, member_id, now)
        response = await uow.surveys.add_response(
            SurveyResponse(
                id=uuid4(),
                seq=0,
                survey_id=survey.id,
                member_id=member_id,
                kind=survey.kind,
                score=score,
                answer=text,
                points=points,
                entry_id=entry_id,
                created_at=now,
            )
        )
        uow.events.add(survey_answered(survey, response))
        if survey.kind is SurveyKind.NPS:  # NPS_GROUP rules follow the latest answer
            await refresh_member(uow, member_id, now)
        if key is not None:
            await uow.idempotency.complete(
                key, {"responseId": str(response.id), "noPointsReason": reason}
            )
    if balance is not None:
        await cache.put(balance)
    return SurveyAnswer(response, survey, balance, reason)


async def _replayed(uow: TenantUnitOfWork, first: dict[str, object]) -> SurveyAnswer:
    response = await uow.surveys.response(UUID(str(first["responseId"])))
    assert response is not None
    survey = await uow.surveys.get(response.survey_id)
    assert survey is not None
    reason = first.get("noPointsReason")
    balance = (
        await uow.ledger.balance_after(response.entry_id) if response.entry_id is not None else None
    )
    return SurveyAnswer(response, survey, balance, str(reason) if reason else None, replayed=True)
