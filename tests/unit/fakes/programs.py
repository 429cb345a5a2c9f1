"""Versioned program configuration in memory, as persistence/repositories/programs.py
keeps it (without the process's memory of it): stored as the same JSON, so a configuration
reads back as the real one does."""

from __future__ import annotations

import json
from datetime import datetime

from domain.errors import DomainError, ErrorCode, NotFound
from domain.program import DEFAULT_PROGRAM, ProgramConfig, from_json, to_json
from tests.unit.fakes.tables import Tables, VersionedRow


def add_version(
    rows: dict[int, VersionedRow],
    version: int,
    config: dict[str, object],
    at: datetime,
    by: str | None,
    *,
    conflict: str,
) -> None:
    """persistence/repositories/versioned.add_version: a version is stored once."""
    if version in rows:
        raise DomainError(conflict, code=ErrorCode.CONFLICT)
    # Through JSON, as the jsonb column: what reads back is what was stored, not the object.
    rows[version] = VersionedRow(version, json.loads(json.dumps(config)), at, by)


def latest(rows: dict[int, VersionedRow]) -> VersionedRow | None:
    return rows[max(rows)] if rows else None


class FakeProgramRepository:
    def __init__(self, tables: Tables) -> None:
        self._tables = tables

    async def current(self) -> ProgramConfig:
        return await self.latest()

    async def latest(self) -> ProgramConfig:
        row = latest(self._tables.program_config)
        return from_json(row.version, row.config) if row else DEFAULT_PROGRAM

    async def version(self, version: int) -> ProgramConfig:
        if version == 0:
            return DEFAULT_PROGRAM
        row = self._tables.program_config.get(version)
        if row is None:
            raise NotFound(f"Program version {version} is missing.")
        return from_json(row.version, row.config)

    async def save(self, config: ProgramConfig, at: datetime, by: str | None) -> None:
        add_version(
            self._tables.program_config,
            config.version,
            to_json(config),
            at,
            by,
            conflict="The program was changed at the same time; read it again and retry.",
        )
