"""Member tokens: how long one may live."""

from __future__ import annotations

from datetime import timedelta

from domain.errors import DomainError

# A token in a shopper's app cannot be revoked: a short life bounds what a leaked one can do.
MAX_LIFETIME = timedelta(hours=1)


def token_lifetime(minutes: int) -> timedelta:
    """The lifetime asked for, in whole minutes, from one to the maximum."""
    most = int(MAX_LIFETIME / timedelta(minutes=1))
    if not 1 <= minutes <= most:
        raise DomainError(f"expiresInMinutes must be 1 to {most}.", field=("expiresInMinutes",))
    return timedelta(minutes=minutes)
