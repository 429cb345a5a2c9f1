"""Shared fixtures: a fresh database on a real PostgreSQL, a real Redis, the app over ASGI."""

from __future__ import annotations

import signal
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import pytest

from api.http.app import create_app
from api.services import Services
from api.settings import Settings
from domain.clock import FixedClock
from tests.support.gql import GraphQLClient, TenantKit
from tests.support.provision import provision_tenant
from tests.support.recycled_schemas import SchemaRecycler
from tests.support.servers import (
    OwnRedis,
    create_test_database,
    drop_test_database,
    postgres_admin_url,
    redis_url,
)
from tests.support.throttling import new_address
from tests.support.webhook_receiver import Receiver
from tests.support.webhooks import Hooks, fast_settings, hooks_app

TEST_SECRET = "test-secret-key-not-for-production"


@pytest.fixture(scope="session")
async def database_url() -> AsyncIterator[str]:
    admin = await postgres_admin_url()
    name, url = await create_test_database(admin)
    yield url
    await drop_test_database(admin, name)


@pytest.fixture(scope="session")
def redis_dsn() -> str:
    return redis_url()


@pytest.fixture(scope="session")
def settings(database_url: str, redis_dsn: str) -> Settings:
    return Settings(
        environment="production",
        database_url=database_url,
        redis_url=redis_dsn,
        secret_key=TEST_SECRET,
        db_pool_max=30,
        # The suite asks far faster than any client: budgets no test spends by accident.
        # The throttling tests set tight ones of their own (tests/api/test_rate_limits.py).
        rate_limit_per_minute=100_000,
    )


@pytest.fixture(scope="session")
async def services(settings: Settings) -> AsyncIterator[Services]:
    running = await Services.start(settings)
    yield running
    await running.close()


@pytest.fixture(scope="session")
async def gql(services: Services) -> AsyncIterator[GraphQLClient]:
    app = create_app(services=services)
    # An address of its own per run: logins and anonymous requests are throttled per client
    # address in the shared Redis, so runs must not spend each other's budgets.
    transport = httpx.ASGITransport(app=app, client=(new_address(), 123))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield GraphQLClient(http)


@dataclass
class Clocked:
    """The app on a clock that only moves when the test says so."""

    gql: GraphQLClient
    services: Services
    clock: FixedClock


CLOCK_START = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


@pytest.fixture
async def clocked(settings: Settings) -> AsyncIterator[Clocked]:
    clock = FixedClock(CLOCK_START)
    running = await Services.start(settings, clock=clock)
    transport = httpx.ASGITransport(app=create_app(services=running))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield Clocked(GraphQLClient(http), running, clock)
    await running.close()


@pytest.fixture
async def own_redis() -> AsyncIterator[OwnRedis]:
    server = OwnRedis()
    server.start()
    yield server
    if server.proc is not None:
        server.proc.send_signal(signal.SIGCONT)
    server.stop()


@pytest.fixture
async def flaky(settings, own_redis, make_tenant) -> AsyncIterator[tuple[GraphQLClient, Services]]:
    """An app whose Redis is a private server the test may stop or pause."""
    own = settings.model_copy(
        update={
            "redis_url": own_redis.url,
            "redis_breaker_seconds": 0.2,
            "redis_timeout": 0.2,
            "db_pool_max": 4,
        }
    )
    running = await Services.start(own)
    transport = httpx.ASGITransport(app=create_app(services=running))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield GraphQLClient(http), running
    await running.close()


MakeTenant = Callable[..., Awaitable[TenantKit]]
RECYCLER = SchemaRecycler()


@pytest.fixture(autouse=True)
def _tenants_retired_after_their_test() -> Iterator[None]:
    """Marks which tenants a test made, for `make_tenant` to retire once it has ended."""
    RECYCLER.test_started()
    yield
    RECYCLER.test_ended()


@pytest.fixture(scope="session")
def make_tenant(services: Services) -> MakeTenant:
    """Creates a tenant with an owner operator, a secret key and a publishable key. Tenants of
    tests that have ended leave the registry first, and their schemas are reused
    (tests/support/recycled_schemas.py)."""
    RECYCLER.pool = services.pool

    async def make(role: str = "OWNER") -> TenantKit:
        await RECYCLER.retire_finished()
        kit = await provision_tenant(services, TEST_SECRET, role, migrator=RECYCLER)
        RECYCLER.made(kit.id)
        return kit

    return make


@pytest.fixture
async def tenant(make_tenant: MakeTenant) -> TenantKit:
    return await make_tenant()


ENROLL = """
mutation Enroll($input: EnrollMemberInput!) {
  enrollMember(input: $input) { member { id externalId email } errors { code field message } }
}
"""

ADJUST = """
mutation Adjust($input: AdjustPointsInput!) {
  adjustPoints(input: $input) {
    entry { id points kind }
    points { available pending lifetime }
    replayed
    errors { code field message }
  }
}
"""


@pytest.fixture
def enroll(gql: GraphQLClient) -> Callable[..., Awaitable[str]]:
    """Enrols a member through the API and returns its global id."""

    async def go(kit: TenantKit, external_id: str | None = None, points: int = 0) -> str:
        data = await gql(
            ENROLL,
            {"input": {"externalId": external_id or uuid.uuid4().hex}},
            token=kit.secret_key,
        )
        payload = data["enrollMember"]
        assert payload["errors"] == [], payload
        member_id: str = payload["member"]["id"]
        if points:
            adjusted = await gql(
                ADJUST, {"input": {"memberId": member_id, "points": points}}, token=kit.secret_key
            )
            assert adjusted["adjustPoints"]["errors"] == []
        return member_id

    return go


@pytest.fixture(scope="module")
async def hooks(settings: Settings) -> AsyncIterator[Hooks]:
    """An app whose settings allow receivers on localhost and retry webhooks fast."""
    async with hooks_app(fast_settings(settings)) as running:
        yield running


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    """A webhook receiver on a free localhost port."""
    started = await Receiver().start()
    yield started
    await started.stop()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if RECYCLER.pool is not None:
        terminalreporter.write_line(
            f"tenant schemas: {RECYCLER.built} built, {RECYCLER.reused} reused"
        )
