"""A tenant's program read as a snapshot, and a snapshot applied to a tenant
(domain/program_templates.py says what applying means), in one tenant transaction."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from domain.errors import DomainError
from domain.program_templates import Change, ChangeKind, Snapshot, plan, remap, reward_ids
from persistence.db import Conn
from persistence.program_memory import PROGRAM_CHANGES
from persistence.repositories import versioned
from tenants.naming import assert_schema_name
from tenants.provisioning import Configure

TIER_COLUMNS = ("name", "threshold", "multiplier", "perks", "discount_percent", "free_shipping")
TIER_SETTINGS = ("metric", "window_kind", "rolling_months", "downgrade", "grace_days")
REWARD_COLUMNS = (
    "name",
    "description",
    "image_url",
    "kind",
    "value_minor",
    "percentage",
    "max_discount_minor",
    "sku",
    "points_cost",
    "min_points",
    "max_points",
    "step_points",
    "value_per_step_minor",
    "min_order_minor",
    "valid_days",
    "starts_at",
    "ends_at",
    "stock",
    "per_member_limit",
    "per_member_period",
    "eligible_tiers",
    "eligible_segments",
    "code_source",
    "code_prefix",
    "code_length",
    "code_alphabet",
    "refund_on_expiry",
    "content_kind",
    "content_url",
    "content_note",
    "early_access_tier",
    "early_access_until",
)
SURVEY_COLUMNS = (
    "kind",
    "question",
    "follow_ups",
    "thank_you",
    "active",
    "points",
    "points_period",
)
SEGMENT_COLUMNS = ("key", "name", "rule", "builtin")
_TABLES = {"tiers": TIER_COLUMNS, "rewards": REWARD_COLUMNS, "surveys": SURVEY_COLUMNS}
# Thresholds are unique among tiers in use: updated tiers step aside to these first.
_ASIDE = 4_000_000_000_000_000_000


def _cols(columns: tuple[str, ...] | list[str]) -> str:
    return ", ".join(columns)


async def _items(conn: Conn, table: str, columns: tuple[str, ...] | list[str], where: str) -> Any:
    return await conn.fetchval(
        f"""SELECT coalesce(jsonb_agg(to_jsonb(x) ORDER BY x.id), '[]')
            FROM (SELECT id, {_cols(columns)} FROM {table} WHERE {where}) x"""
    )


async def read_snapshot(conn: Conn) -> Snapshot:
    """The program of the tenant whose schema is the transaction's search path."""
    program = await versioned.latest(conn, "program_config")
    referrals = await versioned.latest(conn, "referral_settings")
    tier_settings = await conn.fetchval(
        f"SELECT to_jsonb(x) FROM (SELECT {_cols(TIER_SETTINGS)} FROM tier_program) x"
    )
    segments = await conn.fetchval(
        f"""SELECT coalesce(jsonb_agg(to_jsonb(x) ORDER BY x.key), '[]')
            FROM (SELECT {_cols(SEGMENT_COLUMNS)} FROM segments) x"""
    )
    return {
        "program": program["config"] if program else None,
        "referrals": referrals["config"] if referrals else None,
        "tierSettings": tier_settings,
        "tiers": await _items(conn, "tiers", TIER_COLUMNS, "NOT archived"),
        "rewards": await _items(conn, "rewards", REWARD_COLUMNS, "NOT archived"),
        "surveys": await _items(conn, "surveys", SURVEY_COLUMNS, "NOT archived"),
        "segments": segments,
    }


async def apply_snapshot(
    conn: Conn, source: Snapshot, *, at: datetime, by: str | None, dry_run: bool
) -> list[Change]:
    """Makes the program of the transaction's tenant `source`'s; returns what changed (or,
    with `dry_run`, what would have)."""
    target = await read_snapshot(conn)
    ids = reward_ids(source, target)
    new_ids = {old: new or str(uuid.uuid4()) for old, new in ids.items()}
    wanted = remap(source, new_ids)
    changes = plan(wanted, target)
    if dry_run or not changes:
        return changes
    for section in ("tiers", "rewards", "surveys"):
        await _apply_items(conn, section, [c for c in changes if c.section == section], at)
    for change in changes:
        if change.section == "segments":
            await _upsert_segment(conn, change.after, at)
        elif change.section in ("program", "referrals"):
            table = "program_config" if change.section == "program" else "referral_settings"
            latest = await versioned.latest(conn, table)
            await versioned.add_version(
                conn,
                table,
                (latest["version"] if latest else 0) + 1,
                change.after,
                at,
                by,
                conflict="The program was changed meanwhile: apply the template again.",
            )
        elif change.section == "tierSettings":
            await conn.execute(
                f"""UPDATE tier_program t SET ({_cols(TIER_SETTINGS)}) =
                        (SELECT {_cols(TIER_SETTINGS)}
                         FROM jsonb_populate_record(NULL::tier_program, $1::jsonb))""",
                change.after,
            )
    if any(c.section in ("tiers", "tierSettings") for c in changes):
        # Members are evaluated again against the new tiers, by the worker.
        await conn.execute("UPDATE tier_program SET version = version + 1")
    if any(c.section == "segments" for c in changes):
        await conn.execute("UPDATE segment_refresh SET due_at = $1, cursor = NULL", at)
    await conn.execute(f"SELECT pg_notify('{PROGRAM_CHANGES}', current_schema())")
    return changes


