"""The tenant unit of work: one transaction, its search path pinned to one tenant schema."""

from __future__ import annotations

from functools import cached_property
from types import TracebackType
from typing import Any, Self

import asyncpg
from asyncpg.pool import PoolConnectionProxy
from asyncpg.transaction import Transaction, TransactionState

from persistence import audit_trail
from persistence.db import release_after_transaction
from persistence.member_gates import GateHold, MemberGates
from persistence.program_memory import ProgramMemory, SchemaMemory
from persistence.repositories.actions import PgActionRepository
from persistence.repositories.analytics import PgAnalyticsRepository
from persistence.repositories.campaigns import PgCampaignRepository
from persistence.repositories.idempotency import PgIdempotencyStore
from persistence.repositories.ledger import PgLedgerRepository
from persistence.repositories.members import PgMemberRepository
from persistence.repositories.orders import PgOrderRepository
from persistence.repositories.programs import PgProgramRepository
from persistence.repositories.referrals import PgReferralRepository
from persistence.repositories.refresh_tokens import PgRefreshTokenRepository
from persistence.repositories.rewards import PgRedemptionRepository, PgRewardRepository
from persistence.repositories.segments import PgSegmentRepository
from persistence.repositories.surveys import PgSurveyRepository
from persistence.repositories.tiers import PgTierRepository
from persistence.repositories.webhooks import PgEventOutbox, PgWebhookRepository, write_events
from tenants.naming import assert_schema_name

# BEGIN and the tenant's search path in one round trip: the simple-query protocol runs both
# statements from one message. `true` = local to this transaction: the path dies with it, so a
# pooled connection can never carry one tenant's schema into another's request. The schema
# name is put in the text (a parameter would need the extended protocol, one statement per
# message): assert_schema_name has checked it is `t_` and [a-z0-9_] only.
_BEGIN_IN_SCHEMA = "BEGIN; SELECT set_config('search_path', '{schema}', true);"
_SEARCH_PATH = "SELECT set_config('search_path', $1, true)"


async def begin_in_schema(conn: PoolConnectionProxy, schema: str) -> Transaction:
    """Starts the unit of work's transaction with its search path set, in one round trip
    instead of two, and returns it as asyncpg's own top-level transaction object, so that
    commit, rollback and the savepoints repositories open with `conn.transaction()` work as
    if `Transaction.start()` had sent the BEGIN.

    asyncpg's public API has no way to send more than `BEGIN` when it starts a transaction,
    so this sets the two attributes `start()` itself sets (the connection's top-level
    transaction and the transaction's state; asyncpg/transaction.py, checked by
    tests/integration/test_unit_of_work.py). Should they ever change, the fallback is
    `await tx.start()` followed by the set_config query."""
    tx = conn.transaction()
    started: Any = tx  # its private attributes are not in asyncpg's type stubs
    raw: Any = getattr(started, "_connection", None)
    if not (hasattr(raw, "_top_xact") and hasattr(started, "_state")):
        # An asyncpg that keeps its transaction state elsewhere: two round trips, publicly.
        await tx.start()
        await conn.execute(_SEARCH_PATH, assert_schema_name(schema))
        return tx
    if raw._top_xact is not None or conn.is_in_transaction():
        raise asyncpg.InterfaceError("a unit of work needs a connection outside a transaction")
    await conn.execute(_BEGIN_IN_SCHEMA.format(schema=assert_schema_name(schema)))
    raw._top_xact = tx
    started._state = TransactionState.STARTED
    return tx


