"""Given a process whose listening connection (the one that carries key revocations and the
other announcements of changes) is lost, when PostgreSQL restarts or the connection is
terminated or goes silent, then the process listens again by itself, revocation is instant
again once it does, and while it does not, a revoked key is refused within the short trust.

Every test runs on a PostgreSQL of its own, on another port, that it may restart: the shared
server is never touched."""

from __future__ import annotations

import asyncio
import os
import signal
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from api.auth.keys import display_prefix, hash_key, new_key
from api.http.app import create_app
from api.services import Services
from api.settings import Settings
from persistence import migrator
from persistence.announcements import AnnouncementListener, ListenerTiming
from persistence.db import create_pool
from persistence.hearing import Hearing
from persistence.migrator import migrate_control
from tenants.provisioning import create_tenant
from tests.conftest import TEST_SECRET
from tests.support.own_postgres import OwnPostgres

PROGRAM = "{ program { slug } }"
# Live keys are trusted for a minute while revocations are heard, and for a moment while
# they are not: a refusal within seconds can only come from an announcement or the short
# trust, never from the key cache running out.
KEY_CACHE_SECONDS = 60.0
UNHEARD_SECONDS = 0.3
WAIT = 20.0


@pytest.fixture(scope="module")
def own_pg() -> Iterator[OwnPostgres]:
    server = OwnPostgres()
    server.start()
    yield server
    server.close()


@pytest.fixture
def own_settings(settings: Settings, own_pg: OwnPostgres) -> Settings:
    return settings.model_copy(
        update={
            "database_url": own_pg.url,
            "db_pool_min": 1,
            "db_pool_max": 4,
            "api_key_cache_seconds": KEY_CACHE_SECONDS,
            "unheard_cache_seconds": UNHEARD_SECONDS,
            "listen_retry_first_seconds": 0.05,
            "listen_retry_max_seconds": 0.5,
            "listen_check_seconds": 0.2,
            "listen_check_timeout": 0.5,
            "readiness_timeout": 1.0,
        }
    )


@dataclass
class Replica:
    services: Services
    http: httpx.AsyncClient

    async def answers(self, key: str) -> int:
        """The HTTP status of a keyed request: 200 accepted, 401 refused."""
        response = await self.http.post(
            "/graphql", json={"query": PROGRAM}, headers={"Authorization": f"Bearer {key}"}
        )
        return response.status_code

    async def accepts(self, key: str) -> bool:
        return await self.answers(key) == 200

    async def ready(self) -> dict[str, Any]:
        body: dict[str, Any] = (await self.http.get("/readyz")).json()
        return body


@asynccontextmanager
async def replica(settings: Settings) -> AsyncIterator[Replica]:
    running = await Services.start(settings)
    transport = httpx.ASGITransport(app=create_app(services=running))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield Replica(running, http)
    finally:
        await running.close()


@dataclass
class Key:
    tenant_id: uuid.UUID
    id: uuid.UUID
    secret: str


async def _new_key(services: Services) -> Key:
    slug = "t" + uuid.uuid4().hex[:12]
    tenant = await create_tenant(services.pool, migrator=migrator, slug=slug, name=f"Shop {slug}")
    secret = new_key("SECRET")
    record = await services.control.add_api_key(
        tenant.id, "SECRET", "test", display_prefix(secret), hash_key(secret, TEST_SECRET.encode())
    )
    return Key(tenant.id, record.id, secret)


async def _until(check: Callable[[], Awaitable[bool]], wait: float = WAIT) -> bool:
    """Asks until `check` holds or `wait` seconds pass; a failing check (the database is on
    its way back) counts as not yet."""
    deadline = asyncio.get_running_loop().time() + wait
    while True:
        try:
            if await check():
                return True
        except (OSError, ConnectionError, httpx.TransportError):
            pass
        if asyncio.get_running_loop().time() > deadline:
            return False
        await asyncio.sleep(0.05)


async def _listening(r: Replica) -> bool:
    return (await r.ready())["listener"] == "ok"


async def _deaf(r: Replica) -> bool:
    return (await r.ready())["listener"] == "down"


async def _refuses(r: Replica, key: str) -> bool:
    return await r.answers(key) == 401


async def test_after_a_restart_the_process_listens_again_and_revocation_is_instant(
    own_settings, own_pg
):
    async with replica(own_settings) as serving, replica(own_settings) as revoking:
        # given a replica that has used a live key (and so keeps it for a minute)
        key = await _new_key(revoking.services)
        assert await serving.accepts(key.secret)

        # when PostgreSQL restarts under it
        own_pg.restart()

        # then it listens again by itself, and says so
        assert await _until(lambda: _listening(serving))
        assert serving.services.announcements is not None
        assert serving.services.announcements.reconnects >= 1
        assert await _until(lambda: serving.accepts(key.secret))

        # and a key another replica revokes is refused as soon as the announcement arrives,
        # long before the minute it would otherwise be kept
        await revoking.services.control.revoke_api_key(key.tenant_id, key.id)
        assert await _until(lambda: _refuses(serving, key.secret))


