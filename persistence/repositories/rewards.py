"""Rewards, their code pools and redemptions in one tenant schema."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

import asyncpg

from domain.ports import RewardFilter
from domain.program import LimitPeriod
from domain.records.redemptions import Redemption
from domain.rewards import CodeSource, ContentKind, RedemptionStatus, Reward, RewardKind, Terms
from persistence.db import Conn
from persistence.repositories.like import contains

_REWARD_FIELDS = [f.name for f in dataclasses.fields(Reward)]
_REWARD_COLUMNS = ", ".join(_REWARD_FIELDS)
_TERMS_FIELDS = [f.name for f in dataclasses.fields(Terms)]
_REDEMPTION_FIELDS = [f.name for f in dataclasses.fields(Redemption) if f.name != "terms"]
_REDEMPTION_COLUMNS = ", ".join(_REDEMPTION_FIELDS + _TERMS_FIELDS)


def _reward(row: asyncpg.Record) -> Reward:
    data = dict(row)
    data["kind"] = RewardKind(data["kind"])
    data["code_source"] = CodeSource(data["code_source"])
    data["per_member_period"] = (
        LimitPeriod(data["per_member_period"]) if data["per_member_period"] else None
    )
    data["eligible_tiers"] = tuple(data["eligible_tiers"])
    data["eligible_segments"] = tuple(data["eligible_segments"])
    data["content_kind"] = ContentKind(data["content_kind"]) if data["content_kind"] else None
    return Reward(**data)


def _reward_values(r: Reward) -> list[object]:
    values = []
    for name in _REWARD_FIELDS:
        value = getattr(r, name)
        if name in ("kind", "code_source", "per_member_period", "content_kind") and value:
            value = value.value
        if name in ("eligible_tiers", "eligible_segments"):
            value = list(value)
        values.append(value)
    return values


def _redemption(row: asyncpg.Record) -> Redemption:
    data = dict(row)
    data["status"] = RedemptionStatus(data["status"])
    terms = {name: data.pop(name) for name in _TERMS_FIELDS}
    terms["kind"] = RewardKind(terms["kind"])
    return Redemption(**data, terms=Terms(**terms))


async def _insert(
    conn: Conn,
    table: str,
    names: list[str],
    values: list[object],
    returning: str,
    answers_key: str | None = None,
) -> asyncpg.Record:
    """INSERT of one row, column by column; returns the stored row. With `answers_key` (an
    idempotency key claimed earlier in the transaction), `{"<table's singular>Id": id}` is
    recorded as the key's result in the same statement."""
    placeholders = ", ".join(f"${i}" for i in range(1, len(names) + 1))
    sql = f"INSERT INTO {table} ({', '.join(names)}) VALUES ({placeholders}) RETURNING {returning}"
    if answers_key is not None:
        result = f"jsonb_build_object('{_RESULT_NAMES[table]}', written.id::text)"
        sql = f"""WITH written AS ({sql}),
            answered AS (UPDATE idempotency_keys SET result = {result}
                         FROM written WHERE idempotency_keys.key = ${len(names) + 1})
            SELECT * FROM written"""
        values = [*values, answers_key]
    row = await conn.fetchrow(sql, *values)
    assert row is not None
    return row


# What an idempotency key answered by a row of the table records (the same JSON as
# IdempotencyStore.complete wrote for it).
_RESULT_NAMES = {"redemptions": "redemptionId"}


