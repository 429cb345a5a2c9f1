"""An agency's program templates in the control schema. Every read and write names the
agency: another agency's template is never found."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from domain.errors import NotFound

TEMPLATES_MAX = 1000
_COLUMNS = "id, name, snapshot, source_tenant_id, created_at, updated_at"


@dataclass(frozen=True, slots=True)
class TemplateRecord:
    id: UUID
    name: str
    snapshot: dict[str, Any]
    source_tenant_id: UUID | None
    created_at: datetime
    updated_at: datetime


class ProgramTemplates:
    def __init__(self, pool: asyncpg.Pool | asyncpg.Connection | PoolConnectionProxy) -> None:
        # A connection in a transaction, for a change written with its audit entry.
        self._pool = pool

    async def named(self, agency_id: UUID, name: str) -> TemplateRecord | None:
        """The template saving under `name` would replace, locked until the transaction ends."""
        row = await self._pool.fetchrow(
            f"""SELECT {_COLUMNS} FROM control.program_templates
                 WHERE agency_id = $1 AND lower(name) = lower($2) FOR UPDATE""",
            agency_id,
            name,
        )
        return TemplateRecord(**dict(row)) if row else None

    async def save(
        self,
        agency_id: UUID,
        name: str,
        snapshot: dict[str, Any],
        source_tenant_id: UUID,
        operator_id: UUID,
    ) -> TemplateRecord:
        row = await self._pool.fetchrow(
            f"""INSERT INTO control.program_templates
                    (id, agency_id, name, snapshot, source_tenant_id, created_by)
                VALUES ($1, $2, $3, $4, $5, $6)
                ON CONFLICT (agency_id, lower(name)) DO UPDATE
                    SET snapshot = EXCLUDED.snapshot, name = EXCLUDED.name,
                        source_tenant_id = EXCLUDED.source_tenant_id, updated_at = now()
                RETURNING {_COLUMNS}""",
            uuid.uuid4(),
            agency_id,
            name,
            snapshot,
            source_tenant_id,
            operator_id,
        )
        assert row is not None
        return TemplateRecord(**dict(row))

    async def of_agency(self, agency_id: UUID) -> list[TemplateRecord]:
        rows = await self._pool.fetch(
            f"""SELECT {_COLUMNS} FROM control.program_templates WHERE agency_id = $1
                ORDER BY lower(name) LIMIT $2""",
            agency_id,
            TEMPLATES_MAX,
        )
        return [TemplateRecord(**dict(r)) for r in rows]

    async def get(self, agency_id: UUID, template_id: UUID) -> TemplateRecord:
        row = await self._pool.fetchrow(
            f"SELECT {_COLUMNS} FROM control.program_templates WHERE id = $1 AND agency_id = $2",
            template_id,
            agency_id,
        )
        if row is None:
            raise NotFound("No such template in your agency.", field=("template",))
        return TemplateRecord(**dict(row))

    async def delete(self, agency_id: UUID, template_id: UUID) -> TemplateRecord:
        """The template deleted."""
        row = await self._pool.fetchrow(
            f"""DELETE FROM control.program_templates WHERE id = $1 AND agency_id = $2
               RETURNING {_COLUMNS}""",
            template_id,
            agency_id,
        )
        if row is None:
            raise NotFound("No such template in your agency.", field=("id",))
        return TemplateRecord(**dict(row))
