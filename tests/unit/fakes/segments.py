"""Fakes of the segment and win-back campaign repositories over the fake tables."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from uuid import UUID

from domain.ledger import DEFAULT_WALLET
from domain.records.members import MemberStatus
from domain.records.segments import (
    Campaign,
    CampaignStatus,
    GrantDone,
    GrantStatus,
    RefreshInputs,
    RefreshState,
    WinBack,
)
from domain.segments import MemberFacts, Segment
from domain.surveys import SurveyKind
from tests.unit.fakes.tables import Sequences, Tables, unique

RECENT_ORDERS = 100


class FakeSegmentRepository:
    def __init__(self, tables: Tables) -> None:
        self._tables = tables

    async def stored(self) -> list[Segment]:
        return [self._tables.segments[k] for k in sorted(self._tables.segments)]

    async def save(self, segment: Segment, at: datetime) -> None:
        kept = self._tables.segments.get(segment.key)
        self._tables.segments[segment.key] = (
            replace(segment, builtin=kept.builtin) if kept else segment
        )

    async def delete(self, key: str) -> bool:
        for pair in [p for p in self._tables.segment_members if p[0] == key]:
            del self._tables.segment_members[pair]
        return self._tables.segments.pop(key, None) is not None

    async def _facts(self, member_ids: Sequence[UUID], now: datetime) -> dict[UUID, MemberFacts]:
        t = self._tables
        top = max((x.threshold for x in t.tiers.values() if not x.archived), default=None)
        found: dict[UUID, MemberFacts] = {}
        for member_id in member_ids:
            member = t.members.get(member_id)
            if member is None or member.status is not MemberStatus.ACTIVE:
                continue
            orders = [o for o in t.orders.values() if o.order.member_id == member_id]
            counted = [o for o in orders if o.refunded_minor < o.paid_minor or o.paid_minor == 0]
            times = sorted(o.order.placed_at for o in counted)[-RECENT_ORDERS:]
            row = t.balances.get((member_id, DEFAULT_WALLET))
            held = t.member_tiers.get(member_id)
            tier = (
                t.tiers.get(held.member_tier.tier_id) if held and held.member_tier.tier_id else None
            )
            if tier is not None and tier.archived:
                tier = None
            nps = sorted(
                (r for r in t.survey_responses.values()
                 if r.member_id == member_id and r.kind is SurveyKind.NPS),
                key=lambda r: r.seq,
            )  # fmt: skip
            found[member_id] = MemberFacts(
                enrolled_at=member.enrolled_at,
                birthday=member.birthday,
                order_times=tuple(times),
                order_count=len(counted),
                lifetime_spend_minor=sum(o.paid_minor - o.refunded_minor for o in orders),
                points_balance=row.balance.available - row.balance.debt if row else 0,
                last_activity_at=row.last_activity_at if row else None,
                tier=tier.name if tier else None,
                in_top_tier=tier is not None and tier.threshold == top,
                nps_score=nps[-1].score if nps else None,
            )
        return found

    async def refresh_inputs(
        self, member_ids: Sequence[UUID], now: datetime, *, tiers: bool = True
    ) -> RefreshInputs:
        return RefreshInputs(
            await self._facts(member_ids, now),
            await self.stored(),
            await self.of_members(member_ids),
        )

    async def replace_memberships(
        self, member_ids: Sequence[UUID], memberships: Sequence[tuple[str, UUID]], at: datetime
    ) -> None:
        wanted = set(memberships)
        held = self._tables.segment_members
        for pair in [p for p in held if p[1] in member_ids and p not in wanted]:
            del held[pair]
        for pair in wanted:
            held.setdefault(pair, at)

    async def of_members(self, member_ids: Sequence[UUID]) -> dict[UUID, frozenset[str]]:
        held = self._tables.segment_members
        return {m: frozenset(k for k, x in held if x == m) for m in member_ids}

    async def member_page(self, key: str, after_seq: int | None, limit: int) -> list[UUID]:
        members = self._tables.members
        seqs = sorted((members[m].seq, m) for k, m in self._tables.segment_members if k == key)
        return [m for seq, m in seqs if after_seq is None or seq > after_seq][:limit]

    async def count(self, key: str) -> int:
        return sum(1 for k, _ in self._tables.segment_members if k == key)

    async def lock_refresh(self) -> RefreshState:
        return self._tables.segment_refresh

    async def save_refresh(self, state: RefreshState) -> None:
        self._tables.segment_refresh = state

    async def members_after(self, after_seq: int | None, limit: int) -> list[tuple[UUID, int]]:
        found = sorted((m.seq, m.id) for m in self._tables.members.values())
        return [(i, s) for s, i in found if after_seq is None or s > after_seq][:limit]

    async def quiet(self, member_ids: Sequence[UUID]) -> list[UUID]:
        return list(member_ids)  # one transaction at a time: nobody else is changing them


class FakeCampaignRepository:
    def __init__(self, tables: Tables, sequences: Sequences) -> None:
        self._tables = tables
        self._sequences = sequences

    async def add(self, campaign: Campaign) -> Campaign | None:
        t = self._tables
        if any(c.key == campaign.key for c in t.campaigns.values()):
            return None
        unique(campaign.id in t.campaigns, "winback_campaigns_pkey")
        members = [m for k, m in t.segment_members if k == campaign.segment_key]
        added = replace(campaign, seq=self._sequences.next("campaigns"), total=len(members))
        t.campaigns[added.id] = added
        for m in members:
            t.campaign_grants[(added.id, m)] = GrantDone(m, GrantStatus.PENDING)
        return added

    async def by_key(self, key: str) -> Campaign | None:
        return next((c for c in self._tables.campaigns.values() if c.key == key), None)

    async def get(self, campaign_id: UUID) -> Campaign | None:
        return self._tables.campaigns.get(campaign_id)

    async def claim_pending(self, campaign_id: UUID, limit: int) -> list[UUID]:
        pending = [
            m
            for (c, m), g in self._tables.campaign_grants.items()
            if c == campaign_id and g.status is GrantStatus.PENDING
        ]
        return sorted(pending)[:limit]

    async def record(self, campaign_id: UUID, done: Sequence[GrantDone], at: datetime) -> Campaign:
        t = self._tables
        for d in done:
            t.campaign_grants[(campaign_id, d.member_id)] = d
            t.grant_times[(campaign_id, d.member_id)] = at
        granted = sum(1 for d in done if d.status is GrantStatus.GRANTED)
        c = t.campaigns[campaign_id]
        left = any(
            g.status is GrantStatus.PENDING
            for (x, _), g in t.campaign_grants.items()
            if x == campaign_id
        )
        c = replace(
            c,
            granted=c.granted + granted,
            skipped=c.skipped + len(done) - granted,
            status=CampaignStatus.RUNNING if left else CampaignStatus.DONE,
            finished_at=c.finished_at if left else (c.finished_at or at),
        )
        t.campaigns[campaign_id] = c
        return c

    async def running(self, limit: int) -> list[UUID]:
        found = sorted(
            (c.seq, c.id)
            for c in self._tables.campaigns.values()
            if c.status is CampaignStatus.RUNNING
        )
        return [i for _, i in found][:limit]

    async def win_back(self, campaign_id: UUID, days: int) -> WinBack:
        return self._win_back(days, lambda c, at: c == campaign_id)

    async def win_back_granted_between(self, start: datetime, end: datetime, days: int) -> WinBack:
        return self._win_back(days, lambda c, at: start <= at < end)

    def _win_back(self, days: int, chosen: Callable[[UUID, datetime], bool]) -> WinBack:
        t = self._tables
        granted = [
            (m, t.grant_times[(c, m)])
            for (c, m), g in t.campaign_grants.items()
            if g.status is GrantStatus.GRANTED and chosen(c, t.grant_times[(c, m)])
        ]
        reordered = sum(
            1
            for m, at in granted
            if any(
                o.order.member_id == m
                and at < o.order.placed_at <= at + timedelta(days=days)
                and (o.refunded_minor < o.paid_minor or o.paid_minor == 0)
                for o in t.orders.values()
            )
        )
        return WinBack(len(granted), reordered)
