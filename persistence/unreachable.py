"""Whether an exception means PostgreSQL could not be reached (rather than refused a query).

Such a failure is the database's, not the request's: the API answers it with 503 and
`UNAVAILABLE` so clients retry later, instead of a masked INTERNAL error. The exception may
be raised while connecting (refused, reset, the server starting up or shutting down, no
connection slot left), by a pooled connection that died under the query, or while waiting
for a connection from the pool.
"""

from __future__ import annotations

import asyncpg

_FILE_SYSTEM = (
    FileNotFoundError,
    FileExistsError,
    IsADirectoryError,
    NotADirectoryError,
    PermissionError,
)
# The server refuses or drops connections: starting up, shutting down, crashed, out of slots.
_SERVER_GONE: tuple[type[BaseException], ...] = (
    asyncpg.PostgresConnectionError,  # SQLSTATE class 08, and a connection that died mid-query
    asyncpg.CannotConnectNowError,
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.CrashShutdownError,
    asyncpg.TooManyConnectionsError,
)


def database_unreachable(exc: BaseException) -> bool:
    """True when `exc`, or an exception it was raised from, is a failure to reach the
    database; the chain is followed because callers wrap what they catch."""
    seen = 0
    current: BaseException | None = exc
    while current is not None and seen < 8:
        if _unreachable(current):
            return True
        current = current.__cause__ or current.__context__
        seen += 1
    return False


# asyncpg's protocol states of a connection that is failing or reading the server's last
# error (coreproto.pxd: FAILED, ERROR_CONSUME, TERMINATING): a query started on such a
# connection, as happens while the server shuts down under load, meets "cannot switch to
# state N; another operation (S) is in progress" with S one of these.
_DYING_STATES = ("operation (1)", "operation (2)", "operation (4)")


def _unreachable(exc: BaseException) -> bool:
    if isinstance(exc, (*_SERVER_GONE, TimeoutError)):
        return True
    if isinstance(exc, asyncpg.exceptions.InternalClientError):
        return any(state in str(exc) for state in _DYING_STATES)
    if isinstance(exc, asyncpg.InterfaceError):
        # "connection is closed", "pool is closing": the pool lost its server
        return "clos" in str(exc)
    # connect() refused or reset, the address unreachable (asyncio's "Multiple exceptions"
    # is a bare OSError); files are not the network
    return isinstance(exc, OSError) and not isinstance(exc, _FILE_SYSTEM)
