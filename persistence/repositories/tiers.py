"""Tier definitions, tier settings, members' tiers and their history; the tier metrics."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

import asyncpg

from domain.errors import Duplicate
from domain.ledger import DEFAULT_WALLET
from domain.ports import TierHistoryEntry, TierStanding
from domain.tiers import (
    MemberTier,
    PaidMembership,
    Tier,
    TierBenefits,
    TierChangeReason,
    TierDowngrade,
    TierMetric,
    TierSettings,
    TierWindow,
)
from persistence import member_locks
from persistence.db import Conn
from persistence.program_memory import PROGRAM_CHANGES, SchemaMemory

_TIER_COLUMNS = (
    "id, name, threshold, multiplier, perks, archived, created_at, updated_at,"
    " discount_percent, free_shipping"
)
_MEMBER_TIER_COLUMNS = "member_id, tier_id, since, retain_until, evaluated_version, paid"
_MEMBERSHIP_COLUMNS = "id, member_id, tier_id, order_id, sku, starts_at, ends_at, revoked_at"
_SETTINGS_COLUMNS = "metric, window_kind, rolling_months, downgrade, grace_days, version"
# The tiers members hold, followed by the condition on `mt.member_id` that picks them.
_HELD_SQL = (
    "SELECT mt.member_id, "
    + ", ".join("t." + c for c in _TIER_COLUMNS.split(", "))
    + " FROM member_tiers mt JOIN tiers t ON t.id = mt.tier_id AND NOT t.archived WHERE "
)

# One member's metric, as a scalar subquery over `$m` (the member) and `$s` (window start,
# NULL for lifetime). Fully refunded orders neither count nor spend.
_METRIC_SQL = {
    TierMetric.POINTS_EARNED: (
        "SELECT COALESCE(sum(e.lifetime_delta), 0)::bigint FROM ledger_entries e"
        " WHERE e.member_id = {m} AND e.wallet = '" + DEFAULT_WALLET + "'"
        " AND ({s}::timestamptz IS NULL OR e.created_at >= {s})"
    ),
    TierMetric.AMOUNT_SPENT: (
        "SELECT COALESCE(sum(o.paid_minor - o.refunded_minor), 0)::bigint FROM orders o"
        " WHERE o.member_id = {m} AND ({s}::timestamptz IS NULL OR o.placed_at >= {s})"
    ),
    TierMetric.ORDER_COUNT: (
        "SELECT count(*)::bigint FROM orders o"
        " WHERE o.member_id = {m} AND ({s}::timestamptz IS NULL OR o.placed_at >= {s})"
        " AND (o.refunded_minor < o.paid_minor OR o.paid_minor = 0)"
    ),
}


def _tier(row: asyncpg.Record) -> Tier:
    return Tier(
        id=row["id"],
        name=row["name"],
        threshold=row["threshold"],
        multiplier=row["multiplier"],
        perks=tuple(row["perks"]),
        archived=row["archived"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        benefits=TierBenefits(row["discount_percent"], row["free_shipping"]),
    )


def _member_tier(row: asyncpg.Record) -> MemberTier:
    return MemberTier(
        member_id=row["member_id"],
        tier_id=row["tier_id"],
        since=row["since"],
        retain_until=row["retain_until"],
        evaluated_version=row["evaluated_version"],
        paid=row["paid"],
    )


def _standing(row: asyncpg.Record) -> TierStanding:
    """A row of the members' columns, their member_tiers columns (null: never evaluated)
    and their metric as `value`."""
    return TierStanding(row["id"], _member_tier(row) if row["member_id"] else None, row["value"])


def _settings(row: asyncpg.Record) -> TierSettings:
    return TierSettings(
        metric=TierMetric(row["metric"]),
        window=TierWindow(row["window_kind"]),
        rolling_months=row["rolling_months"],
        downgrade=TierDowngrade(row["downgrade"]),
        grace_days=row["grace_days"],
        version=row["version"],
    )


# The member's lock, then its tier row: the row's scan refers to the lock's row, so it runs
# only once the lock is held, and the lock is taken even when there is no row yet (the row is
# inserted under it).
_LOCK_MEMBER_TIER = f"""WITH locked AS MATERIALIZED (
    {member_locks.locking("SELECT $1::uuid AS m")}
)
SELECT t.* FROM locked l CROSS JOIN LATERAL (
    SELECT {_MEMBER_TIER_COLUMNS} FROM member_tiers
     WHERE member_id = $1 AND l.n IS NOT NULL FOR UPDATE) t"""


class PgTierRepository:
    def __init__(self, conn: Conn, memory: SchemaMemory | None = None) -> None:
        self._conn = conn
        self._memory = memory

    def known_empty(self) -> bool:
        return self._memory is not None and self._memory.without_tiers()

    async def settings(self) -> TierSettings:
        row = await self._conn.fetchrow(f"SELECT {_SETTINGS_COLUMNS} FROM tier_program")
        return _settings(row) if row else TierSettings()

    async def lock_settings(self) -> TierSettings:
        row = await self._conn.fetchrow(f"SELECT {_SETTINGS_COLUMNS} FROM tier_program FOR UPDATE")
        return _settings(row) if row else TierSettings()

    async def save_settings(self, settings: TierSettings) -> None:
        await self._conn.execute(
            """UPDATE tier_program SET metric = $1, window_kind = $2, rolling_months = $3,
                   downgrade = $4, grace_days = $5, version = $6""",
            settings.metric.value,
            settings.window.value,
            settings.rolling_months,
            settings.downgrade.value,
            settings.grace_days,
            settings.version,
        )

    async def all(self) -> list[Tier]:
        changes = self._memory.changes if self._memory is not None else 0
        rows = await self._conn.fetch(f"SELECT {_TIER_COLUMNS} FROM tiers ORDER BY threshold, id")
        if not rows and self._memory is not None:
            self._memory.remember_without_tiers(changes=changes)
        return [_tier(r) for r in rows]

    async def add(self, tier: Tier) -> None:
        # Tiers are never deleted: only an added one ends "no tiers", so only it announces.
        if self._memory is not None:
            self._memory.begin_change()
        await self._write(
            f"INSERT INTO tiers ({_TIER_COLUMNS})"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
            f" RETURNING pg_notify('{PROGRAM_CHANGES}', current_schema())",
            tier,
        )

    async def update(self, tier: Tier) -> None:
        await self._write(
            """UPDATE tiers SET name = $2, threshold = $3, multiplier = $4, perks = $5,
                   archived = $6, created_at = $7, updated_at = $8, discount_percent = $9,
                   free_shipping = $10
               WHERE id = $1""",
            tier,
        )

    async def _write(self, sql: str, t: Tier) -> None:
        try:
            async with self._conn.transaction():
                await self._conn.execute(
                    sql,
                    t.id,
                    t.name,
                    t.threshold,
                    t.multiplier,
                    list(t.perks),
                    t.archived,
                    t.created_at,
                    t.updated_at,
                    t.benefits.discount_percent,
                    t.benefits.free_shipping,
                )
        except asyncpg.UniqueViolationError as err:
            field = "threshold" if "threshold" in (err.constraint_name or "") else "name"
            raise Duplicate(f"Another tier has this {field}.", field=(field,)) from err

    async def held(self, member_id: UUID) -> Tier | None:
        row = await self._conn.fetchrow(_HELD_SQL + "mt.member_id = $1", member_id)
        return _tier(row) if row else None

    async def held_by(self, member_ids: Sequence[UUID]) -> dict[UUID, Tier]:
        rows = await self._conn.fetch(
            _HELD_SQL + "mt.member_id = ANY($1::uuid[])", list(dict.fromkeys(member_ids))
        )
        return {r["member_id"]: _tier(r) for r in rows}

    async def member_tier(self, member_id: UUID) -> MemberTier | None:
        row = await self._conn.fetchrow(
            f"SELECT {_MEMBER_TIER_COLUMNS} FROM member_tiers WHERE member_id = $1", member_id
        )
        return _member_tier(row) if row else None

    async def lock_member_tier(self, member_id: UUID, now: datetime) -> MemberTier:
        # The member's lock before the tier row (persistence/member_locks.py): a credit that
        # wrote its event holds it when it evaluates the member's tier.
        row = await self._conn.fetchrow(_LOCK_MEMBER_TIER, member_id)
        sql = f"SELECT {_MEMBER_TIER_COLUMNS} FROM member_tiers WHERE member_id = $1 FOR UPDATE"
        if row is None:
            await self._conn.execute(
                """INSERT INTO member_tiers (member_id, since, evaluated_at)
                   VALUES ($1, $2, $2) ON CONFLICT DO NOTHING""",
                member_id,
                now,
            )
            row = await self._conn.fetchrow(sql, member_id)
        assert row is not None
        return _member_tier(row)

    async def save_member_tier(self, member_tier: MemberTier, at: datetime) -> None:
        await self._conn.execute(
            """UPDATE member_tiers SET tier_id = $2, since = $3, retain_until = $4,
                   evaluated_version = $5, evaluated_at = $6, paid = $7
               WHERE member_id = $1""",
            member_tier.member_id,
            member_tier.tier_id,
            member_tier.since,
            member_tier.retain_until,
            member_tier.evaluated_version,
            at,
            member_tier.paid,
        )

    async def memberships_of(self, member_id: UUID) -> list[PaidMembership]:
        rows = await self._conn.fetch(
            f"""SELECT {_MEMBERSHIP_COLUMNS} FROM paid_memberships
                WHERE member_id = $1 AND revoked_at IS NULL ORDER BY ends_at, id""",
            member_id,
        )
        return [PaidMembership(**dict(r)) for r in rows]

    async def add_membership(self, membership: PaidMembership) -> bool:
        added = await self._conn.fetchval(
            f"""INSERT INTO paid_memberships ({_MEMBERSHIP_COLUMNS})
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                ON CONFLICT (order_id, sku) DO NOTHING RETURNING true""",
            *dataclasses.astuple(membership),
        )
        return bool(added)

    async def revoke_memberships(
        self, order_id: str, skus: Sequence[str] | None, at: datetime
    ) -> int:
        revoked = await self._conn.fetch(
            """UPDATE paid_memberships SET revoked_at = $3
               WHERE order_id = $1 AND revoked_at IS NULL
                 AND ($2::text[] IS NULL OR sku = ANY($2::text[]))
               RETURNING id""",
            order_id,
            list(skus) if skus is not None else None,
            at,
        )
        return len(revoked)

    async def add_history(
        self,
        member_id: UUID,
        from_tier: UUID | None,
        to_tier: UUID | None,
        reason: TierChangeReason,
        at: datetime,
    ) -> None:
        await self._conn.execute(
            "INSERT INTO tier_history (member_id, from_tier, to_tier, reason, at)"
            " VALUES ($1, $2, $3, $4, $5)",
            member_id,
            from_tier,
            to_tier,
            reason.value,
            at,
        )

    async def history(
        self, member_id: UUID, before_id: int | None, limit: int
    ) -> list[TierHistoryEntry]:
        rows = await self._conn.fetch(
            """SELECT id, member_id, from_tier, to_tier, reason, at FROM tier_history
               WHERE member_id = $1 AND ($2::bigint IS NULL OR id < $2)
               ORDER BY id DESC LIMIT $3""",
            member_id,
            before_id,
            limit,
        )
        return [
            TierHistoryEntry(
                r["id"],
                r["member_id"],
                r["from_tier"],
                r["to_tier"],
                TierChangeReason(r["reason"]),
                r["at"],
            )
            for r in rows
        ]

    async def metric_value(
        self, member_id: UUID, metric: TierMetric, since: datetime | None
    ) -> int:
        value: int = await self._conn.fetchval(
            _METRIC_SQL[metric].format(m="$1", s="$2"), member_id, since
        )
        return value

    async def standings(
        self, metric: TierMetric, since: datetime | None, after: UUID | None, limit: int
    ) -> list[TierStanding]:
        metric_sql = _METRIC_SQL[metric].format(m="m.id", s="$1")
        rows = await self._conn.fetch(
            f"""SELECT m.id, mt.member_id, mt.tier_id, mt.since, mt.retain_until,
                       mt.evaluated_version, mt.paid, ({metric_sql}) AS value
                FROM members m LEFT JOIN member_tiers mt ON mt.member_id = m.id
                WHERE m.status <> 'ERASED' AND ($2::uuid IS NULL OR m.id > $2)
                ORDER BY m.id LIMIT $3""",
            since,
            after,
            limit,
        )
        return [_standing(r) for r in rows]

    async def standings_of(
        self, member_ids: Sequence[UUID], metric: TierMetric, since: datetime | None
    ) -> list[TierStanding]:
        metric_sql = _METRIC_SQL[metric].format(m="m.id", s="$2")
        rows = await self._conn.fetch(
            f"""SELECT m.id, mt.member_id, mt.tier_id, mt.since, mt.retain_until,
                       mt.evaluated_version, mt.paid, ({metric_sql}) AS value
                FROM unnest($1::uuid[]) AS m(id)
                LEFT JOIN member_tiers mt ON mt.member_id = m.id""",
            list(member_ids),
            since,
        )
        return [_standing(r) for r in rows]

    async def unsettled_version(self) -> int | None:
        version: int | None = await self._conn.fetchval(
            "SELECT version FROM tier_program WHERE settled_version < version"
        )
        return version

    async def mark_settled(self, version: int) -> None:
        # Only if no change came since: that one still needs its own pass.
        await self._conn.execute(
            "UPDATE tier_program SET settled_version = $1 WHERE version = $1", version
        )

    async def stale_members(self, version: int, limit: int) -> list[UUID]:
        rows = await self._conn.fetch(
            """SELECT m.id FROM members m LEFT JOIN member_tiers mt ON mt.member_id = m.id
               WHERE m.status <> 'ERASED'
                 AND (mt.member_id IS NULL OR mt.evaluated_version < $1)
               ORDER BY m.id LIMIT $2""",
            version,
            limit,
        )
        return [r["id"] for r in rows]

    async def due_for_review(self, now: datetime, limit: int) -> list[UUID]:
        rows = await self._conn.fetch(
            """SELECT mt.member_id FROM member_tiers mt JOIN members m ON m.id = mt.member_id
               WHERE mt.retain_until <= $1 AND m.status <> 'ERASED'
               ORDER BY mt.retain_until LIMIT $2""",
            now,
            limit,
        )
        return [r["member_id"] for r in rows]
