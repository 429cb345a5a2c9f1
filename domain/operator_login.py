"""Operator login: the password checked against a throttle of failed attempts, and the
hash renewed when its parameters are out of date; changing a password, behind the same
throttle."""

from __future__ import annotations

import contextlib

from domain.emails import canonical_email
from domain.errors import DomainError, ErrorCode, RateLimited
from domain.login_ports import LoginThrottle, OperatorAccount, OperatorAccounts, PasswordHasher
from domain.password_strength import require_strong_password


async def log_in(
    accounts: OperatorAccounts,
    passwords: PasswordHasher,
    throttle: LoginThrottle,
    *,
    email: str,
    password: str,
    address: str,
) -> OperatorAccount:
    """The operator whose email and password these are; INVALID_CREDENTIALS otherwise, the
    same for an unknown email as for a wrong password. RateLimited while locked out."""
    email = canonical_email(email)
    attempt = throttle.attempt(email, address)
    await attempt.check()  # before any hashing: a locked-out guess costs nothing
    operator = await accounts.operator_by_email(email)
    # The hasher runs even for unknown emails: how long a refusal takes tells nothing.
    verified = await passwords.verify(operator.password_hash if operator else None, password)
    if not verified or operator is None:
        await attempt.failed()
        raise DomainError(
            "Wrong email or password.", field=("email",), code=ErrorCode.INVALID_CREDENTIALS
        )
    await attempt.succeeded()
    if passwords.needs_rehash(operator.password_hash):
        with contextlib.suppress(RateLimited):  # busy: the next login rehashes it
            rehashed = await passwords.hash(password)
            await accounts.set_password_hash(operator.id, rehashed)
    return operator


async def change_password(
    accounts: OperatorAccounts,
    passwords: PasswordHasher,
    throttle: LoginThrottle,
    *,
    operator: OperatorAccount,
    current: str,
    new: str,
    address: str,
) -> None:
    """Stores `new` once `current` is the operator's password: a stolen session cannot set a
    password without knowing the one it replaces, nor guess it faster than a login could."""
    require_strong_password(new, operator.email, field="new")
    attempt = throttle.attempt(operator.email, address)
    await attempt.check()
    if not await passwords.verify(operator.password_hash, current):
        await attempt.failed()
        raise DomainError("Wrong password.", field=("current",), code=ErrorCode.INVALID_CREDENTIALS)
    await attempt.succeeded()
    await accounts.set_password_hash(operator.id, await passwords.hash(new))
