"""Versioned program configuration of one tenant."""

from __future__ import annotations

from datetime import datetime

from domain.errors import NotFound
from domain.program import DEFAULT_PROGRAM, ProgramConfig, from_json, to_json
from persistence.db import Conn
from persistence.repositories import versioned


class PgProgramRepository:
    def __init__(self, conn: Conn) -> None:
        self._conn = conn

    async def current(self) -> ProgramConfig:
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
        await versioned.add_version(
            self._conn,
            "program_config",
            config.version,
            to_json(config),
            at,
            by,
            conflict="The program was changed at the same time; read it again and retry.",
        )
