"""Agencies, operators, memberships and API keys in the control schema."""

from __future__ import annotations

import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import asyncpg

from domain.errors import Duplicate, Forbidden
from persistence.db import Conn
from persistence.hearing import Hearing


@dataclass(frozen=True, slots=True)
class Operator:
    id: UUID
    email: str
    name: str | None
    password_hash: str
    agency_id: UUID | None
    role: str  # in its agency (domain/roles.py)


_OPERATOR_COLUMNS = "id, email, name, password_hash, agency_id, role"


@dataclass(frozen=True, slots=True)
class OperatorListing:
    """An operator as the command line lists it: never its password hash."""

    email: str
    name: str | None
    role: str
    agency: str | None
    tenants: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ApiKeyRecord:
    id: UUID
    tenant_id: UUID
    kind: str
    name: str
    prefix: str
    created_at: datetime
    revoked_at: datetime | None


_KEY_COLUMNS = "id, tenant_id, kind, name, prefix, created_at, revoked_at"
# Every request with an API key looks its hash up. Live keys are kept this long in the
# process. A revocation is announced to every process on REVOCATIONS (PostgreSQL
# LISTEN/NOTIFY, persistence/announcements.py), which drop the key at once; while a process
# does not hear the announcements, it keeps what it reads for a short time only
# (persistence/hearing.py).
KEY_CACHE_SECONDS = 5.0
REVOCATIONS = "loyalty_api_key_revoked"
KEY_CACHE_SIZE = 10_000


