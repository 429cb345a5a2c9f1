"""The PostgreSQL and Redis on this machine, and throwaway databases on a server.

The test suite and the benchmarks look for servers the same way: the configured ones, else
the ones on localhost when they answer, else embedded ones. This module is the localhost
step and the throwaway databases; each caller keeps its own variables and embedded fallback.
"""

from __future__ import annotations

import socket
from urllib.parse import urlsplit, urlunsplit

import asyncpg

LOCAL_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
LOCAL_REDIS = "redis://127.0.0.1:6379/0"


def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.3)
        return s.connect_ex(("127.0.0.1", port)) == 0


async def postgres_answers(dsn: str) -> bool:
    try:
        conn = await asyncpg.connect(dsn, timeout=3)
    except (TimeoutError, OSError, asyncpg.PostgresError):
        return False
    await conn.close()
    return True


async def local_postgres() -> str | None:
    """The PostgreSQL on localhost's default port, when it takes a connection."""
    # The port check first: a closed port answers at once, a connect attempt may not.
    if port_open(5432) and await postgres_answers(LOCAL_POSTGRES):
        return LOCAL_POSTGRES
    return None


def local_redis() -> str | None:
    """The Redis on localhost's default port, when the port is open."""
    return LOCAL_REDIS if port_open(6379) else None


def with_database(url: str, name: str) -> str:
    """The same server URL pointing at database `name` (keeps a socket-host query intact)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


async def _on_server(admin_url: str, sql: str) -> None:
    # CREATE and DROP DATABASE cannot run in a transaction: a bare connection of their own.
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def create_database(admin_url: str, name: str) -> str:
    """Creates database `name` on the server of `admin_url`; returns its URL."""
    await _on_server(admin_url, f'CREATE DATABASE "{name}"')
    return with_database(admin_url, name)


async def drop_database(admin_url: str, name: str) -> None:
    await _on_server(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def free_port() -> int:
    """A TCP port on localhost nothing listens on, for a private server."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port
