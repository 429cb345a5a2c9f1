"""Given the exceptions a request can meet, when each is classified, then exactly those
that mean PostgreSQL could not be reached are (the API answers them 503 UNAVAILABLE)."""

from __future__ import annotations

import asyncpg
import pytest

from persistence.unreachable import database_unreachable


def _raised_from(cause: BaseException) -> BaseException:
    try:
        try:
            raise cause
        except BaseException as exc:
            raise RuntimeError("wrapped") from exc
    except RuntimeError as outer:
        return outer


UNREACHABLE = {
    "refused": ConnectionRefusedError(111, "Connect call failed"),
    "reset": ConnectionResetError(104, "Connection reset by peer"),
    "asyncio-multiple": OSError("Multiple exceptions: [Errno 111] Connect call failed"),
    "timeout-acquiring": TimeoutError(),
    "cannot-connect-now": asyncpg.CannotConnectNowError("the database system is starting up"),
    "connection-gone": asyncpg.ConnectionDoesNotExistError("connection was closed"),
    "connection-class": asyncpg.PostgresConnectionError("connection failure"),
    "too-many": asyncpg.TooManyConnectionsError("sorry, too many clients already"),
    "admin-shutdown": asyncpg.exceptions.AdminShutdownError("terminating connection"),
    "interface-closed": asyncpg.InterfaceError("connection is closed"),
    "wrapped": _raised_from(ConnectionRefusedError(111, "refused")),
    # a pooled connection still reading the server's shutdown error when a query started
    "dying-connection": asyncpg.exceptions.InternalClientError(
        "cannot switch to state 15; another operation (2) is in progress"
    ),
}

REACHED = {
    "unique-violation": asyncpg.UniqueViolationError("duplicate key"),
    "bad-character": asyncpg.CharacterNotInRepertoireError("invalid byte sequence"),
    "interface-misuse": asyncpg.InterfaceError("another operation is in progress"),
    "busy-connection": asyncpg.exceptions.InternalClientError(
        "cannot switch to state 15; another operation (12) is in progress"
    ),
    "file": FileNotFoundError("no such file"),
    "bug": KeyError("x"),
    "value": ValueError("x"),
}


@pytest.mark.parametrize("name", sorted(UNREACHABLE))
def test_a_failure_to_reach_the_database_is_unreachable(name: str):
    assert database_unreachable(UNREACHABLE[name])


@pytest.mark.parametrize("name", sorted(REACHED))
def test_a_refusal_or_a_bug_is_not(name: str):
    assert not database_unreachable(REACHED[name])
