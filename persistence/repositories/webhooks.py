"""Webhooks in a tenant schema: the outbox, endpoints and deliveries."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from domain.records.webhooks import (
    AttemptResult,
    DeliveryFilter,
    DeliveryStatus,
    DueDelivery,
    EndpointSecrets,
    ExpiringPoints,
    NewEvent,
    WebhookDelivery,
    WebhookEndpoint,
)
from persistence import member_locks
from persistence.db import Conn

_MAX_ERROR = 500

# The events to write, in their order: the five parameters from $1 (`event_arguments`).
EVENT_ROWS = """unnest($1::uuid[], $2::text[], $3::uuid[], $4::timestamptz[], $5::text[])
           WITH ORDINALITY AS e(msg_id, type, member_id, at, data, n)"""
INCOMING = f"incoming AS (SELECT * FROM {EVENT_ROWS})"

# Takes the lock of each member named (persistence/member_locks.py), then inserts the events
# of `incoming` (a CTE the statement defines: INCOMING, or its own) and, for every enabled
# endpoint subscribed to an event's type, its delivery. `member` is filled in from the
# members table as committed once the lock is held (tenant migration 0026), unless the
# event's own data has one. The lock is held to the commit that follows. Kept in two parts
# (the events' common table expressions, then the statement inserting the deliveries) so the
# audit entry can be written in the same round trip (persistence/audit_trail.py).
EVENT_CTES = f"""locked AS (
    {member_locks.locking("SELECT member_id AS m FROM incoming")}
),
ev AS (
    INSERT INTO webhook_events (msg_id, type, member_id, occurred_at, data)
    SELECT e.msg_id, e.type, e.member_id, e.at,
           CASE WHEN e.member_id IS NULL THEN e.data::jsonb
                ELSE jsonb_build_object('member', jsonb_build_object(
                         'id', e.member_id, 'externalId', member_external_id_now(e.member_id)))
                     || e.data::jsonb
           END
      FROM incoming e
     CROSS JOIN locked
     ORDER BY e.n
    RETURNING id, type, member_id, occurred_at
)"""
DELIVERIES = """INSERT INTO webhook_deliveries
    (event_id, endpoint_id, member_id, next_attempt_at, created_at)
SELECT ev.id, ep.id, ev.member_id, ev.occurred_at, ev.occurred_at
  FROM ev JOIN webhook_endpoints ep ON ep.enabled AND ev.type = ANY (ep.event_types)
 ORDER BY ev.id, ep.seq"""
_WRITE_EVENTS = f"WITH {INCOMING},\n{EVENT_CTES}\n{DELIVERIES}"


def event_arguments(events: Sequence[NewEvent]) -> tuple[list[Any], ...]:
    """The statement's first five parameters: the events, column by column."""
    return (
        [e.msg_id for e in events],
        [e.type for e in events],
        [e.member_id for e in events],
        [e.at for e in events],
        [json.dumps(e.data, separators=(",", ":")) for e in events],
    )


async def write_events(conn: Conn, events: Sequence[NewEvent]) -> None:
    await conn.execute(_WRITE_EVENTS, *event_arguments(events))


class PgEventOutbox:
    """Keeps the unit of work's events until it commits, then writes them all in one
    statement just before the COMMIT (persistence/uow.py); an at-once credit writes those
    pending with its own, in its statement (persistence/repositories/credit_at_once.py)."""

    def __init__(self) -> None:
        self.pending: list[NewEvent] = []

    def add(self, event: NewEvent) -> None:
        self.pending.append(event)


_ENDPOINT_COLUMNS = """id, seq, url, description, event_types, enabled, disabled_reason,
    disabled_at, failing_since, consecutive_failures, previous_secret_until, created_at,
    updated_at"""

_DELIVERY_COLUMNS = """d.id, d.event_id, e.msg_id, e.type, d.endpoint_id, d.member_id,
    d.status, d.attempts, d.next_attempt_at, d.last_attempt_at, d.response_status,
    d.last_error, d.created_at, d.finished_at, e.occurred_at, e.data"""


