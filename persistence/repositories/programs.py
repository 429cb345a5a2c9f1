"""Versioned program configuration of one tenant."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from domain.errors import DomainError, ErrorCode, NotFound
from domain.program import DEFAULT_PROGRAM, ProgramConfig, from_json, to_json
from persistence.db import Conn


class PgProgramRepository:
    def __init__(self, conn: Conn) -> None:
        self._conn = conn

    async def current(self) -> ProgramConfig:
        row = await self._conn.fetchrow(
            "SELECT version, config FROM program_config ORDER BY version DESC LIMIT 1"
        )
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
        try:
            async with self._conn.transaction():
                await self._conn.execute(
                    "INSERT INTO program_config (version, config, created_at, created_by)"
                    " VALUES ($1, $2, $3, $4)",
                    config.version,
                    to_json(config),
                    at,
                    by,
                )
        except asyncpg.UniqueViolationError as err:
            raise DomainError(
                "The program was changed at the same time; read it again and retry.",
                code=ErrorCode.CONFLICT,
            ) from err
