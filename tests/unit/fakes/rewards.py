"""Rewards, their code pools and redemptions in memory, as
persistence/repositories/rewards.py keeps them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from uuid import UUID

from domain.ports import RewardFilter
from domain.records.redemptions import Redemption
from domain.rewards import RedemptionStatus, Reward
from tests.unit.fakes.tables import PoolCode, Sequences, Tables, check, references, unique


def _check_reward(r: Reward) -> None:
    check(r.stock is None or r.stock >= 0, "rewards_stock_check")
    check(r.issued >= 0, "rewards_issued_check")
    check(r.stock is None or r.issued <= r.stock, "rewards_check")


def _ilike_contains(text: str, part: str) -> bool:
    return part.casefold() in text.casefold()


class FakeRewardRepository:
    def __init__(self, tables: Tables, sequences: Sequences) -> None:
        self._tables = tables
        self._sequences = sequences

    async def get(self, reward_id: UUID) -> Reward | None:
        return self._tables.rewards.get(reward_id)

    async def lock(self, reward_id: UUID) -> Reward | None:
        return self._tables.rewards.get(reward_id)

    async def add(self, reward: Reward) -> Reward:
        stored = replace(reward, seq=self._sequences.next("rewards"))
        unique(reward.id in self._tables.rewards, "rewards_pkey")
        _check_reward(stored)
        self._tables.rewards[stored.id] = stored
        return stored

    async def update(self, reward: Reward) -> Reward:
        current = self._tables.rewards[reward.id]
        # id, seq, issued and created_at are not the caller's to change.
        stored = replace(
            reward, seq=current.seq, issued=current.issued, created_at=current.created_at
        )
        _check_reward(stored)
        self._tables.rewards[stored.id] = stored
        return stored

    async def page(self, after_seq: int | None, limit: int, where: RewardFilter) -> list[Reward]:
        live_at = where.live_at

        def matches(r: Reward) -> bool:
            return (
                (after_seq is None or r.seq > after_seq)
                and (where.include_archived or not r.archived)
                and (
                    live_at is None
                    or (
                        (r.starts_at is None or r.starts_at <= live_at)
                        and (r.ends_at is None or r.ends_at > live_at)
                        and (r.stock is None or r.issued < r.stock)
                    )
                )
                and (where.search is None or _ilike_contains(r.name, where.search))
                and (not where.kinds or r.kind in where.kinds)
                and (
                    where.early_at is None
                    or r.early_access_until is None
                    or r.early_access_until <= where.early_at
                    or (r.early_access_tier or "").lower() in where.early_tiers
                )
            )

        found = sorted(filter(matches, self._tables.rewards.values()), key=lambda r: r.seq)
        return found[:limit]

    async def reserve_stock(self, reward_id: UUID) -> bool:
        reward = self._tables.rewards.get(reward_id)
        if reward is None or (reward.stock is not None and reward.issued >= reward.stock):
            return False
        self._tables.rewards[reward_id] = replace(reward, issued=reward.issued + 1)
        return True

    async def release_stock(self, reward_id: UUID) -> None:
        reward = self._tables.rewards.get(reward_id)
        if reward is not None and reward.issued > 0:
            self._tables.rewards[reward_id] = replace(reward, issued=reward.issued - 1)

    async def take_pool_code(self, reward_id: UUID, redemption_id: UUID) -> str | None:
        free = sorted(
            c.code
            for c in self._tables.reward_codes.values()
            if c.reward_id == reward_id and c.redemption_id is None
        )
        if not free:
            return None
        taken = replace(self._tables.reward_codes[free[0]], redemption_id=redemption_id)
        self._tables.reward_codes[taken.code] = taken
        return taken.code

    async def import_codes(self, reward_id: UUID, codes: list[str]) -> int:
        references(reward_id in self._tables.rewards, "reward_codes_reward_id_fkey")
        issued = {r.code for r in self._tables.redemptions.values()}
        added = 0
        for code in codes:
            # Codes are unique across the tenant, in pools and in redemptions alike.
            if code in issued or code in self._tables.reward_codes:
                continue
            self._tables.reward_codes[code] = PoolCode(reward_id, code)
            added += 1
        return added


class FakeRedemptionRepository:
    def __init__(self, tables: Tables, sequences: Sequences) -> None:
        self._tables = tables
        self._sequences = sequences

    async def add(self, redemption: Redemption, answers_key: str | None = None) -> Redemption:
        tables = self._tables
        stored = replace(redemption, seq=self._sequences.next("redemptions"))
        unique(redemption.id in tables.redemptions, "redemptions_pkey")
        unique(
            any(r.code == redemption.code for r in tables.redemptions.values()),
            "redemptions_code_key",
        )
        references(redemption.reward_id in tables.rewards, "redemptions_reward_id_fkey")
        references(redemption.member_id in tables.members, "redemptions_member_id_fkey")
        references(redemption.spend_entry_id in tables.entries, "redemptions_spend_entry_id_fkey")
        check(redemption.points > 0, "redemptions_points_check")
        tables.redemptions[stored.id] = stored
        if answers_key is not None and answers_key in tables.idempotency_keys:
            claimed = tables.idempotency_keys[answers_key]
            tables.idempotency_keys[answers_key] = replace(
                claimed, result={"redemptionId": str(stored.id)}
            )
        return stored

    async def get(self, redemption_id: UUID) -> Redemption | None:
        return self._tables.redemptions.get(redemption_id)

    async def lock(self, redemption_id: UUID) -> Redemption | None:
        return self._tables.redemptions.get(redemption_id)

    async def by_code(self, code: str) -> Redemption | None:
        return next((r for r in self._tables.redemptions.values() if r.code == code), None)

    async def lock_by_code(self, code: str) -> Redemption | None:
        return await self.by_code(code)

    async def code_taken(self, code: str) -> bool:
        return await self.by_code(code) is not None or code in self._tables.reward_codes

    async def update(self, redemption: Redemption) -> None:
        current = self._tables.redemptions.get(redemption.id)
        if current is None:  # an UPDATE of no row
            return
        # Only these columns are written; the rest of the row is as it was issued.
        self._tables.redemptions[redemption.id] = replace(
            current,
            status=redemption.status,
            return_entry_id=redemption.return_entry_id,
            order_id=redemption.order_id,
            used_at=redemption.used_at,
            closed_at=redemption.closed_at,
        )

    def _counted(self, member_id: UUID, reward_id: UUID, since: datetime | None) -> int:
        return sum(
            r.member_id == member_id
            and r.reward_id == reward_id
            and r.status is not RedemptionStatus.CANCELLED
            and (since is None or r.created_at >= since)
            for r in self._tables.redemptions.values()
        )

    async def count_for_member(
        self, member_id: UUID, reward_id: UUID, since: datetime | None
    ) -> int:
        return self._counted(member_id, reward_id, since)

    async def counts_for_members(
        self, member_ids: Sequence[UUID], since_by_reward: dict[UUID, datetime | None]
    ) -> dict[tuple[UUID, UUID], int]:
        return {
            (m, reward_id): self._counted(m, reward_id, since)
            for m in dict.fromkeys(member_ids)
            for reward_id, since in since_by_reward.items()
        }

    async def for_member(
        self,
        member_id: UUID,
        before_seq: int | None,
        limit: int,
        statuses: tuple[RedemptionStatus, ...] = (),
    ) -> list[Redemption]:
        found = [
            r
            for r in self._tables.redemptions.values()
            if r.member_id == member_id
            and (before_seq is None or r.seq < before_seq)
            and (not statuses or r.status in statuses)
        ]
        found.sort(key=lambda r: r.seq, reverse=True)
        return found[:limit]

    async def expired_issued(self, now: datetime, limit: int) -> list[UUID]:
        due = [
            r
            for r in self._tables.redemptions.values()
            if r.status is RedemptionStatus.ISSUED
            and r.expires_at is not None
            and r.expires_at <= now
        ]
        due.sort(key=lambda r: r.expires_at or now)
        return [r.id for r in due[:limit]]