@pytest.mark.parametrize("loss", ["terminated", "restarted"])
async def test_while_the_listener_is_down_a_revoked_key_is_refused_within_the_short_trust(
    own_settings, own_pg, loss
):
    # given a replica that will not try to listen again for an hour once it has lost its
    # listening connection
    patient = own_settings.model_copy(
        update={"listen_retry_first_seconds": 3600, "listen_retry_max_seconds": 3600}
    )
    async with replica(patient) as serving, replica(own_settings) as revoking:
        key = await _new_key(revoking.services)
        listener = serving.services.announcements
        assert listener is not None and listener.server_pid is not None

        # when its listening connection is terminated by the server, or the server restarts
        if loss == "terminated":
            await revoking.services.pool.execute(
                "SELECT pg_terminate_backend($1)", listener.server_pid
            )
        else:
            own_pg.restart()
            assert await _until(lambda: _ready(revoking))

        # then it says it is deaf, and not ready
        assert await _until(lambda: _deaf(serving))
        assert (await serving.http.get("/readyz")).status_code == 503

        # and when it uses a key, which another replica then revokes
        assert await _until(lambda: serving.accepts(key.secret))
        await revoking.services.control.revoke_api_key(key.tenant_id, key.id)

        # then the key is refused within the short trust, not the minute of the key cache
        assert await _until(lambda: _refuses(serving, key.secret), wait=WAIT)


async def test_a_silent_listening_connection_is_noticed_and_replaced(own_settings):
    async with replica(own_settings) as serving, replica(own_settings) as revoking:
        # given a replica listening, and a live key it has used
        key = await _new_key(revoking.services)
        assert await serving.accepts(key.secret)
        listener = serving.services.announcements
        assert listener is not None
        silent = listener.server_pid
        assert silent is not None

        # when the server process behind its listening connection stops answering, without
        # closing the connection (as behind a network partition)
        os.kill(silent, signal.SIGSTOP)
        try:
            # then the periodic check notices, and the replica listens on a new connection
            assert await _until(lambda: _back(listener, silent))
            assert listener.reconnects >= 1

            # and a revocation is heard again, long before the key cache would forget it
            assert await serving.accepts(key.secret)
            await revoking.services.control.revoke_api_key(key.tenant_id, key.id)
            assert await _until(lambda: _refuses(serving, key.secret))
        finally:
            os.kill(silent, signal.SIGCONT)


def _pid_changed(listener: AnnouncementListener, old: int) -> bool:
    return listener.server_pid not in (None, old)


class _Counting:
    """A subscriber that counts what it is told."""

    channel = "loyalty_test_announcements"

    def __init__(self) -> None:
        self.forgotten = 0
        self.heard: list[str] = []

    def on_notification(self, conn: object, pid: int, channel: str, payload: object) -> None:
        self.heard.append(str(payload))

    def forget_all(self) -> None:
        self.forgotten += 1


async def test_the_caches_are_cleared_when_the_listener_is_lost_and_again_when_it_is_back(
    own_pg,
):
    pool = await create_pool(own_pg.url, min_size=1, max_size=3)
    async with pool.acquire() as conn:
        await migrate_control(conn)
    hearing = Hearing()
    counting = _Counting()
    listener = AnnouncementListener(
        pool, (counting,), hearing, ListenerTiming(retry_first=0.05, retry_cap=0.2)
    )
    try:
        # given a listener that has started (and so cleared its caches once)
        await listener.start()
        assert hearing.listening and counting.forgotten == 1
        pid = listener.server_pid

        # when its connection is terminated
        await pool.execute("SELECT pg_terminate_backend($1)", pid)

        # then its caches are cleared when it is lost, and again once it listens again
        assert await _until(lambda: _back(listener, pid))
        assert counting.forgotten == 3

        # and the announcements reach the subscriber again
        await pool.execute(f"SELECT pg_notify('{_Counting.channel}', 'after')")
        assert await _until(lambda: _true("after" in counting.heard))
    finally:
        await listener.stop()
        await pool.close()
    assert not hearing.listening


async def _back(listener: AnnouncementListener, old_pid: int | None) -> bool:
    return listener.listening and _pid_changed(listener, old_pid or 0)


async def _true(value: bool) -> bool:
    return value


async def test_readiness_names_postgres_down_while_it_is_stopped(own_settings, own_pg):
    async with replica(own_settings) as serving:
        # given a ready replica
        assert (await serving.ready())["status"] == "ready"

        # when its PostgreSQL is stopped
        own_pg.stop()
        try:
            response = await serving.http.get("/readyz")

            # then it is not ready, and the body says why
            assert response.status_code == 503
            body = response.json()
            assert body["status"] == "down"
            assert body["postgres"] == "down"
            assert body["listener"] == "down"
            assert body["migrations"] == "unknown"
            assert body["redis"] == "ok"
        finally:
            own_pg.start()

        # and once PostgreSQL is back, it is ready again by itself
        assert await _until(lambda: _ready(serving))


async def _ready(r: Replica) -> bool:
    return (await r.ready())["status"] == "ready"


async def test_stopping_a_listener_always_ends_it_and_hands_its_connection_back(own_pg):
    # given a pool of two connections, and listeners that check their connection all the
    # time, so that a stop often meets a check in flight or a timer firing
    pool = await create_pool(own_pg.url, min_size=1, max_size=2)
    timing = ListenerTiming(check_every=0.0005, check_timeout=0.5)
    running_before = _listener_tasks()
    try:
        # when listeners are started and stopped many times over
        for attempt in range(200):
            listener = AnnouncementListener(pool, (_Counting(),), Hearing(), timing)
            await asyncio.wait_for(listener.start(), 10)
            await asyncio.sleep(0.001 * (attempt % 7))
            # (waited on from outside, so that a stop that never ends fails the test)
            stopping = asyncio.create_task(listener.stop())
            await asyncio.wait({stopping}, timeout=10)
            assert stopping.done(), f"stop {attempt} did not end"

        # then each stop ended its listener and handed its connection back: the pool of two
        # never ran dry, and no listener is left running
        assert _listener_tasks() == running_before
    finally:
        pool.terminate()  # not close(): after a failure, it would wait for the lost listeners


def _listener_tasks() -> set[asyncio.Task[Any]]:
    return {t for t in asyncio.all_tasks() if t.get_name() == "announcement-listener"}
