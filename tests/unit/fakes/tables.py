"""The rows of one fake tenant schema, and the constraints PostgreSQL would enforce on them.

Rows are immutable records (the domain's frozen dataclasses, or small ones here for columns
the domain never reads back), so a snapshot of the tables is a copy of their containers:
that is what lets a fake unit of work roll back by dropping its copy. Identities (`seq`,
entry and lot ids) come from counters outside the snapshot, as PostgreSQL's sequences do not
roll back either.

A broken constraint raises the asyncpg error the real schema raises, so a use case that
would trip one in production trips it here too.
"""

from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from typing import Any
from uuid import UUID

import asyncpg

from domain.ledger import Balance, LedgerEntry, Lot
from domain.records.analytics import AnalyticsSettings
from domain.records.idempotency import IdempotencyRecord
from domain.records.members import Member
from domain.records.orders import OrderRecord, RefundRecord
from domain.records.redemptions import Redemption
from domain.records.referrals import Referral
from domain.records.refresh_tokens import RefreshTokenRecord
from domain.records.segments import Campaign, GrantDone, RefreshState
from domain.records.surveys import Survey, SurveyResponse
from domain.records.webhooks import NewEvent, WebhookDelivery, WebhookEndpoint
from domain.rewards import Reward
from domain.segments import Segment
from domain.tiers import MemberTier, PaidMembership, Tier, TierChangeReason, TierSettings


@dataclass(frozen=True, slots=True)
class BalanceRow:
    balance: Balance
    last_activity_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class EntryRow:
    """A ledger entry and the columns of its row the domain writes but never reads back."""

    entry: LedgerEntry
    idempotency_key: str | None
    actor: str | None


@dataclass(frozen=True, slots=True)
class ActionEvent:
    member_id: UUID
    action: str
    occurred_at: datetime
    entry_id: int | None


@dataclass(frozen=True, slots=True)
class PoolCode:
    reward_id: UUID
    code: str
    redemption_id: UUID | None = None


@dataclass(frozen=True, slots=True)
class MemberTierRow:
    member_tier: MemberTier
    evaluated_at: datetime


@dataclass(frozen=True, slots=True)
class TierHistoryRow:
    id: int
    member_id: UUID
    from_tier: UUID | None
    to_tier: UUID | None
    reason: TierChangeReason
    at: datetime


@dataclass(frozen=True, slots=True)
class VersionedRow:
    """A row of program_config or referral_settings: the configuration as stored JSON."""

    version: int
    config: dict[str, Any]
    created_at: datetime
    created_by: str | None


@dataclass
class Tables:
    members: dict[UUID, Member] = field(default_factory=dict)
    balances: dict[tuple[UUID, str], BalanceRow] = field(default_factory=dict)
    entries: dict[int, EntryRow] = field(default_factory=dict)
    lots: dict[int, Lot] = field(default_factory=dict)
    # (entry id, lot id) -> points: the primary key of lot_draws.
    lot_draws: dict[tuple[int, int], int] = field(default_factory=dict)
    idempotency_keys: dict[str, IdempotencyRecord] = field(default_factory=dict)
    program_config: dict[int, VersionedRow] = field(default_factory=dict)
    orders: dict[str, OrderRecord] = field(default_factory=dict)
    refunds: dict[str, RefundRecord] = field(default_factory=dict)
    action_events: list[ActionEvent] = field(default_factory=list)
    rewards: dict[UUID, Reward] = field(default_factory=dict)
    reward_codes: dict[str, PoolCode] = field(default_factory=dict)
    redemptions: dict[UUID, Redemption] = field(default_factory=dict)
    referral_settings: dict[int, VersionedRow] = field(default_factory=dict)
    referrals: dict[UUID, Referral] = field(default_factory=dict)
    referral_clicks: dict[UUID, int] = field(default_factory=dict)  # member id -> clicks
    tiers: dict[UUID, Tier] = field(default_factory=dict)
    tier_program: TierSettings = field(default_factory=TierSettings)
    tier_settled_version: int = 0
    member_tiers: dict[UUID, MemberTierRow] = field(default_factory=dict)
    tier_history: list[TierHistoryRow] = field(default_factory=list)
    paid_memberships: dict[UUID, PaidMembership] = field(default_factory=dict)
    surveys: dict[UUID, Survey] = field(default_factory=dict)
    survey_responses: dict[UUID, SurveyResponse] = field(default_factory=dict)
    segments: dict[str, Segment] = field(default_factory=dict)
    # (segment key, member id) -> since
    segment_members: dict[tuple[str, UUID], datetime] = field(default_factory=dict)
    segment_refresh: RefreshState = field(
        default_factory=lambda: RefreshState(None, datetime.fromtimestamp(0).astimezone())
    )
    campaigns: dict[UUID, Campaign] = field(default_factory=dict)
    # (campaign id, member id) -> the grant; PENDING ones are GrantDone with that status
    campaign_grants: dict[tuple[UUID, UUID], GrantDone] = field(default_factory=dict)
    grant_times: dict[tuple[UUID, UUID], datetime] = field(default_factory=dict)
    analytics_settings: AnalyticsSettings = field(default_factory=AnalyticsSettings)
    webhook_events: dict[int, NewEvent] = field(default_factory=dict)
    webhook_endpoints: dict[UUID, WebhookEndpoint] = field(default_factory=dict)
    # endpoint id -> (secret, previous secret)
    webhook_secrets: dict[UUID, tuple[str, str | None]] = field(default_factory=dict)
    webhook_deliveries: dict[int, WebhookDelivery] = field(default_factory=dict)
    # (member id, wallet, UTC day of expiry) -> when it was announced
    expiring_notices: dict[tuple[UUID, str, date], datetime] = field(default_factory=dict)
    refresh_tokens: dict[bytes, RefreshTokenRecord] = field(default_factory=dict)

    def snapshot(self) -> Tables:
        """A copy a transaction may change: each table's container is copied, rows are
        immutable and shared."""
        return Tables(**{f.name: copy.copy(getattr(self, f.name)) for f in fields(self)})


class Sequences:
    """PostgreSQL's identity columns: numbers handed out are never given back."""

    def __init__(self) -> None:
        self._counters: dict[str, itertools.count[int]] = {}

    def next(self, name: str) -> int:
        return next(self._counters.setdefault(name, itertools.count(1)))


@dataclass
class FakeDatabase:
    """One tenant schema: the committed tables and the sequences."""

    tables: Tables = field(default_factory=Tables)
    sequences: Sequences = field(default_factory=Sequences)
    in_transaction: bool = False


def check(condition: bool, constraint: str) -> None:
    """A CHECK constraint of the tenant schema."""
    if not condition:
        raise asyncpg.CheckViolationError(f'violates check constraint "{constraint}"')


def unique(taken: bool, constraint: str) -> None:
    if taken:
        raise asyncpg.UniqueViolationError(f'violates unique constraint "{constraint}"')


def references(present: bool, constraint: str) -> None:
    if not present:
        raise asyncpg.ForeignKeyViolationError(f'violates foreign key constraint "{constraint}"')
