"""Password hashing runs off the event loop, on a bounded pool that refuses a flood."""

from __future__ import annotations

import asyncio

from api.auth.passwords import PasswordWork, hash_password
from api.services import Services
from tests.support.throttling import (
    LOGIN,
    PASSWORD,
    client_from,
    login,
    new_address,
    operator_with_password,
)

PROGRAM = """
query { program { name } }
"""


async def test_an_unrelated_query_answers_while_logins_hash(services, tenant):
    # given an operator with a password, and a store asking for its program meanwhile
    email = await operator_with_password(services, tenant.id)
    finished: list[str] = []

    async with client_from(services, new_address()) as client:

        async def log_in() -> None:
            assert await login(client, email, PASSWORD) == (None, "")
            finished.append("login")

        # when twelve logins are hashing at once (the pool has two threads)
        logins = [asyncio.create_task(log_in()) for _ in range(12)]
        for _ in range(10_000):  # until two are hashing (a login done first: it never did)
            if services.abuse.passwords.pending >= 2 or any(t.done() for t in logins):
                break
            await asyncio.sleep(0.001)
        program = await client(PROGRAM, token=tenant.secret_key)
        finished.append("query")
        await asyncio.gather(*logins)

    # then the query is answered before half the logins are: the loop was never blocked
    assert program["program"]["name"]
    assert finished.index("query") < 6, finished
    assert finished.count("login") == 12


async def test_hashing_beyond_the_pending_bound_is_refused_at_once():
    # given a pool of one thread that holds at most two hashes in flight
    work = PasswordWork(workers=1, max_pending=2)
    stored = hash_password(PASSWORD)
    try:
        # when five checks arrive together
        outcomes = await asyncio.gather(
            *(work.verify(stored, PASSWORD) for _ in range(5)), return_exceptions=True
        )
    finally:
        work.close()

    # then two are checked and three are refused with RATE_LIMITED, none queued
    assert outcomes[:2] == [True, True]
    assert [getattr(o, "code", None) for o in outcomes[2:]] == ["RATE_LIMITED"] * 3
    assert all(o.retry_after >= 1 for o in outcomes[2:])  # type: ignore[union-attr]


async def test_a_login_flood_beyond_the_bound_gets_rate_limited(settings, tenant):
    # given a server whose hashing pool holds one hash in flight
    own = await Services.start(
        settings.model_copy(update={"password_hash_workers": 1, "password_hash_max_pending": 1})
    )
    try:
        email = await operator_with_password(own, tenant.id)
        async with client_from(own, new_address()) as client:
            # when six logins arrive together
            variables = {"input": {"email": email, "password": PASSWORD}}
            responses = await asyncio.gather(*(client.raw(LOGIN, variables) for _ in range(6)))
    finally:
        await own.close()

    # then some log in, the others are refused with RATE_LIMITED and a Retry-After
    payloads = [r.json()["data"]["login"] for r in responses]
    codes = [p["errors"][0]["code"] if p["errors"] else None for p in payloads]
    assert None in codes, codes
    assert "RATE_LIMITED" in codes, codes
    assert set(codes) <= {None, "RATE_LIMITED"}
    refused = [r for r, c in zip(responses, codes, strict=True) if c == "RATE_LIMITED"]
    assert all(int(r.headers["retry-after"]) >= 1 for r in refused)