class ControlStore:
    channel = REVOCATIONS

    def __init__(
        self,
        pool: asyncpg.Pool,
        *,
        key_cache_seconds: float = KEY_CACHE_SECONDS,
        hearing: Hearing | None = None,
    ) -> None:
        self._pool = pool
        self._key_cache_seconds = key_cache_seconds
        self._hearing = hearing or Hearing()
        self._live_keys: OrderedDict[bytes, tuple[float, ApiKeyRecord]] = OrderedDict()
        # Bumped by each revocation: a lookup that raced one does not cache what it read.
        self._revocations = 0

    def on_notification(self, conn: object, pid: int, channel: str, payload: object) -> None:
        self._forget(UUID(str(payload)))

    def forget_all(self) -> None:
        """Revocations may have been missed (the listening connection was lost)."""
        self._revocations += 1
        self._live_keys.clear()

    def _forget(self, key_id: UUID) -> None:
        self._revocations += 1
        for key_hash in [h for h, (_, r) in self._live_keys.items() if r.id == key_id]:
            del self._live_keys[key_hash]

    async def create_agency(self, name: str) -> UUID:
        agency_id = uuid.uuid4()
        await self._pool.execute(
            "INSERT INTO control.agencies (id, name) VALUES ($1, $2)", agency_id, name
        )
        return agency_id

    async def create_operator(
        self,
        email: str,
        password_hash: str,
        name: str | None,
        agency_id: UUID | None,
        role: str = "OWNER",
        *,
        conn: Conn | None = None,
    ) -> Operator:
        try:
            row = await (conn or self._pool).fetchrow(
                f"""INSERT INTO control.operators (id, email, name, password_hash, agency_id, role)
                    VALUES ($1, $2, $3, $4, $5, $6) RETURNING {_OPERATOR_COLUMNS}""",
                uuid.uuid4(),
                email,
                name,
                password_hash,
                agency_id,
                role,
            )
        except asyncpg.UniqueViolationError as err:
            raise Duplicate("An operator with this email exists.", field=("email",)) from err
        assert row is not None
        return Operator(**dict(row))

    async def operator_by_email(self, email: str) -> Operator | None:
        row = await self._pool.fetchrow(
            f"SELECT {_OPERATOR_COLUMNS} FROM control.operators WHERE email = $1", email
        )
        return Operator(**dict(row)) if row else None

    async def operators(self) -> list[OperatorListing]:
        """Every operator, by agency then email, with its agency's name and the slugs of
        the tenants it has access to."""
        rows = await self._pool.fetch(
            """SELECT o.email, o.name, o.role, a.name AS agency,
                      coalesce(array_agg(t.slug ORDER BY t.slug)
                               FILTER (WHERE t.slug IS NOT NULL), '{}') AS tenants
               FROM control.operators o
               LEFT JOIN control.agencies a ON a.id = o.agency_id
               LEFT JOIN control.memberships m ON m.operator_id = o.id
               LEFT JOIN control.tenants t ON t.id = m.tenant_id
               GROUP BY o.id, a.name ORDER BY a.name NULLS LAST, o.email"""
        )
        return [
            OperatorListing(r["email"], r["name"], r["role"], r["agency"], tuple(r["tenants"]))
            for r in rows
        ]

    async def operator(self, operator_id: UUID) -> Operator | None:
        row = await self._pool.fetchrow(
            f"SELECT {_OPERATOR_COLUMNS} FROM control.operators WHERE id = $1", operator_id
        )
        return Operator(**dict(row)) if row else None

    async def set_password_hash(self, operator_id: UUID, password_hash: str) -> None:
        await self._pool.execute(
            "UPDATE control.operators SET password_hash = $2 WHERE id = $1",
            operator_id,
            password_hash,
        )

    async def grant(
        self,
        operator_id: UUID,
        tenant_id: UUID,
        role: str | None = None,
        *,
        conn: Conn | None = None,
    ) -> None:
        """Access to a tenant of the operator's own agency, with the operator's role (or
        `role`); a tenant of another agency, or of none, is refused: no path (the API, the
        command line) grants across agencies."""
        granted = await (conn or self._pool).fetchval(
            """INSERT INTO control.memberships (operator_id, tenant_id, role)
               SELECT o.id, t.id, coalesce($3, o.role)
               FROM control.operators o JOIN control.tenants t ON t.agency_id = o.agency_id
               WHERE o.id = $1 AND t.id = $2
               ON CONFLICT (operator_id, tenant_id) DO UPDATE SET role = EXCLUDED.role
               RETURNING true""",
            operator_id,
            tenant_id,
            role,
        )
        if not granted:
            raise Forbidden(
                "A tenant is granted only to operators of its own agency.", field=("tenantId",)
            )

    async def adopt_tenant(self, tenant_id: UUID, agency_id: UUID) -> bool:
        """Puts a tenant that belongs to no agency (made on the command line without an
        owner) into `agency_id`; False when it already belongs to one."""
        adopted = await self._pool.fetchval(
            """UPDATE control.tenants SET agency_id = $2
               WHERE id = $1 AND agency_id IS NULL RETURNING true""",
            tenant_id,
            agency_id,
        )
        return bool(adopted)

    async def role(self, operator_id: UUID, tenant_id: UUID) -> str | None:
        role: str | None = await self._pool.fetchval(
            "SELECT role FROM control.memberships WHERE operator_id = $1 AND tenant_id = $2",
            operator_id,
            tenant_id,
        )
        return role

    async def add_api_key(
        self, tenant_id: UUID, kind: str, name: str, prefix: str, key_hash: bytes
    ) -> ApiKeyRecord:
        row = await self._pool.fetchrow(
            f"""INSERT INTO control.api_keys (id, tenant_id, kind, name, prefix, key_hash)
                VALUES ($1, $2, $3, $4, $5, $6) RETURNING {_KEY_COLUMNS}""",
            uuid.uuid4(),
            tenant_id,
            kind,
            name,
            prefix,
            key_hash,
        )
        assert row is not None
        return ApiKeyRecord(**dict(row))

    async def api_key_by_hash(self, key_hash: bytes) -> ApiKeyRecord | None:
        hit = self._live_keys.get(key_hash)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        revocations = self._revocations
        row = await self._pool.fetchrow(
            f"SELECT {_KEY_COLUMNS} FROM control.api_keys WHERE key_hash = $1", key_hash
        )
        record = ApiKeyRecord(**dict(row)) if row else None
        if record is None or record.revoked_at is not None:
            self._live_keys.pop(key_hash, None)
        elif (seconds := self._hearing.trust(self._key_cache_seconds)) > 0 and (
            revocations == self._revocations
        ):
            # Only live keys: unknown and revoked ones are read again every time.
            self._live_keys[key_hash] = (time.monotonic() + seconds, record)
            self._live_keys.move_to_end(key_hash)
            if len(self._live_keys) > KEY_CACHE_SIZE:
                self._live_keys.popitem(last=False)
        return record

    async def api_keys(self, tenant_id: UUID) -> list[ApiKeyRecord]:
        rows = await self._pool.fetch(
            f"SELECT {_KEY_COLUMNS} FROM control.api_keys WHERE tenant_id = $1 ORDER BY created_at",
            tenant_id,
        )
        return [ApiKeyRecord(**dict(r)) for r in rows]

    async def revoke_api_key(self, tenant_id: UUID, key_id: UUID) -> ApiKeyRecord | None:
        self._revocations += 1
        # The announcement is sent when the revocation commits, to every listening process.
        row = await self._pool.fetchrow(
            f"""WITH revoked AS (
                    UPDATE control.api_keys SET revoked_at = COALESCE(revoked_at, now())
                    WHERE id = $1 AND tenant_id = $2 RETURNING {_KEY_COLUMNS})
                SELECT revoked.*, pg_notify('{REVOCATIONS}', revoked.id::text) FROM revoked""",
            key_id,
            tenant_id,
        )
        self._forget(key_id)
        if row is None:
            return None
        return ApiKeyRecord(**{k: row[k] for k in _KEY_COLUMNS.split(", ")})
