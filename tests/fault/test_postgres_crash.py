"""Given the API as a real server on its own PostgreSQL and Redis, under a bounded write load
whose clients retry what got no answer with the same idempotency key, when PostgreSQL is killed
(SIGKILL) mid-load and started again a second later, then every write is applied exactly once,
the same server process recovers by itself, and a revoked key is refused by the very next
request, whichever process revoked it."""

from __future__ import annotations

import asyncio
from uuid import UUID

import asyncpg
import httpx
import pytest

from api.auth.keys import display_prefix
from persistence.control_store import REVOCATIONS, ControlStore
from tests.support.deployment import Deployment
from tests.support.fault_checks import (
    MEMBER_BY_EXTERNAL_ID,
    assert_every_write_applied_once,
    assert_recovered_in_place,
)
from tests.support.operations import operation
from tests.support.write_load import WriteLoad, plan_writes, under_fault

pytestmark = pytest.mark.fault

WRITES = 240
API_KEYS = operation("agency/ApiKeys.graphql")
REVOKE_API_KEY = operation("agency/RevokeApiKey.graphql")
# Waits, never assertions: how long the server may take to listen again after the restart,
# and how long an announcement may take from the database to the server's event loop (far
# below the seconds a process keeps a key when it hears no announcements).
LISTENING_AGAIN_WITHIN = 10.0
ANNOUNCEMENT_GRACE = 0.5


async def test_a_postgres_crash_under_load_loses_and_doubles_no_write(deployment: Deployment):
    d = deployment
    # given a load of writes over the members, each with its own idempotency key
    writes = plan_writes(list(d.members), WRITES)
    load = WriteLoad(d.http, d.kit.secret_key)
    pid = d.server.pid

    # when PostgreSQL is killed a third of the way through the load, and started a second later
    async def crash() -> None:
        await load.acknowledged_at_least(WRITES // 3)
        await asyncio.to_thread(d.postgres.kill)
        await asyncio.sleep(1)
        await asyncio.to_thread(d.postgres.start)

    report = await under_fault(load, writes, crash)
    print(f"\nPostgreSQL killed under load:\n{report.summary()}")

    # (the crash was felt: some requests got no acknowledgement)
    assert report.failed_attempts > 0, report.summary()

    # then the same server answers, and holds exactly what the clients were told, once each
    await assert_recovered_in_place(d, pid)
    await assert_every_write_applied_once(d, writes, report)

    # and a key revoked through this server is refused by the very next request
    revoked_here = d.spare_keys[0]
    await _use(d, revoked_here)
    revoke = await d.data(
        REVOKE_API_KEY,
        {"input": {"id": await _key_global_id(d, revoked_here)}},
        token=d.kit.operator_token,
        tenant=d.kit.slug,
    )
    assert revoke["revokeApiKey"]["errors"] == [], revoke
    refused_here = await _balance_response(d, revoked_here)
    assert refused_here.status_code == 401, refused_here.text

    # and a key revoked by another process (a replica) is refused by the very next request
    # once the announcement is out, as it was before the crash
    listening = await _server_listening_again(d)
    revoked_elsewhere = d.spare_keys[1]
    await _use(d, revoked_elsewhere)
    await _revoke_from_another_process(d, revoked_elsewhere)
    refused_elsewhere = await _balance_response(d, revoked_elsewhere)
    assert refused_elsewhere.status_code == 401, (
        "a key revoked by another process was still accepted after a PostgreSQL restart "
        f"(the server {'was' if listening else 'was not'} listening for announcements "
        f"again): HTTP {refused_elsewhere.status_code} {refused_elsewhere.text}"
    )


async def _balance_response(d: Deployment, key: str) -> httpx.Response:
    variables = {"externalId": next(iter(d.members.values()))}
    return await d.send(MEMBER_BY_EXTERNAL_ID, variables, token=key)


async def _use(d: Deployment, key: str) -> None:
    """One request with `key`, which the server then remembers as live."""
    response = await _balance_response(d, key)
    assert response.status_code == 200 and not response.json().get("errors"), response.text


async def _key_global_id(d: Deployment, key: str) -> str:
    keys = await d.data(API_KEYS, {}, token=d.kit.operator_token, tenant=d.kit.slug)
    [found] = [k["id"] for k in keys["apiKeys"] if k["prefix"] == display_prefix(key)]
    return str(found)


async def _revoke_from_another_process(d: Deployment, key: str) -> None:
    """Revokes `key` as another replica does, and returns once the announcement has reached a
    listener of this process (and so the database has sent it to every listener), plus a
    short grace for it to cross the server's event loop."""
    listener = await asyncpg.connect(d.postgres.url)
    pool = await asyncpg.create_pool(d.postgres.url, min_size=1, max_size=1)
    heard = asyncio.Event()
    try:
        await listener.add_listener(REVOCATIONS, lambda *_: heard.set())
        store = ControlStore(pool)
        [record] = [
            k for k in await store.api_keys(UUID(d.kit.id)) if k.prefix == display_prefix(key)
        ]
        await store.revoke_api_key(UUID(d.kit.id), record.id)
        await asyncio.wait_for(heard.wait(), timeout=10)
        await asyncio.sleep(ANNOUNCEMENT_GRACE)
    finally:
        await listener.close()
        await pool.close()


async def _server_listening_again(d: Deployment) -> bool:
    """Waits (boundedly) until a session other than this test's listens on the database, as
    the server's announcement listener does; whether one did goes in the failure message."""
    conn = await asyncpg.connect(d.postgres.url)
    try:
        deadline = asyncio.get_running_loop().time() + LISTENING_AGAIN_WITHIN
        while asyncio.get_running_loop().time() < deadline:
            if await conn.fetchval(
                "SELECT count(*) > 0 FROM pg_stat_activity"
                " WHERE query ILIKE 'LISTEN %' AND pid <> pg_backend_pid()"
            ):
                return True
            await asyncio.sleep(0.1)
        return False
    finally:
        await conn.close()
