"""Operator login and member-token lifetimes: pure rules, with in-memory accounts, hasher
and throttle."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from uuid import UUID

import pytest

from domain.errors import DomainError, ErrorCode, RateLimited
from domain.member_tokens import MAX_LIFETIME, token_lifetime
from domain.operator_login import change_password, log_in


@dataclass
class Account:
    id: UUID
    email: str
    name: str | None
    password_hash: str


@dataclass
class InMemoryAccounts:
    by_email: dict[str, Account] = field(default_factory=dict)

    async def operator_by_email(self, email: str) -> Account | None:
        return self.by_email.get(email)

    async def set_password_hash(self, operator_id: UUID, password_hash: str) -> None:
        for account in self.by_email.values():
            if account.id == operator_id:
                account.password_hash = password_hash


@dataclass
class PlainHasher:
    """'v1:secret' is 'secret' hashed with old parameters, 'v2:secret' with today's."""

    busy: bool = False
    verified: list[str | None] = field(default_factory=list)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        self.verified.append(password_hash)
        return password_hash is not None and password_hash.partition(":")[2] == password

    async def hash(self, password: str) -> str:
        if self.busy:
            raise RateLimited("busy", retry_after=1)
        return f"v2:{password}"

    def needs_rehash(self, password_hash: str) -> bool:
        return not password_hash.startswith("v2:")


@dataclass
class CountingThrottle:
    locked: bool = False
    events: list[str] = field(default_factory=list)

    def attempt(self, email: str, address: str) -> CountingThrottle:
        self.events.append(f"attempt {email} {address}")
        return self

    async def check(self) -> None:
        if self.locked:
            raise RateLimited("locked", retry_after=30)

    async def failed(self) -> None:
        self.events.append("failed")

    async def succeeded(self) -> None:
        self.events.append("succeeded")


def ada(password_hash: str = "v2:secret") -> InMemoryAccounts:
    account = Account(uuid.uuid4(), "ada@ops.example", "Ada", password_hash)
    return InMemoryAccounts({account.email: account})


async def test_the_right_password_logs_in_whatever_the_emails_case():
    # given Ada's account
    accounts, throttle = ada(), CountingThrottle()

    # when she logs in with her email in capitals
    found = await log_in(
        accounts, PlainHasher(), throttle, email=" ADA@ops.example ", password="secret", address="a"
    )

    # then she is logged in, and the throttle counted a success for her canonical email
    assert found.email == "ada@ops.example"
    assert throttle.events == ["attempt ada@ops.example a", "succeeded"]


@pytest.mark.parametrize(
    ("email", "password"), [("ada@ops.example", "wrong"), ("nobody@ops.example", "secret")]
)
async def test_a_wrong_password_and_an_unknown_email_are_refused_alike(email, password):
    # given Ada's account
    accounts, hasher, throttle = ada(), PlainHasher(), CountingThrottle()

    # when someone logs in with a wrong password or an unknown email
    with pytest.raises(DomainError) as refused:
        await log_in(accounts, hasher, throttle, email=email, password=password, address="a")

    # then both are INVALID_CREDENTIALS on email, a password was checked, a failure counted
    assert refused.value.code is ErrorCode.INVALID_CREDENTIALS
    assert refused.value.field == ("email",)
    assert len(hasher.verified) == 1
    assert throttle.events[-1] == "failed"


async def test_a_locked_out_login_checks_no_password():
    # given a throttle locking the account out
    hasher, throttle = PlainHasher(), CountingThrottle(locked=True)

    # when the right password is tried
    with pytest.raises(RateLimited):
        await log_in(
            ada(), hasher, throttle, email="ada@ops.example", password="secret", address="a"
        )

    # then no hash was computed
    assert hasher.verified == []


async def test_a_hash_with_old_parameters_is_renewed_on_login():
    # given Ada's password hashed with old parameters
    accounts = ada("v1:secret")

    # when she logs in
    await log_in(
        accounts,
        PlainHasher(),
        CountingThrottle(),
        email="ada@ops.example",
        password="secret",
        address="a",
    )

    # then her hash is today's
    assert accounts.by_email["ada@ops.example"].password_hash == "v2:secret"


async def test_a_busy_hasher_leaves_the_old_hash_for_the_next_login():
    # given an old hash and a hasher too busy to rehash
    accounts = ada("v1:secret")

    # when she logs in
    found = await log_in(
        accounts,
        PlainHasher(busy=True),
        CountingThrottle(),
        email="ada@ops.example",
        password="secret",
        address="a",
    )

    # then she is in, with the old hash kept
    assert found.password_hash == "v1:secret"


@pytest.mark.parametrize("minutes", [1, 30, 60])
def test_a_member_token_lives_one_to_sixty_minutes(minutes):
    assert token_lifetime(minutes) == timedelta(minutes=minutes)
    assert token_lifetime(minutes) <= MAX_LIFETIME


@pytest.mark.parametrize("minutes", [0, -5, 61, 24 * 60])
def test_a_member_token_lifetime_out_of_bounds_is_refused(minutes):
    # given a lifetime out of bounds
    # when a token of that lifetime is asked for
    with pytest.raises(DomainError) as refused:
        token_lifetime(minutes)

    # then it is refused on expiresInMinutes, with the same message as before
    assert refused.value.field == ("expiresInMinutes",)
    assert str(refused.value) == "expiresInMinutes must be 1 to 60."


NEW = "a long and uncommon passphrase"


async def _change(accounts, throttle, current: str, new: str = NEW) -> None:
    await change_password(
        accounts,
        PlainHasher(),
        throttle,
        operator=accounts.by_email["ada@ops.example"],
        current=current,
        new=new,
        address="a",
    )


async def test_a_password_changes_only_with_the_current_one():
    # given Ada's account
    accounts, throttle = ada(), CountingThrottle()

    # when she changes it with a wrong current password, then it is refused and counted
    with pytest.raises(DomainError) as refused:
        await _change(accounts, throttle, current="wrong")
    assert (refused.value.code, refused.value.field) == (
        ErrorCode.INVALID_CREDENTIALS,
        ("current",),
    )
    assert throttle.events[-1] == "failed"
    assert accounts.by_email["ada@ops.example"].password_hash == "v2:secret"

    # when she gives the right one, then the new one is stored, hashed
    await _change(accounts, throttle, current="secret")
    assert accounts.by_email["ada@ops.example"].password_hash == f"v2:{NEW}"
    assert throttle.events[-1] == "succeeded"


async def test_a_weak_new_password_or_a_locked_account_changes_nothing():
    accounts = ada()
    with pytest.raises(DomainError) as weak:
        await _change(accounts, CountingThrottle(), current="secret", new="password1234")
    assert (weak.value.code, weak.value.field) == (ErrorCode.WEAK_PASSWORD, ("new",))
    with pytest.raises(RateLimited):
        await _change(accounts, CountingThrottle(locked=True), current="secret")
    assert accounts.by_email["ada@ops.example"].password_hash == "v2:secret"
