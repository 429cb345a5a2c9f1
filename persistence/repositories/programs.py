"""Versioned program configuration of one tenant."""

from __future__ import annotations

from datetime import datetime

from domain.errors import NotFound
from domain.program import DEFAULT_PROGRAM, ProgramConfig, from_json, to_json
from persistence.db import Conn
from persistence.program_memory import PROGRAM_CHANGES, SchemaMemory
from persistence.repositories import versioned


class PgProgramRepository:
    def __init__(self, conn: Conn, memory: SchemaMemory | None = None) -> None:
        self._conn = conn
        self._memory = memory

    async def current(self) -> ProgramConfig:
        if self._memory is None:
            return await self.latest()
        remembered = self._memory.program()
        if remembered is not None:
            return remembered
        changes = self._memory.changes
        config = await self.latest()
        self._memory.remember_program(config, changes=changes)
        return config

    async def latest(self) -> ProgramConfig:
        row = await versioned.latest(self._conn, "program_config")
        return from_json(row["version"], row["config"]) if row else DEFAULT_PROGRAM

    async def version(self, version: int) -> ProgramConfig:
        if version == 0:
            return DEFAULT_PROGRAM
        row = await self._conn.fetchrow(
            "SELECT version, config FROM program_config WHERE version = $1", version
        )
        if row is None:
            raise NotFound(f"Program version {version} is missing.")
        return from_json(row["version"], row["config"])

    async def save(self, config: ProgramConfig, at: datetime, by: str | None) -> None:
        if self._memory is not None:
            self._memory.begin_change()
        await versioned.add_version(
            self._conn,
            "program_config",
            config.version,
            to_json(config),
            at,
            by,
            conflict="The program was changed at the same time; read it again and retry.",
            announce=PROGRAM_CHANGES,
        )
