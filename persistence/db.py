"""The asyncpg pool and how every connection is set up."""

from __future__ import annotations

import json
from contextvars import ContextVar

import asyncpg
from asyncpg.pool import PoolConnectionProxy

# What repositories run on: a plain connection, or one borrowed from the pool.
Conn = asyncpg.Connection | PoolConnectionProxy


async def _init_connection(conn: asyncpg.Connection) -> None:
    await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


# True while a unit of work hands back a connection whose every change lived in a transaction
# that has ended (persistence/uow.py): asyncpg's reset query (unlock advisory locks, close
# cursors, unlisten, RESET ALL) has nothing to undo then, and it was a fifth of the round trips
# of a one-query request. Every other release (the worker's advisory-lock transaction, the
# migrator, ad hoc pool queries) is reset as before. asyncpg rolls back an open transaction
# and drops listeners on every release either way.
_transaction_scoped: ContextVar[bool] = ContextVar("transaction_scoped", default=False)


async def _reset_connection(conn: asyncpg.Connection) -> None:
    if _transaction_scoped.get():
        return
    query = conn.get_reset_query()
    if query:
        await conn.execute(query)


async def release_after_transaction(pool: asyncpg.Pool, conn: PoolConnectionProxy) -> None:
    """Hands back a connection used only inside a transaction that has been committed or
    rolled back, and by statements whose effects end with it (SET LOCAL, set_config(…, true),
    pg_advisory_xact_lock): nothing session-level to reset."""
    token = _transaction_scoped.set(True)
    try:
        # The pool resets in a task of its own (asyncio.shield), which copies this context.
        await pool.release(conn)
    finally:
        _transaction_scoped.reset(token)


# asyncpg's own default: statements prepared once per connection and kept, by name.
STATEMENT_CACHE_SIZE = 100


async def create_pool(
    dsn: str,
    *,
    min_size: int = 2,
    max_size: int = 20,
    statement_cache_size: int = STATEMENT_CACHE_SIZE,
) -> asyncpg.Pool:
    """`statement_cache_size=0` for a pooler that cannot keep named prepared statements
    (PgBouncer before 1.21 in transaction mode, docs/scaling.md): every statement is then
    prepared unnamed, in the same transaction that runs it."""
    pool = await asyncpg.create_pool(
        dsn,
        min_size=min_size,
        max_size=max_size,
        statement_cache_size=statement_cache_size,
        init=_init_connection,
        reset=_reset_connection,
        # Connections are handed back between tenants; nothing session-level may survive.
        max_inactive_connection_lifetime=300,
    )
    assert pool is not None
    return pool
