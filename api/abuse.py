"""What guards the platform against abuse, made once per process (docs/security/throttling.md):
password hashing off the event loop, login throttling, and each tenant's request budget.
The request limits themselves are the /graphql endpoint's (api/http/rate_limits.py)."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

import asyncpg

from api.auth.login_throttle import LoginThrottle
from api.auth.passwords import PasswordWork
from api.settings import Settings
from persistence.redis_cluster import RedisClient
from persistence.tenant_rate_limits import TenantRateLimits


@dataclass
class AbuseGuards:
    passwords: PasswordWork
    logins: LoginThrottle
    tenant_limits: TenantRateLimits

    @classmethod
    def start(cls, settings: Settings, client: RedisClient, pool: asyncpg.Pool) -> AbuseGuards:
        def key() -> bytes:
            # Its own key, so the digests of emails in Redis are not those of any other use.
            return hmac.new(
                settings.resolved_secret_key, b"login-throttle", hashlib.sha256
            ).digest()

        return cls(
            passwords=PasswordWork(
                settings.password_hash_workers, settings.password_hash_max_pending
            ),
            logins=LoginThrottle(
                client,
                key,
                window=settings.login_failure_window,
                account_free=settings.login_account_free,
                address_free=settings.login_address_free,
                pair_free=settings.login_pair_free,
                lockout=settings.login_lockout,
                max_lockout=settings.login_max_lockout,
                cooldown=settings.redis_breaker_seconds,
            ),
            tenant_limits=TenantRateLimits(pool),
        )

    def close(self) -> None:
        self.passwords.close()