def applying(snapshot: Snapshot, at: datetime, by: UUID) -> Configure:
    """A new tenant's program made `snapshot`'s, in the transaction that creates the tenant
    (tenants/provisioning.py): a template that cannot be applied is refused (a typed error,
    on `template`) and no tenant is left behind."""

    async def apply(conn: Conn, schema: str) -> None:
        await conn.execute("SELECT set_config('search_path', $1, true)", assert_schema_name(schema))
        try:
            await apply_snapshot(conn, snapshot, at=at, by=str(by), dry_run=False)
        except _DAMAGED as exc:
            raise DomainError(
                "The template could not be applied; no tenant was created.", field=("template",)
            ) from exc

    return apply


# What a damaged snapshot raises: values of the wrong shape, or refused by the schema.
_DAMAGED = (
    asyncpg.DataError,
    asyncpg.IntegrityConstraintViolationError,
    KeyError,
    TypeError,
    ValueError,
)


async def _apply_items(conn: Conn, section: str, changes: list[Change], at: datetime) -> None:
    columns = _TABLES[section]
    for change in changes:
        if change.kind is ChangeKind.ARCHIVE:
            extra = ", active = false" if section == "surveys" else ""
            await conn.execute(
                f"UPDATE {section} SET archived = true, updated_at = $2{extra} WHERE id = $1",
                uuid.UUID(change.before["id"]),
                at,
            )
    updates = [c for c in changes if c.kind is ChangeKind.UPDATE]
    if section == "tiers":
        for n, change in enumerate(updates):
            await conn.execute(
                "UPDATE tiers SET threshold = $2 WHERE id = $1",
                uuid.UUID(change.before["id"]),
                _ASIDE - n,
            )
    # A reward keeps room for the codes it already issued.
    chosen = ", ".join(
        "CASE WHEN n.stock IS NULL THEN NULL ELSE greatest(n.stock, o.issued) END"
        if c == "stock"
        else f"n.{c}"
        for c in columns
    )
    for change in updates:
        await conn.execute(
            f"""UPDATE {section} o SET ({_cols(columns)}, updated_at) =
                    (SELECT {chosen}, $3::timestamptz
                     FROM jsonb_populate_record(NULL::{section}, $2::jsonb) n)
                WHERE o.id = $1""",
            uuid.UUID(change.before["id"]),
            change.after,
            at,
        )
    for change in changes:
        if change.kind is ChangeKind.ADD:
            new_id = change.after.get("id") if section == "rewards" else None
            await conn.execute(
                f"""INSERT INTO {section} (id, {_cols(columns)}, created_at, updated_at)
                    SELECT $1, {_cols(columns)}, $3, $3
                    FROM jsonb_populate_record(NULL::{section}, $2::jsonb)""",
                uuid.UUID(new_id) if new_id else uuid.uuid4(),
                change.after,
                at,
            )


async def _upsert_segment(conn: Conn, segment: dict[str, Any], at: datetime) -> None:
    await conn.execute(
        f"""INSERT INTO segments ({_cols(SEGMENT_COLUMNS)}, created_at, updated_at)
            SELECT {_cols(SEGMENT_COLUMNS)}, $2, $2
            FROM jsonb_populate_record(NULL::segments, $1::jsonb)
            ON CONFLICT (key) DO UPDATE SET name = EXCLUDED.name, rule = EXCLUDED.rule,
                builtin = EXCLUDED.builtin, updated_at = EXCLUDED.updated_at""",
        segment,
        at,
    )


def require_snapshot(value: Any) -> Snapshot:
    if not isinstance(value, dict):
        raise DomainError("The template is damaged.", field=("template",))
    return value