def _endpoint(row: asyncpg.Record) -> WebhookEndpoint:
    return WebhookEndpoint(
        id=row["id"],
        seq=row["seq"],
        url=row["url"],
        description=row["description"],
        event_types=tuple(row["event_types"]),
        enabled=row["enabled"],
        disabled_reason=row["disabled_reason"],
        disabled_at=row["disabled_at"],
        failing_since=row["failing_since"],
        consecutive_failures=row["consecutive_failures"],
        previous_secret_until=row["previous_secret_until"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def _delivery(row: asyncpg.Record) -> WebhookDelivery:
    return WebhookDelivery(
        id=row["id"],
        event_id=row["event_id"],
        msg_id=row["msg_id"],
        event_type=row["type"],
        endpoint_id=row["endpoint_id"],
        member_id=row["member_id"],
        status=DeliveryStatus(row["status"]),
        attempts=row["attempts"],
        next_attempt_at=row["next_attempt_at"],
        last_attempt_at=row["last_attempt_at"],
        response_status=row["response_status"],
        last_error=row["last_error"],
        created_at=row["created_at"],
        finished_at=row["finished_at"],
        occurred_at=row["occurred_at"],
        data=row["data"],
    )


# The first pending delivery of each (endpoint, member), due, of an enabled endpoint; rows
# another worker is claiming are skipped. The claim leases it by moving its next attempt to
# the lease's end and counts the attempt, so a worker that dies mid-attempt costs one attempt
# and a lease, never a message.
_CLAIM = f"""
WITH due AS (
    SELECT d.id FROM webhook_deliveries d
      JOIN webhook_endpoints ep ON ep.id = d.endpoint_id AND ep.enabled
     WHERE d.status = 'PENDING' AND d.next_attempt_at <= $1
       AND (d.member_id IS NULL OR NOT EXISTS (
            SELECT 1 FROM webhook_deliveries p
             WHERE p.endpoint_id = d.endpoint_id AND p.member_id = d.member_id
               AND p.status = 'PENDING' AND p.event_id < d.event_id))
     ORDER BY d.next_attempt_at, d.id
     LIMIT $3
       FOR UPDATE OF d SKIP LOCKED
),
claimed AS (
    UPDATE webhook_deliveries d
       SET next_attempt_at = $2, attempts = d.attempts + 1, last_attempt_at = $1
      FROM due WHERE d.id = due.id
    RETURNING d.*
)
SELECT {_DELIVERY_COLUMNS.replace("d.", "c.")}, ep.url, ep.secret, ep.previous_secret,
       ep.previous_secret_until
  FROM claimed c
  JOIN webhook_events e ON e.id = c.event_id
  JOIN webhook_endpoints ep ON ep.id = c.endpoint_id
 ORDER BY c.id
"""


class PgWebhookRepository:
    def __init__(self, conn: Conn) -> None:
        self._conn = conn

    async def endpoints(self) -> list[WebhookEndpoint]:
        rows = await self._conn.fetch(
            f"SELECT {_ENDPOINT_COLUMNS} FROM webhook_endpoints ORDER BY seq"
        )
        return [_endpoint(r) for r in rows]

    async def endpoint(self, endpoint_id: UUID, *, lock: bool = False) -> WebhookEndpoint | None:
        row = await self._conn.fetchrow(
            f"SELECT {_ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = $1"
            + (" FOR UPDATE" if lock else ""),
            endpoint_id,
        )
        return _endpoint(row) if row else None

    async def add_endpoint(
        self,
        endpoint_id: UUID,
        url: str,
        description: str | None,
        event_types: Sequence[str],
        secret: str,
        at: datetime,
    ) -> WebhookEndpoint:
        row = await self._conn.fetchrow(
            f"""INSERT INTO webhook_endpoints
                    (id, url, description, event_types, secret, created_at, updated_at)
                VALUES ($1, $2, $3, $4, $5, $6, $6)
                RETURNING {_ENDPOINT_COLUMNS}""",
            endpoint_id,
            url,
            description,
            list(event_types),
            secret,
            at,
        )
        assert row is not None
        return _endpoint(row)

    async def update_endpoint(self, endpoint: WebhookEndpoint) -> WebhookEndpoint:
        row = await self._conn.fetchrow(
            f"""UPDATE webhook_endpoints
                   SET url = $2, description = $3, event_types = $4, enabled = $5,
                       disabled_reason = $6, disabled_at = $7, failing_since = $8,
                       consecutive_failures = $9, updated_at = $10
                 WHERE id = $1
             RETURNING {_ENDPOINT_COLUMNS}""",
            endpoint.id,
            endpoint.url,
            endpoint.description,
            list(endpoint.event_types),
            endpoint.enabled,
            endpoint.disabled_reason,
            endpoint.disabled_at,
            endpoint.failing_since,
            endpoint.consecutive_failures,
            endpoint.updated_at,
        )
        assert row is not None
        return _endpoint(row)

    async def delete_endpoint(self, endpoint_id: UUID) -> bool:
        done = await self._conn.fetchval(
            "DELETE FROM webhook_endpoints WHERE id = $1 RETURNING true", endpoint_id
        )
        return bool(done)

    async def secrets(self, endpoint_id: UUID) -> EndpointSecrets | None:
        row = await self._conn.fetchrow(
            """SELECT secret, previous_secret, previous_secret_until
                 FROM webhook_endpoints WHERE id = $1""",
            endpoint_id,
        )
        return _secrets(row) if row else None

    async def rotate_secret(
        self, endpoint_id: UUID, secret: str, previous_until: datetime, at: datetime
    ) -> None:
        await self._conn.execute(
            """UPDATE webhook_endpoints
                  SET previous_secret = secret, previous_secret_until = $3, secret = $2,
                      updated_at = $4
                WHERE id = $1""",
            endpoint_id,
            secret,
            previous_until,
            at,
        )

    async def deliveries(
        self, before_id: int | None, limit: int, where: DeliveryFilter
    ) -> list[WebhookDelivery]:
        rows = await self._conn.fetch(
            f"""SELECT {_DELIVERY_COLUMNS}
                  FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id
                 WHERE ($1::bigint IS NULL OR d.id < $1)
                   AND ($2::uuid IS NULL OR d.endpoint_id = $2)
                   AND ($3::text IS NULL OR d.status = $3)
                   AND ($4::text IS NULL OR e.type = $4)
                   AND ($5::uuid IS NULL OR e.member_id = $5)
                 ORDER BY d.id DESC
                 LIMIT $6""",
            before_id,
            where.endpoint_id,
            where.status.value if where.status else None,
            where.event_type,
            where.member_id,
            limit,
        )
        return [_delivery(r) for r in rows]

    async def delivery(self, delivery_id: int) -> WebhookDelivery | None:
        row = await self._conn.fetchrow(
            f"""SELECT {_DELIVERY_COLUMNS}
                  FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id
                 WHERE d.id = $1""",
            delivery_id,
        )
        return _delivery(row) if row else None

    async def add_delivery(self, event_id: int, endpoint_id: UUID, at: datetime) -> WebhookDelivery:
        new_id = await self._conn.fetchval(
            """INSERT INTO webhook_deliveries (event_id, endpoint_id, next_attempt_at, created_at)
               VALUES ($1, $2, $3, $3) RETURNING id""",
            event_id,
            endpoint_id,
            at,
        )
        found = await self.delivery(new_id)
        assert found is not None
        return found

    async def add_test_event(self, endpoint_id: UUID, event: NewEvent) -> WebhookDelivery:
        event_id = await self._conn.fetchval(
            """INSERT INTO webhook_events (msg_id, type, member_id, occurred_at, data)
               VALUES ($1, $2, NULL, $3, $4) RETURNING id""",
            event.msg_id,
            event.type,
            event.at,
            event.data,
        )
        return await self.add_delivery(event_id, endpoint_id, event.at)

    async def claim_due(
        self, now: datetime, lease_until: datetime, limit: int
    ) -> list[DueDelivery]:
        rows = await self._conn.fetch(_CLAIM, now, lease_until, limit)
        return [DueDelivery(_delivery(r), r["url"], _secrets(r)) for r in rows]

    async def record_success(
        self, claimed: WebhookDelivery, result: AttemptResult, at: datetime
    ) -> None:
        endpoint_id = await self._conn.fetchval(
            """UPDATE webhook_deliveries
                  SET status = 'DELIVERED', response_status = $3, last_error = NULL,
                      next_attempt_at = NULL, finished_at = $4
                WHERE id = $1 AND attempts = $2 AND status = 'PENDING'
            RETURNING endpoint_id""",
            claimed.id,
            claimed.attempts,
            result.status,
            at,
        )
        if endpoint_id is not None:
            await self._conn.execute(
                """UPDATE webhook_endpoints SET failing_since = NULL, consecutive_failures = 0
                    WHERE id = $1 AND (failing_since IS NOT NULL OR consecutive_failures > 0)""",
                endpoint_id,
            )

    async def record_failure(
        self,
        claimed: WebhookDelivery,
        result: AttemptResult,
        next_at: datetime | None,
        at: datetime,
    ) -> WebhookEndpoint | None:
        row = await self._conn.fetchrow(
            f"""WITH d AS (
                    UPDATE webhook_deliveries
                       SET status = CASE WHEN $5::timestamptz IS NULL THEN 'FAILED'
                                         ELSE 'PENDING' END,
                           next_attempt_at = $5, response_status = $3, last_error = $4,
                           finished_at = CASE WHEN $5::timestamptz IS NULL THEN $6::timestamptz END
                     WHERE id = $1 AND attempts = $2 AND status = 'PENDING'
                 RETURNING endpoint_id)
                UPDATE webhook_endpoints ep
                   SET failing_since = coalesce(ep.failing_since, $6),
                       consecutive_failures = ep.consecutive_failures + 1
                  FROM d WHERE ep.id = d.endpoint_id
             RETURNING {", ".join("ep." + c.strip() for c in _ENDPOINT_COLUMNS.split(","))}""",
            claimed.id,
            claimed.attempts,
            result.status,
            (result.error or "")[:_MAX_ERROR] or None,
            next_at,
            at,
        )
        return _endpoint(row) if row else None

    async def disable(self, endpoint_id: UUID, reason: str, at: datetime) -> None:
        await self._conn.execute(
            """WITH off AS (
                   UPDATE webhook_endpoints
                      SET enabled = false, disabled_reason = $2, disabled_at = $3, updated_at = $3
                    WHERE id = $1 AND enabled
                RETURNING id)
               UPDATE webhook_deliveries d
                  SET status = 'FAILED', next_attempt_at = NULL, finished_at = $3,
                      last_error = coalesce(d.last_error, 'endpoint disabled')
                 FROM off WHERE d.endpoint_id = off.id AND d.status = 'PENDING'""",
            endpoint_id,
            reason,
            at,
        )

    async def note_expiring(
        self, now: datetime, until: datetime, limit: int
    ) -> list[ExpiringPoints]:
        rows = await self._conn.fetch(_NOTE_EXPIRING, now, until, limit)
        return [
            ExpiringPoints(r["member_id"], r["wallet"], r["points"], r["expires_at"]) for r in rows
        ]

    async def prune(self, before: datetime, limit: int) -> int:
        removed: int = await self._conn.fetchval(_PRUNE, before, limit)
        return removed

    async def forget_member(self, member_id: UUID) -> None:
        # The member's lock first, by a statement of its own: a transaction writing the
        # member's events holds it to its COMMIT, so the clearing statement, whose snapshot
        # starts once the lock is granted, sees every event written before; one written
        # after names the member as the erasure leaves it (EVENT_CTES).
        await self._conn.execute(member_locks.locking("SELECT $1::uuid AS m"), member_id)
        await self._conn.execute(_FORGET_MEMBER, member_id)


# Grouped by member, wallet and UTC day of expiry; a group already in the notices is left out
# by the insert (a concurrent worker's insert of the same group waits, then skips it).
_NOTE_EXPIRING = """
WITH due AS (
    SELECT l.member_id, l.wallet, (l.expires_at AT TIME ZONE 'UTC')::date AS expires_on,
           min(l.expires_at) AS expires_at, sum(l.remaining)::bigint AS points
      FROM lots l JOIN members m ON m.id = l.member_id AND m.status = 'ACTIVE'
     WHERE l.remaining > 0 AND l.expires_at > $1 AND l.expires_at <= $2
       AND NOT EXISTS (
           SELECT 1 FROM points_expiring_notices n
            WHERE n.member_id = l.member_id AND n.wallet = l.wallet
              AND n.expires_on = (l.expires_at AT TIME ZONE 'UTC')::date)
     GROUP BY 1, 2, 3
     ORDER BY 1, 2, 3
     LIMIT $3
),
noted AS (
    INSERT INTO points_expiring_notices (member_id, wallet, expires_on, noticed_at)
    SELECT member_id, wallet, expires_on, $1 FROM due
    ON CONFLICT DO NOTHING
    RETURNING member_id, wallet, expires_on
)
SELECT due.member_id, due.wallet, due.points, due.expires_at
  FROM due JOIN noted USING (member_id, wallet, expires_on)
 ORDER BY due.member_id, due.wallet, due.expires_on
"""

_PRUNE = """
WITH old AS (
    SELECT e.id FROM webhook_events e
     WHERE e.occurred_at < $1
       AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d
                        WHERE d.event_id = e.id AND d.status = 'PENDING')
     ORDER BY e.occurred_at
     LIMIT $2
       FOR UPDATE SKIP LOCKED
),
gone AS (DELETE FROM webhook_deliveries d USING old WHERE d.event_id = old.id)
, removed AS (DELETE FROM webhook_events e USING old WHERE e.id = old.id RETURNING 1)
SELECT count(*) FROM removed
"""

_FORGET_MEMBER = """
UPDATE webhook_events
   SET data = CASE WHEN member_id = $1 THEN
                  jsonb_set(
                      data || jsonb_build_object(
                          'member', jsonb_build_object('id', member_id, 'externalId', NULL)),
                      '{response,answer}', 'null'::jsonb, false)
              ELSE jsonb_set(data, '{referee,externalId}', 'null'::jsonb, false) END
 WHERE member_id = $1 OR data -> 'referee' ->> 'id' = $1::text
"""


def _secrets(row: Any) -> EndpointSecrets:
    return EndpointSecrets(row["secret"], row["previous_secret"], row["previous_secret_until"])
