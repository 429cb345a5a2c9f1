"""The tenant unit of work: one transaction, its search path pinned to one tenant schema."""

from __future__ import annotations

from types import TracebackType
from typing import Self

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from persistence.db import release_after_transaction
from persistence.repositories.actions import PgActionRepository
from persistence.repositories.idempotency import PgIdempotencyStore
from persistence.repositories.ledger import PgLedgerRepository
from persistence.repositories.members import PgMemberRepository
from persistence.repositories.orders import PgOrderRepository
from persistence.repositories.programs import PgProgramRepository
from persistence.repositories.referrals import PgReferralRepository
from persistence.repositories.rewards import PgRedemptionRepository, PgRewardRepository
from persistence.repositories.tiers import PgTierRepository
from tenants.naming import assert_schema_name


class PgTenantUnitOfWork:
    members: PgMemberRepository
    ledger: PgLedgerRepository
    idempotency: PgIdempotencyStore
    programs: PgProgramRepository
    orders: PgOrderRepository
    actions: PgActionRepository
    rewards: PgRewardRepository
    redemptions: PgRedemptionRepository
    referrals: PgReferralRepository
    tiers: PgTierRepository

    def __init__(self, pool: asyncpg.Pool, schema: str) -> None:
        self._pool = pool
        self._schema = assert_schema_name(schema)
        self._conn: PoolConnectionProxy | None = None
        self._tx: asyncpg.transaction.Transaction | None = None

    async def __aenter__(self) -> Self:
        conn = await self._pool.acquire()
        try:
            tx = conn.transaction()
            await tx.start()
            # `true` = local to this transaction: the path dies with it, so a pooled
            # connection can never carry one tenant's schema into another's request.
            await conn.execute("SELECT set_config('search_path', $1, true)", self._schema)
        except BaseException:
            await self._pool.release(conn)
            raise
        self._conn, self._tx = conn, tx
        self.members = PgMemberRepository(conn)
        self.ledger = PgLedgerRepository(conn)
        self.idempotency = PgIdempotencyStore(conn)
        self.programs = PgProgramRepository(conn)
        self.orders = PgOrderRepository(conn)
        self.actions = PgActionRepository(conn)
        self.rewards = PgRewardRepository(conn)
        self.redemptions = PgRedemptionRepository(conn)
        self.referrals = PgReferralRepository(conn)
        self.tiers = PgTierRepository(conn)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._conn is not None and self._tx is not None
        try:
            if exc_type is None:
                await self._tx.commit()
            else:
                await self._tx.rollback()
        finally:
            # Everything here is transaction-scoped (the search path is set with
            # set_config(…, true)): repositories must never change session state.
            await release_after_transaction(self._pool, self._conn)
            self._conn = self._tx = None


class PgUnitOfWorkFactory:
    """Makes units of work for one tenant schema; what the domain's use cases are given."""

    def __init__(self, pool: asyncpg.Pool, schema: str) -> None:
        self._pool = pool
        self._schema = assert_schema_name(schema)

    def __call__(self) -> PgTenantUnitOfWork:
        return PgTenantUnitOfWork(self._pool, self._schema)
