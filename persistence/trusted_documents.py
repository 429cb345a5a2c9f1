"""Trusted documents (control.trusted_documents): the documents each tenant's operators
registered from their clients' manifests, so every replica runs them by id.

A request names a document by its sha256; the text is looked up once and remembered per
process for a few seconds, and so is the absence of one (a made-up id costs no query each
time). A registration or a revocation announces the tenant on TRUSTED_DOCUMENT_CHANGES
(PostgreSQL LISTEN/NOTIFY, sent when it commits): every listening process forgets what it
remembers of that tenant at once, as the allowed origins are forgotten
(persistence/allowed_origins.py).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import asyncpg

from domain.trusted_documents import ManifestEntry, OperationType
from persistence.hearing import Hearing

TRUSTED_DOCUMENT_CHANGES = "loyalty_trusted_documents_changed"
SECONDS = 5.0
CACHE_SIZE = 10_000


@dataclass(frozen=True, slots=True)
class TrustedDocumentRow:
    position: int
    client: str
    sha256: str
    name: str | None
    operation_type: OperationType | None
    body: str
    registered_at: datetime


def _row(record: asyncpg.Record) -> TrustedDocumentRow:
    kind = record["operation_type"]
    return TrustedDocumentRow(
        position=record["position"],
        client=record["client"],
        sha256=record["sha256"],
        name=record["name"],
        operation_type=None if kind is None else OperationType(kind),
        body=record["body"],
        registered_at=record["registered_at"],
    )


async def _announce(conn: asyncpg.Connection, tenant_id: UUID) -> None:
    """Every listening process forgets the tenant's documents when the change commits."""
    await conn.execute(f"SELECT pg_notify('{TRUSTED_DOCUMENT_CHANGES}', $1)", str(tenant_id))


_COLUMNS = "position, client, sha256, name, operation_type, body, registered_at"


class TrustedDocuments:
    channel = TRUSTED_DOCUMENT_CHANGES

    def __init__(
        self, pool: asyncpg.Pool, *, seconds: float = SECONDS, hearing: Hearing | None = None
    ) -> None:
        self._pool = pool
        self._seconds = seconds
        self._hearing = hearing or Hearing()
        self._remembered: OrderedDict[tuple[UUID, str], tuple[float, str | None]] = OrderedDict()
        self._changes = 0  # bumped by each change: a read that raced one is not remembered

    async def body(self, tenant_id: UUID, sha256: str) -> str | None:
        """The text of the tenant's trusted document with this sha256, if there is one."""
        key = (tenant_id, sha256)
        hit = self._remembered.get(key)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        changes = self._changes
        found = await self._pool.fetchval(
            "SELECT body FROM control.trusted_documents WHERE tenant_id = $1 AND sha256 = $2"
            " LIMIT 1",
            tenant_id,
            sha256,
        )
        trust = self._hearing.trust(self._seconds)
        if trust > 0 and changes == self._changes:
            self._remembered[key] = (time.monotonic() + trust, found)
            self._remembered.move_to_end(key)
            if len(self._remembered) > CACHE_SIZE:
                self._remembered.popitem(last=False)
        return found

    async def register(
        self,
        tenant_id: UUID,
        client: str,
        entries: Sequence[ManifestEntry],
        operator_id: UUID | None,
    ) -> list[TrustedDocumentRow]:
        """Adds the entries to the client's documents (one already there is kept as it was:
        its id is its text's hash) and returns them as stored."""
        self.forget(tenant_id)
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.executemany(
                "INSERT INTO control.trusted_documents"
                " (tenant_id, client, sha256, name, operation_type, body, registered_by)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7)"
                " ON CONFLICT (tenant_id, client, sha256) DO NOTHING",
                [
                    (
                        tenant_id,
                        client,
                        e.sha256,
                        e.name,
                        None if e.operation_type is None else e.operation_type.value,
                        e.body,
                        operator_id,
                    )
                    for e in entries
                ],
            )
            rows = await conn.fetch(
                f"SELECT {_COLUMNS} FROM control.trusted_documents"
                " WHERE tenant_id = $1 AND client = $2 AND sha256 = ANY($3::text[])"
                " ORDER BY position",
                tenant_id,
                client,
                [e.sha256 for e in entries],
            )
            await conn.execute(
                f"SELECT pg_notify('{TRUSTED_DOCUMENT_CHANGES}', $1)", str(tenant_id)
            )
        self.forget(tenant_id)
        return [_row(r) for r in rows]

    async def revoke(self, tenant_id: UUID, client: str, ids: Sequence[str] | None) -> list[str]:
        """Removes the client's documents with these ids (all of them when `ids` is None);
        returns the ids removed."""
        self.forget(tenant_id)
        async with self._pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(
                "DELETE FROM control.trusted_documents"
                " WHERE tenant_id = $1 AND client = $2"
                " AND ($3::text[] IS NULL OR sha256 = ANY($3::text[]))"
                " RETURNING sha256",
                tenant_id,
                client,
                None if ids is None else list(ids),
            )
            await conn.execute(
                f"SELECT pg_notify('{TRUSTED_DOCUMENT_CHANGES}', $1)", str(tenant_id)
            )
        self.forget(tenant_id)
        return sorted(r["sha256"] for r in rows)

    async def page(
        self, tenant_id: UUID, client: str | None, after: int | None, limit: int
    ) -> list[TrustedDocumentRow]:
        """The tenant's documents (of one client, or all) in registration order, keyset."""
        rows = await self._pool.fetch(
            f"SELECT {_COLUMNS} FROM control.trusted_documents"
            " WHERE tenant_id = $1 AND ($2::text IS NULL OR client = $2) AND position > $3"
            " ORDER BY position LIMIT $4",
            tenant_id,
            client,
            after or 0,
            limit,
        )
        return [_row(r) for r in rows]

    def forget(self, tenant_id: UUID) -> None:
        self._changes += 1
        for key in [k for k in self._remembered if k[0] == tenant_id]:
            del self._remembered[key]

    def forget_all(self) -> None:
        """Announcements may have been missed (the listening connection was lost)."""
        self._changes += 1
        self._remembered.clear()

    def on_notification(self, conn: object, pid: int, channel: str, payload: object) -> None:
        self.forget(UUID(str(payload)))
