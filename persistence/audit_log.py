"""Reading the audit log: a tenant's (its schema's `audit_log`) and an agency's (the control
schema's), newest first, in keyset pages, filtered by actor, action and time."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

import asyncpg

from domain.audit import Actor, AuditEntry, AuditFilter
from persistence.uow import PgTenantUnitOfWork

_COLUMNS = "seq, actor_kind, actor_id, actor_label, action, target, summary, at, request_id"


def _where(f: AuditFilter, first_arg: int) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    args: list[Any] = []

    def arg(value: Any) -> str:
        args.append(value)
        return f"${first_arg + len(args) - 1}"

    if f.actor:
        actor = arg(f.actor)
        clauses.append(f"(actor_id = {actor} OR actor_label = {actor})")
    if f.action:
        clauses.append(f"action = {arg(f.action)}")
    if f.from_:
        clauses.append(f"at >= {arg(f.from_)}")
    if f.to:
        clauses.append(f"at < {arg(f.to)}")
    return "".join(f" AND {c}" for c in clauses), args


async def tenant_page(
    pool: asyncpg.Pool, schema: str, f: AuditFilter, before: int | None, limit: int
) -> list[AuditEntry]:
    """Newest first, the entries before `before` (a `seq`), at most `limit`."""
    where, args = _where(f, 3)
    async with PgTenantUnitOfWork(pool, schema) as uow:
        rows = await uow.connection.fetch(
            f"""SELECT {_COLUMNS} FROM audit_log
                WHERE ($1::bigint IS NULL OR seq < $1){where} ORDER BY seq DESC LIMIT $2""",
            before,
            limit,
            *args,
        )
    return [_entry(r) for r in rows]


async def agency_page(
    pool: asyncpg.Pool, agency_id: UUID, f: AuditFilter, before: int | None, limit: int
) -> list[AuditEntry]:
    where, args = _where(f, 4)
    rows = await pool.fetch(
        f"""SELECT {_COLUMNS}, tenant_id FROM control.audit_log
            WHERE agency_id = $1 AND ($2::bigint IS NULL OR seq < $2){where}
            ORDER BY seq DESC LIMIT $3""",
        agency_id,
        before,
        limit,
        *args,
    )
    return [_entry(r) for r in rows]


def _entry(r: asyncpg.Record) -> AuditEntry:
    summary = r["summary"]
    return AuditEntry(
        seq=r["seq"],
        actor=Actor(r["actor_kind"], r["actor_id"], r["actor_label"]),
        action=r["action"],
        target=r["target"],
        summary=json.loads(summary) if isinstance(summary, str) else summary,
        at=r["at"],
        tenant_id=r.get("tenant_id"),
        request_id=r["request_id"],
    )