class PgTenantUnitOfWork:
    """Its repositories are made when first used: most requests use one or two of them."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        schema: str,
        memory: ProgramMemory | None = None,
        gates: MemberGates | None = None,
    ) -> None:
        self._pool = pool
        self._schema = assert_schema_name(schema)
        self._memory = SchemaMemory(memory, self._schema) if memory is not None else None
        self._conn: PoolConnectionProxy | None = None
        self._tx: Transaction | None = None
        # Its own hold on the process's gates: the ledger is given the hold's method, not
        # one of this object's, so the two make no reference cycle.
        self._gate_hold = GateHold(gates, self._schema) if gates is not None else None

    async def __aenter__(self) -> Self:
        conn = await self._pool.acquire()
        try:
            tx = await begin_in_schema(conn, self._schema)
        except BaseException:
            await self._pool.release(conn)
            raise
        self._conn, self._tx = conn, tx
        return self

    @property
    def _connection(self) -> PoolConnectionProxy:
        assert self._conn is not None, "repositories are used inside the unit of work"
        return self._conn

    @property
    def connection(self) -> PoolConnectionProxy:
        """For the stores outside the domain's ports (the audit log, a member's export)."""
        return self._connection

    @cached_property
    def members(self) -> PgMemberRepository:
        return PgMemberRepository(self._connection)

    @cached_property
    def ledger(self) -> PgLedgerRepository:
        return PgLedgerRepository(
            self._connection,
            self.events,
            self._gate_hold.enter if self._gate_hold is not None else None,
        )

    @cached_property
    def idempotency(self) -> PgIdempotencyStore:
        return PgIdempotencyStore(self._connection)

    @cached_property
    def programs(self) -> PgProgramRepository:
        return PgProgramRepository(self._connection, self._memory)

    @cached_property
    def orders(self) -> PgOrderRepository:
        return PgOrderRepository(self._connection)

    @cached_property
    def actions(self) -> PgActionRepository:
        return PgActionRepository(self._connection)

    @cached_property
    def rewards(self) -> PgRewardRepository:
        return PgRewardRepository(self._connection)

    @cached_property
    def redemptions(self) -> PgRedemptionRepository:
        return PgRedemptionRepository(self._connection)

    @cached_property
    def referrals(self) -> PgReferralRepository:
        return PgReferralRepository(self._connection)

    @cached_property
    def tiers(self) -> PgTierRepository:
        return PgTierRepository(self._connection, self._memory)

    @cached_property
    def surveys(self) -> PgSurveyRepository:
        return PgSurveyRepository(self._connection)

    @cached_property
    def segments(self) -> PgSegmentRepository:
        return PgSegmentRepository(self._connection)

    @cached_property
    def campaigns(self) -> PgCampaignRepository:
        return PgCampaignRepository(self._connection)

    @cached_property
    def analytics(self) -> PgAnalyticsRepository:
        return PgAnalyticsRepository(self._connection)

    @cached_property
    def events(self) -> PgEventOutbox:
        return PgEventOutbox()

    @cached_property
    def webhooks(self) -> PgWebhookRepository:
        return PgWebhookRepository(self._connection)

    @cached_property
    def refresh_tokens(self) -> PgRefreshTokenRepository:
        return PgRefreshTokenRepository(self._connection)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._conn is not None and self._tx is not None
        try:
            try:
                if exc_type is None:
                    # A mutation being audited is recorded with the change, if this
                    # transaction made one (persistence/audit_trail.py); then its events.
                    try:
                        await self._write_audit_and_events()
                    except BaseException:
                        await self._tx.rollback()
                        raise
                    await self._tx.commit()
                else:
                    await self._tx.rollback()
            finally:
                # Committed, rolled back or lost: a change of the program is no longer in
                # flight, and what this process remembered of it before is forgotten.
                if self._memory is not None:
                    self._memory.transaction_ended()
        finally:
            # Everything here is transaction-scoped (the search path is set with
            # set_config(…, true)): repositories must never change session state.
            try:
                if self._gate_hold is not None:
                    self._gate_hold.release()
            finally:
                await release_after_transaction(self._pool, self._conn)
                self._conn = self._tx = None

    async def _write_audit_and_events(self) -> None:
        """The outbox's events go in last, just before the COMMIT: the member locks they
        take are then held for the shortest time (persistence/repositories/webhooks.py).
        With an audit entry to write too, both go in one statement. (An at-once credit has
        written those pending then with its own, and the entry, in its statement:
        persistence/repositories/credit_at_once.py.)"""
        outbox = self.__dict__.get("events")  # made when a use case or the ledger needs it
        if outbox is None or not outbox.pending:
            await audit_trail.write_if_changed(self._connection)
            return
        events, outbox.pending = outbox.pending, []
        intent = audit_trail.pending()
        if intent is None:
            await write_events(self._connection, events)
        else:
            await audit_trail.write_with_events(self._connection, intent, events)


class PgUnitOfWorkFactory:
    """Makes units of work for one tenant schema; what the domain's use cases are given.
    With `memory`, they answer the program in force and "no tiers" from the process's memory
    of them (persistence/program_memory.py); with `gates`, their at-once credits of one
    wallet queue in the process, not on its balance row (persistence/member_gates.py)."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        schema: str,
        memory: ProgramMemory | None = None,
        gates: MemberGates | None = None,
    ) -> None:
        self._pool = pool
        self._schema = assert_schema_name(schema)
        self._memory = memory
        self._gates = gates

    def __call__(self) -> PgTenantUnitOfWork:
        return PgTenantUnitOfWork(self._pool, self._schema, self._memory, self._gates)
