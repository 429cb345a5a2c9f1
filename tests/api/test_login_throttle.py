"""Logins are throttled per account, per client address and per pair, in the real Redis."""

from __future__ import annotations

import uuid

import pytest

from api.services import Services
from domain.errors import RateLimited
from tests.support.throttling import (
    PASSWORD,
    client_from,
    login,
    new_address,
    operator_with_password,
)

WRONG = "not the password at all"


async def test_wrong_passwords_from_one_address_are_locked_out_with_retry_after(services, tenant):
    # given an operator, and an attacker at one address
    email = await operator_with_password(services, tenant.id)
    async with client_from(services, new_address()) as attacker:
        # when the attacker guesses wrong beyond the pair's free budget (5)
        codes = [(await login(attacker, email, WRONG))[0] for _ in range(6)]
        refused, retry_after = await login(attacker, email, WRONG)
        # and then even guesses right
        right, _ = await login(attacker, email, PASSWORD)

    # then the first guesses are answered, the next refused with a Retry-After, right or not
    assert codes == ["INVALID_CREDENTIALS"] * 6
    assert refused == "RATE_LIMITED"
    assert 1 <= int(retry_after) <= services.settings.login_max_lockout
    assert right == "RATE_LIMITED"


async def test_the_owner_logs_in_from_a_known_address_while_an_attacker_locks_the_account(
    services, tenant
):
    # given an operator who logged in before from their own address
    email = await operator_with_password(services, tenant.id)
    owner_address = new_address()
    async with client_from(services, owner_address) as owner:
        assert await login(owner, email, PASSWORD) == (None, "")

    # when attackers at three addresses guess wrong past the account's free budget (10)
    for guesses in (4, 4, 3):
        async with client_from(services, new_address()) as attacker:
            for _ in range(guesses):
                assert (await login(attacker, email, WRONG))[0] == "INVALID_CREDENTIALS"

    # then a new address is refused even with the right password, for a bounded while
    async with client_from(services, new_address()) as stranger:
        code, retry_after = await login(stranger, email, PASSWORD)
    assert code == "RATE_LIMITED"
    assert 1 <= int(retry_after) <= services.settings.login_max_lockout
    # and the owner, at their usual address, still logs in
    async with client_from(services, owner_address) as owner:
        assert await login(owner, email, PASSWORD) == (None, "")


async def test_a_successful_login_resets_the_counters(services, tenant):
    # given an operator who mistyped their password five times (the pair's free budget)
    email = await operator_with_password(services, tenant.id)
    async with client_from(services, new_address()) as client:
        for _ in range(5):
            assert (await login(client, email, WRONG))[0] == "INVALID_CREDENTIALS"

        # when they then log in
        assert await login(client, email, PASSWORD) == (None, "")

        # then they have their whole budget again: six more mistakes are each answered
        codes = [(await login(client, email, WRONG))[0] for _ in range(6)]
    assert codes == ["INVALID_CREDENTIALS"] * 6


async def test_an_unknown_email_is_throttled_exactly_as_a_known_one(services, tenant):
    # given a real operator's email and an email nobody has
    known = await operator_with_password(services, tenant.id)
    unknown = f"nobody-{uuid.uuid4().hex[:12]}@ops.example"

    # when each is guessed wrong seven times from an address of its own
    sequences = []
    for email in (known, unknown):
        async with client_from(services, new_address()) as client:
            sequences.append([(await login(client, email, WRONG))[0] for _ in range(7)])

    # then the answers are the same: nothing tells which email exists
    assert sequences[0] == sequences[1] == ["INVALID_CREDENTIALS"] * 6 + ["RATE_LIMITED"]


async def test_one_address_trying_many_emails_is_throttled(settings, tenant):
    # given a server that allows an address three failed logins across all emails
    own = await Services.start(settings.model_copy(update={"login_address_free": 3}))
    try:
        async with client_from(own, new_address()) as stuffer:
            # when one address tries a different email each time
            emails = [f"stuffed-{uuid.uuid4().hex[:10]}@ops.example" for _ in range(5)]
            codes = [(await login(stuffer, email, WRONG))[0] for email in emails]
    finally:
        await own.close()

    # then the address is refused once past its budget, whichever email it names
    assert codes == ["INVALID_CREDENTIALS"] * 4 + ["RATE_LIMITED"]


async def test_a_lockout_is_bounded_however_many_failures(services):
    # given an account with forty failures recorded against it from one address
    attempt = services.abuse.logins.attempt(f"{uuid.uuid4().hex}@ops.example", new_address())
    for _ in range(40):
        await attempt.failed()

    # when it tries again
    with pytest.raises(RateLimited) as refused:
        await attempt.check()

    # then it waits at most the longest lockout, never for ever
    assert 1 <= refused.value.retry_after <= services.abuse.logins.max_lockout


async def test_with_redis_down_logins_are_not_throttled(settings, own_redis, tenant):
    # given a server whose Redis is down
    own = await Services.start(
        settings.model_copy(
            update={"redis_url": own_redis.url, "redis_timeout": 0.2, "redis_breaker_seconds": 0.2}
        )
    )
    try:
        email = await operator_with_password(own, tenant.id)
        own_redis.stop()
        async with client_from(own, new_address()) as client:
            # when an operator mistypes more than any budget allows, then logs in
            codes = [(await login(client, email, WRONG))[0] for _ in range(8)]
            code, _ = await login(client, email, PASSWORD)
    finally:
        await own.close()

    # then every attempt is answered (fail open; the server logs it)
    assert codes == ["INVALID_CREDENTIALS"] * 8
    assert code is None