class PgRewardRepository:
    def __init__(self, conn: Conn) -> None:
        self._conn = conn

    async def get(self, reward_id: UUID) -> Reward | None:
        row = await self._conn.fetchrow(
            f"SELECT {_REWARD_COLUMNS} FROM rewards WHERE id = $1", reward_id
        )
        return _reward(row) if row else None

    async def lock(self, reward_id: UUID) -> Reward | None:
        row = await self._conn.fetchrow(
            f"SELECT {_REWARD_COLUMNS} FROM rewards WHERE id = $1 FOR UPDATE", reward_id
        )
        return _reward(row) if row else None

    async def add(self, reward: Reward) -> Reward:
        names = [n for n in _REWARD_FIELDS if n != "seq"]
        values = [
            v for n, v in zip(_REWARD_FIELDS, _reward_values(reward), strict=True) if n != "seq"
        ]
        return _reward(await _insert(self._conn, "rewards", names, values, _REWARD_COLUMNS))

    async def update(self, reward: Reward) -> Reward:
        names = [n for n in _REWARD_FIELDS if n not in ("id", "seq", "issued", "created_at")]
        values = dict(zip(_REWARD_FIELDS, _reward_values(reward), strict=True))
        assignments = ", ".join(f"{n} = ${i}" for i, n in enumerate(names, start=2))
        row = await self._conn.fetchrow(
            f"UPDATE rewards SET {assignments} WHERE id = $1 RETURNING {_REWARD_COLUMNS}",
            reward.id,
            *[values[n] for n in names],
        )
        assert row is not None
        return _reward(row)

    async def page(self, after_seq: int | None, limit: int, where: RewardFilter) -> list[Reward]:
        rows = await self._conn.fetch(
            f"""SELECT {_REWARD_COLUMNS} FROM rewards
                WHERE ($1::bigint IS NULL OR seq > $1)
                  AND ($2 OR NOT archived)
                  AND ($3::timestamptz IS NULL OR (
                        (starts_at IS NULL OR starts_at <= $3) AND (ends_at IS NULL OR ends_at > $3)
                        AND (stock IS NULL OR issued < stock)))
                  AND ($4::text IS NULL OR name ILIKE $4 ESCAPE '\\')
                  AND (cardinality($6::text[]) = 0 OR kind = ANY($6))
                  AND ($7::timestamptz IS NULL OR early_access_until IS NULL
                       OR early_access_until <= $7 OR lower(early_access_tier) = ANY($8::text[]))
                ORDER BY seq LIMIT $5""",
            after_seq,
            where.include_archived,
            where.live_at,
            contains(where.search),
            limit,
            [k.value for k in where.kinds],
            where.early_at,
            list(where.early_tiers),
        )
        return [_reward(r) for r in rows]

    async def reserve_stock(self, reward_id: UUID) -> bool:
        taken = await self._conn.fetchval(
            """UPDATE rewards SET issued = issued + 1
               WHERE id = $1 AND (stock IS NULL OR issued < stock) RETURNING true""",
            reward_id,
        )
        return bool(taken)

    async def release_stock(self, reward_id: UUID) -> None:
        await self._conn.execute(
            "UPDATE rewards SET issued = issued - 1 WHERE id = $1 AND issued > 0", reward_id
        )

    async def take_pool_code(self, reward_id: UUID, redemption_id: UUID) -> str | None:
        code: str | None = await self._conn.fetchval(
            """UPDATE reward_codes SET redemption_id = $2
               WHERE (reward_id, code) = (
                   SELECT reward_id, code FROM reward_codes
                   WHERE reward_id = $1 AND redemption_id IS NULL
                   ORDER BY code LIMIT 1 FOR UPDATE SKIP LOCKED)
               RETURNING code""",
            reward_id,
            redemption_id,
        )
        return code

    async def import_codes(self, reward_id: UUID, codes: list[str]) -> int:
        added: int = await self._conn.fetchval(
            """WITH added AS (
                   INSERT INTO reward_codes (reward_id, code)
                   SELECT $1, c FROM unnest($2::text[]) AS c
                   -- A code is unique across the tenant: redemptions.code is UNIQUE, so a
                   -- code in two rewards' pools could never be issued twice.
                   WHERE NOT EXISTS (SELECT 1 FROM redemptions r WHERE r.code = c)
                     AND NOT EXISTS (SELECT 1 FROM reward_codes p WHERE p.code = c)
                   ON CONFLICT DO NOTHING RETURNING 1)
               SELECT count(*) FROM added""",
            reward_id,
            codes,
        )
        return added


