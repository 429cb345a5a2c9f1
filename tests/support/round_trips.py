"""Counting what requests send to PostgreSQL and Redis, at the adapters' own seams: the units
of work begun, the repository reads called, the statements asyncpg sends (one round trip
each: a simple-protocol message of several statements is one), and the commands sent to
Redis (through redis-py's client, or on connections held out of its pool:
persistence/held_connections.py), one list per round trip (a pipeline is one round trip of
many commands). A statement's first preparation on a connection is one more round trip that
`postgres` does not count: warm the path up before counting it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

import pytest
from asyncpg.connection import Connection
from redis.asyncio.client import Pipeline, Redis

from persistence.held_connections import HeldConnections
from persistence.repositories.ledger import PgLedgerRepository
from persistence.repositories.members import PgMemberRepository
from persistence.repositories.rewards import PgRedemptionRepository
from persistence.repositories.tiers import PgTierRepository
from persistence.uow import PgTenantUnitOfWork

_READS = {
    PgMemberRepository: ("page",),
    PgLedgerRepository: (
        "read_balance",
        "read_balances",
        "history",
        "count_entries",
        "count_entries_of",
    ),
    PgTierRepository: (
        "all",
        "settings",
        "member_tier",
        "metric_value",
        "standings_of",
        "held",
        "held_by",
    ),
    PgRedemptionRepository: ("counts_for_members",),
}


@dataclass
class RoundTrips:
    units_of_work: int = 0
    reads: Counter[str] = field(default_factory=Counter)
    # Each Redis round trip: the (command, key) pairs it sent.
    redis: list[list[tuple[str, str]]] = field(default_factory=list)
    # Each PostgreSQL round trip: the statement's text, whitespace folded.
    postgres: list[str] = field(default_factory=list)

    def redis_of(self, tenant_id: str) -> list[list[tuple[str, str]]]:
        """The round trips that touched this tenant's data; the request's own spending of
        its rate limits (one round trip on keys `rl:…`, api/http/rate_limits.py) is not counted."""
        return [
            trip
            for trip in self.redis
            if any(tenant_id in key and not key.startswith("rl:") for _, key in trip)
        ]


def _command(args: tuple[Any, ...]) -> tuple[str, str]:
    name = str(args[0]).upper()
    if name == "EVALSHA" and len(args) > 3:
        return name, str(args[3])
    return name, str(args[1]) if len(args) > 1 else ""


@contextmanager
def counting(monkeypatch: pytest.MonkeyPatch) -> Iterator[RoundTrips]:
    seen = RoundTrips()

    def count_read(cls: type, name: str) -> None:
        original = getattr(cls, name)

        @wraps(original)
        async def read(self: Any, *args: Any, **kwargs: Any) -> Any:
            seen.reads[f"{cls.__name__}.{name}"] += 1
            return await original(self, *args, **kwargs)

        monkeypatch.setattr(cls, name, read)

    for cls, names in _READS.items():
        for name in names:
            count_read(cls, name)

    enter = PgTenantUnitOfWork.__aenter__

    async def begin(self: Any) -> Any:
        seen.units_of_work += 1
        return await enter(self)

    monkeypatch.setattr(PgTenantUnitOfWork, "__aenter__", begin)

    execute_command = Redis.execute_command

    async def one(self: Any, *args: Any, **options: Any) -> Any:
        seen.redis.append([_command(args)])
        return await execute_command(self, *args, **options)

    # Commands sent on connections held out of the client's pool (the rate limits' EVALSHA).
    held_execute = HeldConnections.execute

    async def held(self: Any, *args: Any) -> Any:
        seen.redis.append([_command(args)])
        return await held_execute(self, *args)

    execute = Pipeline.execute

    async def many(self: Any, raise_on_error: bool = True) -> Any:
        seen.redis.append([_command(args) for args, _ in self.command_stack])
        return await execute(self, raise_on_error)

    simple = Connection.execute

    async def query(self: Any, sql: str, *args: Any, **kwargs: Any) -> Any:
        if not args:  # the simple protocol; with arguments it goes through _do_execute
            seen.postgres.append(" ".join(sql.split()))
        return await simple(self, sql, *args, **kwargs)

    extended = Connection._do_execute

    async def statement(self: Any, sql: str, *args: Any, **kwargs: Any) -> Any:
        seen.postgres.append(" ".join(sql.split()))
        return await extended(self, sql, *args, **kwargs)

    monkeypatch.setattr(Connection, "execute", query)
    monkeypatch.setattr(Connection, "_do_execute", statement)
    monkeypatch.setattr(Redis, "execute_command", one)
    monkeypatch.setattr(Pipeline, "execute", many)
    monkeypatch.setattr(HeldConnections, "execute", held)
    try:
        yield seen
    finally:
        monkeypatch.undo()
