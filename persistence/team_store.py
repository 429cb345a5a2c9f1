"""An agency's team in the control schema: its operators and their tenant access, role
changes and removals (one at a time per agency, under the agency's row lock, so two owners
removing each other cannot leave none), and invitations."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import asyncpg

from domain.errors import NotFound
from domain.roles import Role
from domain.team import require_may_manage, require_open_invitation, require_owner_left
from persistence.control_store import ControlStore, Operator
from persistence.db import Conn


@dataclass(frozen=True, slots=True)
class TenantAccess:
    tenant_id: UUID
    slug: str
    name: str
    role: str


@dataclass(frozen=True, slots=True)
class TeamMate:
    id: UUID
    email: str
    name: str | None
    role: str
    created_at: datetime
    access: tuple[TenantAccess, ...]


@dataclass(frozen=True, slots=True)
class InvitationRecord:
    id: UUID
    email: str
    role: str
    tenant_ids: list[UUID]
    created_at: datetime
    expires_at: datetime
    accepted_at: datetime | None


_INVITATION_COLUMNS = "id, email, role, tenant_ids, created_at, expires_at, accepted_at"
TEAM_MAX = 1000


class TeamStore:
    def __init__(self, pool: asyncpg.Pool, control: ControlStore) -> None:
        self._pool = pool
        self._control = control

    async def team(self, agency_id: UUID) -> list[TeamMate]:
        rows = await self._pool.fetch(
            """SELECT o.id, o.email, o.name, o.role, o.created_at,
                      coalesce(array_agg(ROW(t.id, t.slug, t.name, m.role) ORDER BY t.slug)
                               FILTER (WHERE t.id IS NOT NULL), '{}') AS access
               FROM control.operators o
               LEFT JOIN control.memberships m ON m.operator_id = o.id
               LEFT JOIN control.tenants t ON t.id = m.tenant_id AND t.agency_id = o.agency_id
               WHERE o.agency_id = $1
               GROUP BY o.id ORDER BY o.created_at, o.id LIMIT $2""",
            agency_id,
            TEAM_MAX,
        )
        return [
            TeamMate(
                id=r["id"],
                email=r["email"],
                name=r["name"],
                role=r["role"],
                created_at=r["created_at"],
                access=tuple(TenantAccess(*a) for a in r["access"]),
            )
            for r in rows
        ]

    async def tenants_of_agency(self, agency_id: UUID, tenant_ids: list[UUID]) -> list[UUID]:
        rows = await self._pool.fetch(
            "SELECT id FROM control.tenants WHERE agency_id = $1 AND id = ANY($2::uuid[])",
            agency_id,
            tenant_ids,
        )
        return [r["id"] for r in rows]

    async def invite(
        self,
        agency_id: UUID,
        email: str,
        role: Role,
        tenant_ids: list[UUID],
        token_hash: bytes,
        invited_by: UUID,
        expires_at: datetime,
    ) -> InvitationRecord:
        row = await self._pool.fetchrow(
            f"""INSERT INTO control.operator_invitations
                    (id, agency_id, email, role, tenant_ids, token_hash, invited_by, expires_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {_INVITATION_COLUMNS}""",
            uuid.uuid4(),
            agency_id,
            email,
            role.value,
            tenant_ids,
            token_hash,
            invited_by,
            expires_at,
        )
        assert row is not None
        return InvitationRecord(**dict(row))

    async def pending_invitations(self, agency_id: UUID, now: datetime) -> list[InvitationRecord]:
        """The agency's invitations neither accepted nor expired, newest first."""
        rows = await self._pool.fetch(
            f"""SELECT {_INVITATION_COLUMNS} FROM control.operator_invitations
                WHERE agency_id = $1 AND accepted_at IS NULL AND expires_at > $2
                ORDER BY created_at DESC, id LIMIT $3""",
            agency_id,
            now,
            TEAM_MAX,
        )
        return [InvitationRecord(**dict(r)) for r in rows]

    async def revoke_invitation(self, agency_id: UUID, actor: Role, invitation_id: UUID) -> None:
        """Deletes an open invitation of the agency: its token is then unknown (NOT_FOUND).
        An admin revokes no invitation of an owner, as it invites none."""
        async with self._pool.acquire() as conn, conn.transaction():
            role = await conn.fetchval(
                """SELECT role FROM control.operator_invitations
                   WHERE id = $1 AND agency_id = $2 AND accepted_at IS NULL FOR UPDATE""",
                invitation_id,
                agency_id,
            )
            if role is None:
                raise NotFound("No such open invitation in your agency.", field=("id",))
            require_may_manage(actor, Role(role))
            await conn.execute(
                "DELETE FROM control.operator_invitations WHERE id = $1", invitation_id
            )

    async def accept(
        self, token_hash: bytes, password_hash: str, name: str | None, now: datetime
    ) -> Operator:
        """Uses the invitation once: the operator is made in the invitation's agency with its
        role and its tenants (those still of the agency), or nothing is written."""
        async with self._pool.acquire() as conn, conn.transaction():
            row = await conn.fetchrow(
                f"""SELECT agency_id, {_INVITATION_COLUMNS}
                    FROM control.operator_invitations WHERE token_hash = $1 FOR UPDATE""",
                token_hash,
            )
            if row is None:
                raise NotFound("No such invitation.", field=("token",))
            require_open_invitation(row["accepted_at"], row["expires_at"], now)
            await conn.execute(
                "UPDATE control.operator_invitations SET accepted_at = $2 WHERE id = $1",
                row["id"],
                now,
            )
            operator = await self._control.create_operator(
                row["email"], password_hash, name, row["agency_id"], row["role"], conn=conn
            )
            # An owner has every tenant of the agency; the others, those invited to.
            await conn.execute(
                """INSERT INTO control.memberships (operator_id, tenant_id, role)
                   SELECT $1, t.id, $3 FROM control.tenants t
                   WHERE t.agency_id = $4 AND (t.id = ANY($2::uuid[]) OR $3 = 'OWNER')""",
                operator.id,
                row["tenant_ids"],
                row["role"],
                row["agency_id"],
            )
            return operator

    async def _locked_mate(self, conn: Conn, agency_id: UUID, operator_id: UUID) -> Role:
        await conn.execute("SELECT 1 FROM control.agencies WHERE id = $1 FOR UPDATE", agency_id)
        role = await conn.fetchval(
            "SELECT role FROM control.operators WHERE id = $1 AND agency_id = $2",
            operator_id,
            agency_id,
        )
        if role is None:
            raise NotFound("No such operator in your agency.", field=("operatorId",))
        return Role(role)

    async def _owners(self, conn: Conn, agency_id: UUID) -> int:
        owners = await conn.fetchval(
            "SELECT count(*) FROM control.operators WHERE agency_id = $1 AND role = 'OWNER'",
            agency_id,
        )
        return int(owners)

    async def change_role(self, agency_id: UUID, actor: Role, operator_id: UUID, new: Role) -> None:
        async with self._pool.acquire() as conn, conn.transaction():
            current = await self._locked_mate(conn, agency_id, operator_id)
            require_may_manage(actor, current, new)
            if current is Role.OWNER and new is not Role.OWNER:
                require_owner_left(await self._owners(conn, agency_id) - 1)
            await conn.execute(
                "UPDATE control.operators SET role = $2 WHERE id = $1", operator_id, new.value
            )
            await conn.execute(
                "UPDATE control.memberships SET role = $2 WHERE operator_id = $1",
                operator_id,
                new.value,
            )
            if new is Role.OWNER:  # an owner has every tenant of the agency
                await conn.execute(
                    """INSERT INTO control.memberships (operator_id, tenant_id, role)
                       SELECT $1, t.id, 'OWNER' FROM control.tenants t WHERE t.agency_id = $2
                       ON CONFLICT (operator_id, tenant_id) DO NOTHING""",
                    operator_id,
                    agency_id,
                )

    async def remove(self, agency_id: UUID, actor: Role, operator_id: UUID) -> None:
        """Deletes the operator: its sessions and access go with it, at once."""
        async with self._pool.acquire() as conn, conn.transaction():
            current = await self._locked_mate(conn, agency_id, operator_id)
            require_may_manage(actor, current)
            if current is Role.OWNER:
                require_owner_left(await self._owners(conn, agency_id) - 1)
            await conn.execute("DELETE FROM control.operators WHERE id = $1", operator_id)

    async def set_access(
        self, agency_id: UUID, actor: Role, operator_id: UUID, tenant_id: UUID, *, granted: bool
    ) -> None:
        async with self._pool.acquire() as conn, conn.transaction():
            current = await self._locked_mate(conn, agency_id, operator_id)
            require_may_manage(actor, current)
            in_agency = await conn.fetchval(
                "SELECT true FROM control.tenants WHERE id = $1 AND agency_id = $2",
                tenant_id,
                agency_id,
            )
            if not in_agency:
                raise NotFound("No such tenant in your agency.", field=("tenantId",))
            if granted:
                await self._control.grant(operator_id, tenant_id, conn=conn)
                return
            await conn.execute(
                "DELETE FROM control.memberships WHERE operator_id = $1 AND tenant_id = $2",
                operator_id,
                tenant_id,
            )