class PgRedemptionRepository:
    def __init__(self, conn: Conn) -> None:
        self._conn = conn

    async def add(self, redemption: Redemption, answers_key: str | None = None) -> Redemption:
        names = [n for n in _REDEMPTION_FIELDS if n != "seq"]
        values = [
            getattr(redemption, n).value if n == "status" else getattr(redemption, n) for n in names
        ]
        names += _TERMS_FIELDS
        values += [
            redemption.terms.kind.value if n == "kind" else getattr(redemption.terms, n)
            for n in _TERMS_FIELDS
        ]
        return _redemption(
            await _insert(
                self._conn, "redemptions", names, values, _REDEMPTION_COLUMNS, answers_key
            )
        )

    async def _one(self, where: str, value: object, lock: bool = False) -> Redemption | None:
        row = await self._conn.fetchrow(
            f"SELECT {_REDEMPTION_COLUMNS} FROM redemptions WHERE {where} = $1"
            + (" FOR UPDATE" if lock else ""),
            value,
        )
        return _redemption(row) if row else None

    async def get(self, redemption_id: UUID) -> Redemption | None:
        return await self._one("id", redemption_id)

    async def lock(self, redemption_id: UUID) -> Redemption | None:
        return await self._one("id", redemption_id, lock=True)

    async def by_code(self, code: str) -> Redemption | None:
        return await self._one("code", code)

    async def lock_by_code(self, code: str) -> Redemption | None:
        return await self._one("code", code, lock=True)

    async def code_taken(self, code: str) -> bool:
        return bool(
            await self._conn.fetchval(
                """SELECT EXISTS (SELECT 1 FROM redemptions WHERE code = $1)
                       OR EXISTS (SELECT 1 FROM reward_codes WHERE code = $1)""",
                code,
            )
        )

    async def update(self, redemption: Redemption) -> None:
        await self._conn.execute(
            """UPDATE redemptions SET status = $2, return_entry_id = $3, order_id = $4,
                   used_at = $5, closed_at = $6
               WHERE id = $1""",
            redemption.id,
            redemption.status.value,
            redemption.return_entry_id,
            redemption.order_id,
            redemption.used_at,
            redemption.closed_at,
        )

    async def count_for_member(
        self, member_id: UUID, reward_id: UUID, since: datetime | None
    ) -> int:
        count: int = await self._conn.fetchval(
            """SELECT count(*) FROM redemptions
               WHERE member_id = $1 AND reward_id = $2 AND status <> 'CANCELLED'
                 AND ($3::timestamptz IS NULL OR created_at >= $3)""",
            member_id,
            reward_id,
            since,
        )
        return count

    async def counts_for_members(
        self, member_ids: Sequence[UUID], since_by_reward: dict[UUID, datetime | None]
    ) -> dict[tuple[UUID, UUID], int]:
        if not member_ids or not since_by_reward:
            return {}
        rows = await self._conn.fetch(
            """SELECT m.member_id, w.reward_id, count(r.id) AS n
               FROM unnest($1::uuid[]) AS m (member_id)
               CROSS JOIN unnest($2::uuid[], $3::timestamptz[]) AS w (reward_id, since)
               LEFT JOIN redemptions r
                 ON r.member_id = m.member_id AND r.reward_id = w.reward_id
                AND r.status <> 'CANCELLED' AND (w.since IS NULL OR r.created_at >= w.since)
               GROUP BY m.member_id, w.reward_id""",
            list(dict.fromkeys(member_ids)),
            list(since_by_reward),
            list(since_by_reward.values()),
        )
        return {(r["member_id"], r["reward_id"]): r["n"] for r in rows}

    async def for_member(
        self,
        member_id: UUID,
        before_seq: int | None,
        limit: int,
        statuses: tuple[RedemptionStatus, ...] = (),
    ) -> list[Redemption]:
        rows = await self._conn.fetch(
            f"""SELECT {_REDEMPTION_COLUMNS} FROM redemptions
                WHERE member_id = $1 AND ($2::bigint IS NULL OR seq < $2)
                  AND (cardinality($4::text[]) = 0 OR status = ANY($4))
                ORDER BY seq DESC LIMIT $3""",
            member_id,
            before_seq,
            limit,
            [s.value for s in statuses],
        )
        return [_redemption(r) for r in rows]

    async def expired_issued(self, now: datetime, limit: int) -> list[UUID]:
        rows = await self._conn.fetch(
            "SELECT id FROM redemptions WHERE status = 'ISSUED' AND expires_at <= $1"
            " ORDER BY expires_at LIMIT $2",
            now,
            limit,
        )
        return [r["id"] for r in rows]
