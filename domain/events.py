"""The events other systems hear of through webhooks, and the data each carries.

Each builder is pure: the use case that makes the change adds the event to its unit of
work's outbox, so the event is written in the change's own transaction. Every event naming a
member also gets `data.member = {id, externalId}` when it is written (docs/webhooks.md)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from domain.ledger import Balance, LedgerEntry
from domain.records.members import Member
from domain.records.redemptions import Redemption
from domain.records.referrals import Referral
from domain.records.surveys import Survey, SurveyResponse
from domain.records.webhooks import ExpiringPoints, NewEvent
from domain.segments import Segment
from domain.surveys import score_group
from domain.tiers import Tier, TierChangeReason


class EventType(StrEnum):
    MEMBER_ENROLLED = "member.enrolled"
    POINTS_CHANGED = "points.changed"
    TIER_CHANGED = "tier.changed"
    REWARD_REDEEMED = "reward.redeemed"
    REDEMPTION_USED = "redemption.used"
    REFERRAL_COMPLETED = "referral.completed"
    SURVEY_ANSWERED = "survey.answered"
    SEGMENT_ENTERED = "segment.entered"
    POINTS_EXPIRING = "points.expiring"


TEST_EVENT = "webhook.test"  # sent by sendTestWebhook to one endpoint only


def iso(at: datetime | None) -> str | None:
    return at.isoformat().replace("+00:00", "Z") if at is not None else None


def member_enrolled(member: Member) -> NewEvent:
    return NewEvent(
        EventType.MEMBER_ENROLLED,
        member.id,
        member.enrolled_at,
        {
            "member": {
                "id": str(member.id),
                "externalId": member.external_id,
                "email": member.email,
                "name": member.name,
                "referralCode": member.referral_code,
                "enrolledAt": iso(member.enrolled_at),
            }
        },
    )


def points_changed(entry: LedgerEntry, balance: Balance) -> NewEvent:
    """One ledger entry and the balance right after it."""
    return NewEvent(
        EventType.POINTS_CHANGED,
        entry.member_id,
        entry.created_at,
        {
            "entryId": entry.id,
            "wallet": entry.wallet,
            "kind": entry.kind.value,
            "points": entry.points,
            "change": {
                "available": entry.available_delta,
                "pending": entry.pending_delta,
                "lifetime": entry.lifetime_delta,
            },
            "balance": {
                "available": balance.spendable,
                "pending": balance.pending,
                "lifetime": balance.lifetime,
            },
            "reason": entry.reason,
            "orderId": entry.order_id,
        },
    )


def tier_changed(
    member_id: UUID,
    previous: Tier | None,
    current: Tier | None,
    reason: TierChangeReason,
    at: datetime,
) -> NewEvent:
    return NewEvent(
        EventType.TIER_CHANGED,
        member_id,
        at,
        {"from": _tier(previous), "to": _tier(current), "reason": reason.value},
    )


def _tier(tier: Tier | None) -> dict[str, Any] | None:
    if tier is None:
        return None
    return {"id": str(tier.id), "name": tier.name, "threshold": tier.threshold}


def reward_redeemed(redemption: Redemption, reward_name: str) -> NewEvent:
    return NewEvent(
        EventType.REWARD_REDEEMED,
        redemption.member_id,
        redemption.created_at,
        _redemption(redemption, reward_name),
    )


def redemption_used(redemption: Redemption, at: datetime) -> NewEvent:
    return NewEvent(EventType.REDEMPTION_USED, redemption.member_id, at, _redemption(redemption))


def _redemption(r: Redemption, reward_name: str | None = None) -> dict[str, Any]:
    reward: dict[str, Any] = {"id": str(r.reward_id)}
    if reward_name is not None:
        reward["name"] = reward_name
    return {
        "redemption": {
            "id": str(r.id),
            "code": r.code,
            "status": r.status.value,
            "points": r.points,
            "valueMinor": r.value_minor,
            "orderId": r.order_id,
            "createdAt": iso(r.created_at),
            "expiresAt": iso(r.expires_at),
            "usedAt": iso(r.used_at),
        },
        "reward": reward,
    }


def referral_completed(r: Referral, referee_external_id: str | None, at: datetime) -> NewEvent:
    """Both sides were rewarded; the event is the referrer's (ordered with its events)."""
    return NewEvent(
        EventType.REFERRAL_COMPLETED,
        r.referrer_id,
        at,
        {
            "referral": {
                "id": str(r.id),
                "code": r.code,
                "qualifyingOrderId": r.qualifying_order_id,
                "referrerPoints": r.referrer_points,
                "refereePoints": r.referee_points,
            },
            "referee": {"id": str(r.referee_id), "externalId": referee_external_id},
        },
    )


def survey_answered(survey: Survey, response: SurveyResponse) -> NewEvent:
    return NewEvent(
        EventType.SURVEY_ANSWERED,
        response.member_id,
        response.created_at,
        {
            "survey": {
                "id": str(survey.id),
                "kind": survey.kind.value,
                "question": survey.question,
            },
            "response": {
                "id": str(response.id),
                "score": response.score,
                "group": score_group(survey.kind, response.score).value,
                "answer": response.answer,
                "points": response.points,
            },
        },
    )


def segment_entered(member_id: UUID, segment: Segment, at: datetime) -> NewEvent:
    return NewEvent(
        EventType.SEGMENT_ENTERED,
        member_id,
        at,
        {"segment": {"key": segment.key, "name": segment.name, "builtin": segment.builtin}},
    )


def points_expiring(x: ExpiringPoints, now: datetime) -> NewEvent:
    return NewEvent(
        EventType.POINTS_EXPIRING,
        x.member_id,
        now,
        {"wallet": x.wallet, "points": x.points, "expiresAt": iso(x.expires_at)},
    )
