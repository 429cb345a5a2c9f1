"""The audit log's storage: the tenant's `audit_log` and the control schema's.

A mutation being recorded is announced as the current `AuditIntent` (api/audit_hook.py).
The tenant unit of work writes it in its own transaction, just before committing, if that
transaction changed anything (PostgreSQL has given it a transaction id), or an at-once
credit writes it in its statement (persistence/repositories/credit_at_once.py): so an entry
exists exactly when the change it records committed, and a read-only transaction the
mutation ran first writes nothing. A change held in the control schema is recorded by its
own code, in its transaction (tenant lifecycle), or just after it committed
(`record_in_tenant`, `record_in_control`, called by api/audit_hook.py).
"""

from __future__ import annotations

import contextvars
import json
from collections.abc import Sequence
from typing import Any
from uuid import UUID

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from domain.audit import AuditIntent
from domain.records.webhooks import NewEvent
from persistence.db import Conn
from persistence.repositories.webhooks import DELIVERIES, EVENT_CTES, INCOMING, event_arguments

current: contextvars.ContextVar[AuditIntent | None] = contextvars.ContextVar(
    "loyalty_audit_intent", default=None
)

INSERT = """INSERT INTO audit_log
    (actor_kind, actor_id, actor_label, action, target, summary, request_id)"""
_WRITE_IF_CHANGED = f"""{INSERT}
SELECT $1, $2, $3, $4, $5, $6::jsonb, $7 WHERE txid_current_if_assigned() IS NOT NULL
RETURNING seq"""


async def write_if_changed(conn: Conn) -> None:
    """Called by the tenant unit of work before it commits (persistence/uow.py)."""
    intent = current.get()
    if intent is None or intent.written:
        return
    if await conn.fetchval(_WRITE_IF_CHANGED, *_values(intent)) is not None:
        intent.written = True


# The audit entry and the outbox's events in one round trip, the events being written by the
# same statement as `write_events` sends. The entry is written unconditionally: events are
# only ever added by a use case that changed something, and they are themselves a change
# that commits with the transaction. Under a balance lock (grantToSegment, adjustPoints when
# its credit is not taken at once) that is one round trip fewer before the COMMIT.
_WRITE_WITH_EVENTS = f"""WITH {INCOMING},
{EVENT_CTES},
delivered AS ({DELIVERIES} RETURNING 1),
audited AS ({INSERT} VALUES ($6, $7, $8, $9, $10, $11::jsonb, $12) RETURNING seq)
SELECT seq FROM audited"""


def pending() -> AuditIntent | None:
    """The mutation being recorded, when its entry is still to be written."""
    intent = current.get()
    return None if intent is None or intent.written else intent


async def write_with_events(conn: Conn, intent: AuditIntent, events: Sequence[NewEvent]) -> None:
    """Called by the tenant unit of work, instead of `write_if_changed` and `write_events`,
    when it has both to write."""
    await conn.fetchval(_WRITE_WITH_EVENTS, *event_arguments(events), *_values(intent))
    intent.written = True


async def record_in_tenant(conn: Conn, intent: AuditIntent) -> None:
    """For a change that committed outside the tenant's schema (its API keys, its origins):
    `conn` is in a transaction of the tenant's schema."""
    await conn.execute(f"{INSERT} VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7)", *_values(intent))
    intent.written = True


async def record_in_control(
    conn: Conn | PoolConnectionProxy | asyncpg.Pool,
    intent: AuditIntent,
    agency_id: UUID | None,
    tenant_id: UUID | None,
) -> None:
    await conn.execute(
        """INSERT INTO control.audit_log
             (agency_id, tenant_id, actor_kind, actor_id, actor_label, action, target, summary,
              request_id)
           VALUES ($8, $9, $1, $2, $3, $4, $5, $6::jsonb, $7)""",
        *_values(intent),
        agency_id,
        tenant_id,
    )
    intent.written = True


def values(intent: AuditIntent | None) -> tuple[Any, ...]:
    """The entry's seven columns in the order of INSERT; all NULL without one."""
    if intent is None:
        return (None,) * 7
    return _values(intent)


def _values(intent: AuditIntent) -> tuple[Any, ...]:
    a = intent.actor
    summary = json.dumps(intent.summary, default=str)
    return (a.kind, a.id, a.label, intent.action, intent.target, summary, intent.request_id)
