"""Tier definitions, settings, members' tiers and history in memory, as
persistence/repositories/tiers.py keeps them (without the process's memory of "no tiers":
`known_empty` is always False, as the real repository's is without that memory)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from uuid import UUID

from domain.errors import Duplicate
from domain.ledger import DEFAULT_WALLET
from domain.ports import TierHistoryEntry, TierStanding
from domain.records.members import MemberStatus
from domain.tiers import (
    MemberTier,
    PaidMembership,
    Tier,
    TierChangeReason,
    TierMetric,
    TierSettings,
)
from tests.unit.fakes.tables import (
    MemberTierRow,
    Sequences,
    Tables,
    TierHistoryRow,
    check,
    references,
)


class FakeTierRepository:
    def __init__(self, tables: Tables, sequences: Sequences) -> None:
        self._tables = tables
        self._sequences = sequences

    def known_empty(self) -> bool:
        return False

    async def settings(self) -> TierSettings:
        return self._tables.tier_program

    async def lock_settings(self) -> TierSettings:
        return self._tables.tier_program

    async def save_settings(self, settings: TierSettings) -> None:
        check(
            (settings.rolling_months is not None) == (settings.window.value == "ROLLING_MONTHS"),
            "tier_program_check",
        )
        self._tables.tier_program = settings

    async def all(self) -> list[Tier]:
        return sorted(self._tables.tiers.values(), key=lambda t: (t.threshold, t.id))

    def _refuse_duplicate(self, tier: Tier) -> None:
        # The unique indexes cover unarchived tiers only; threshold's was created first.
        others = [t for t in self._tables.tiers.values() if t.id != tier.id and not t.archived]
        if tier.archived:
            return
        if any(t.threshold == tier.threshold for t in others):
            raise Duplicate("Another tier has this threshold.", field=("threshold",))
        if any(t.name.lower() == tier.name.lower() for t in others):
            raise Duplicate("Another tier has this name.", field=("name",))

    async def add(self, tier: Tier) -> None:
        self._refuse_duplicate(tier)
        check(tier.threshold >= 0, "tiers_threshold_check")
        self._tables.tiers[tier.id] = tier

    async def update(self, tier: Tier) -> None:
        if tier.id not in self._tables.tiers:  # an UPDATE of no row
            return
        self._refuse_duplicate(tier)
        self._tables.tiers[tier.id] = tier

    def _held(self, member_id: UUID) -> Tier | None:
        row = self._tables.member_tiers.get(member_id)
        tier_id = row.member_tier.tier_id if row else None
        tier = self._tables.tiers.get(tier_id) if tier_id is not None else None
        return tier if tier is not None and not tier.archived else None

    async def held(self, member_id: UUID) -> Tier | None:
        return self._held(member_id)

    async def held_by(self, member_ids: Sequence[UUID]) -> dict[UUID, Tier]:
        held = {m: self._held(m) for m in dict.fromkeys(member_ids)}
        return {m: tier for m, tier in held.items() if tier is not None}

    async def member_tier(self, member_id: UUID) -> MemberTier | None:
        row = self._tables.member_tiers.get(member_id)
        return row.member_tier if row else None

    async def lock_member_tier(self, member_id: UUID, now: datetime) -> MemberTier:
        rows = self._tables.member_tiers
        if member_id not in rows:
            references(member_id in self._tables.members, "member_tiers_member_id_fkey")
            rows[member_id] = MemberTierRow(MemberTier(member_id, None, now, None, 0), now)
        return rows[member_id].member_tier

    async def save_member_tier(self, member_tier: MemberTier, at: datetime) -> None:
        if member_tier.member_id not in self._tables.member_tiers:  # an UPDATE of no row
            return
        references(
            member_tier.tier_id is None or member_tier.tier_id in self._tables.tiers,
            "member_tiers_tier_id_fkey",
        )
        self._tables.member_tiers[member_tier.member_id] = MemberTierRow(member_tier, at)

    async def memberships_of(self, member_id: UUID) -> list[PaidMembership]:
        found = [
            m
            for m in self._tables.paid_memberships.values()
            if m.member_id == member_id and m.revoked_at is None
        ]
        return sorted(found, key=lambda m: (m.ends_at, m.id))

    async def add_membership(self, membership: PaidMembership) -> bool:
        taken = self._tables.paid_memberships.values()
        if any(m.order_id == membership.order_id and m.sku == membership.sku for m in taken):
            return False
        references(membership.member_id in self._tables.members, "paid_memberships_member_id_fkey")
        references(membership.tier_id in self._tables.tiers, "paid_memberships_tier_id_fkey")
        check(membership.ends_at > membership.starts_at, "paid_memberships_check")
        self._tables.paid_memberships[membership.id] = membership
        return True

    async def revoke_memberships(
        self, order_id: str, skus: Sequence[str] | None, at: datetime
    ) -> int:
        due = [
            m
            for m in self._tables.paid_memberships.values()
            if m.order_id == order_id and m.revoked_at is None and (skus is None or m.sku in skus)
        ]
        for m in due:
            self._tables.paid_memberships[m.id] = replace(m, revoked_at=at)
        return len(due)

    async def add_history(
        self,
        member_id: UUID,
        from_tier: UUID | None,
        to_tier: UUID | None,
        reason: TierChangeReason,
        at: datetime,
    ) -> None:
        references(member_id in self._tables.members, "tier_history_member_id_fkey")
        self._tables.tier_history.append(
            TierHistoryRow(
                self._sequences.next("tier_history"), member_id, from_tier, to_tier, reason, at
            )
        )

    async def history(
        self, member_id: UUID, before_id: int | None, limit: int
    ) -> list[TierHistoryEntry]:
        found = [
            TierHistoryEntry(r.id, r.member_id, r.from_tier, r.to_tier, r.reason, r.at)
            for r in self._tables.tier_history
            if r.member_id == member_id and (before_id is None or r.id < before_id)
        ]
        found.sort(key=lambda h: h.id, reverse=True)
        return found[:limit]

    async def metric_value(
        self, member_id: UUID, metric: TierMetric, since: datetime | None
    ) -> int:
        tables = self._tables
        if metric is TierMetric.POINTS_EARNED:
            return sum(
                row.entry.lifetime_delta
                for row in tables.entries.values()
                if row.entry.member_id == member_id
                and row.entry.wallet == DEFAULT_WALLET
                and (since is None or row.entry.created_at >= since)
            )
        orders = [
            o
            for o in tables.orders.values()
            if o.order.member_id == member_id and (since is None or o.order.placed_at >= since)
        ]
        if metric is TierMetric.AMOUNT_SPENT:
            return sum(o.paid_minor - o.refunded_minor for o in orders)
        # Fully refunded orders do not count.
        return sum(o.refunded_minor < o.paid_minor or o.paid_minor == 0 for o in orders)

    async def _standing(
        self, member_id: UUID, metric: TierMetric, since: datetime | None
    ) -> TierStanding:
        return TierStanding(
            member_id,
            await self.member_tier(member_id),
            await self.metric_value(member_id, metric, since),
        )

    async def standings(
        self, metric: TierMetric, since: datetime | None, after: UUID | None, limit: int
    ) -> list[TierStanding]:
        ids = sorted(
            m.id
            for m in self._tables.members.values()
            if m.status is not MemberStatus.ERASED and (after is None or m.id > after)
        )
        return [await self._standing(m, metric, since) for m in ids[:limit]]

    async def standings_of(
        self, member_ids: Sequence[UUID], metric: TierMetric, since: datetime | None
    ) -> list[TierStanding]:
        return [await self._standing(m, metric, since) for m in member_ids]

    async def unsettled_version(self) -> int | None:
        version = self._tables.tier_program.version
        return version if self._tables.tier_settled_version < version else None

    async def mark_settled(self, version: int) -> None:
        if self._tables.tier_program.version == version:
            self._tables.tier_settled_version = version

    def _not_erased(self, member_id: UUID) -> bool:
        member = self._tables.members.get(member_id)
        return member is not None and member.status is not MemberStatus.ERASED

    async def stale_members(self, version: int, limit: int) -> list[UUID]:
        rows = self._tables.member_tiers
        stale = sorted(
            m.id
            for m in self._tables.members.values()
            if self._not_erased(m.id)
            and (m.id not in rows or rows[m.id].member_tier.evaluated_version < version)
        )
        return stale[:limit]

    async def due_for_review(self, now: datetime, limit: int) -> list[UUID]:
        due = [
            row.member_tier
            for row in self._tables.member_tiers.values()
            if row.member_tier.retain_until is not None
            and row.member_tier.retain_until <= now
            and self._not_erased(row.member_tier.member_id)
        ]
        due.sort(key=lambda mt: mt.retain_until or now)
        return [mt.member_id for mt in due[:limit]]
