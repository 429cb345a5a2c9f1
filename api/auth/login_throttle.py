"""Failed logins, counted in Redis per account, per client address and per pair of them.

Keys are control-plane, not a tenant's (a login names no tenant): all start with the hash
tag `{login}` so the scripts below may touch several in one call on Redis Cluster.

- `{login}:a:<account>`  failures of one email, from any address;
- `{login}:d:<address>`  failures from one address, for any email (credential stuffing);
- `{login}:p:<account>:<address>`  failures of one email from one address;
- `{login}:k:<account>`  addresses that logged in to the account before.

Each counter allows a free budget of failures; past it a lockout runs from the last failure
(30 s, doubled by every further failure, capped), so a lockout is always temporary. A
refused attempt counts nothing, so an attacker cannot extend it. The account counter does
not apply to an address the owner logged in from before: an attacker hammering an email
locks out their own addresses and strangers, while the owner's usual address keeps its own
pair budget.
Emails and addresses are stored as keyed digests. Unknown emails count exactly like known
ones. With Redis down, logins are not throttled (logged; the breaker skips Redis a while).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from collections.abc import Callable
from functools import cached_property

from domain.errors import RateLimited
from persistence.breaker import Breaker
from persistence.redis_cluster import REDIS_FAILURES, RedisClient

log = logging.getLogger(__name__)

_CHECK = """
local now = tonumber(ARGV[1])
local cap = tonumber(ARGV[5]) * 1000
local base = tonumber(ARGV[7]) * 1000
local function wait(key, free)
  local v = redis.call('HMGET', key, 'n', 't')
  local n = tonumber(v[1]) or 0
  if n <= free then return 0 end
  local left = tonumber(v[2]) + math.min(base * 2 ^ (n - free - 1), cap) - now
  if left > 0 then return left end
  return 0
end
local worst = math.max(wait(KEYS[2], tonumber(ARGV[3])), wait(KEYS[3], tonumber(ARGV[4])))
if redis.call('SISMEMBER', KEYS[4], ARGV[6]) == 0 then
  worst = math.max(worst, wait(KEYS[1], tonumber(ARGV[2])))
end
return math.ceil(worst / 1000)
"""

_FAILED = """
for i = 1, #KEYS do
  redis.call('HINCRBY', KEYS[i], 'n', 1)
  redis.call('HSET', KEYS[i], 't', ARGV[1])
  redis.call('EXPIRE', KEYS[i], ARGV[2])
end
return 1
"""

_SUCCEEDED = """
redis.call('DEL', KEYS[1], KEYS[2])
if redis.call('SCARD', KEYS[3]) < tonumber(ARGV[2]) then
  redis.call('SADD', KEYS[3], ARGV[1])
end
redis.call('EXPIRE', KEYS[3], ARGV[3])
return 1
"""

PREFIX = "{login}"
KNOWN_ADDRESSES = 20  # per account: enough for an owner's devices, few for an attacker
KNOWN_SECONDS = 30 * 86400


class LoginThrottle:
    def __init__(
        self,
        client: RedisClient,
        key: Callable[[], bytes],
        *,
        window: int = 3600,
        account_free: int = 10,
        address_free: int = 50,
        pair_free: int = 5,
        lockout: int = 30,
        max_lockout: int = 900,
        cooldown: float = 5.0,
    ) -> None:
        self._key_source = key  # read when first needed: commands that never log in need none
        self._window = window
        self._budgets = (account_free, address_free, pair_free, max_lockout, lockout)
        self._check = client.register_script(_CHECK)
        self._failed = client.register_script(_FAILED)
        self._succeeded = client.register_script(_SUCCEEDED)
        self.breaker = Breaker(cooldown)

    @property
    def max_lockout(self) -> int:
        return self._budgets[3]

    def attempt(self, email: str, address: str) -> LoginAttempt:
        return LoginAttempt(self, self._digest(b"a", email), self._digest(b"d", address))

    @cached_property
    def _key(self) -> bytes:
        return self._key_source()

    def _digest(self, kind: bytes, value: str) -> str:
        return hmac.new(self._key, kind + value.encode(), hashlib.sha256).hexdigest()[:32]

    async def _call(self, what: str, script: object, keys: list[str], args: list[object]) -> int:
        if self.breaker.open:
            return 0
        try:
            result = await script(keys, args)  # type: ignore[operator]
        except REDIS_FAILURES as exc:
            log.warning("redis unavailable, logins not throttled (%s): %s", what, exc)
            self.breaker.failed()
            return 0
        return int(result or 0)


class LoginAttempt:
    """One login attempt: check before the password is verified, then report the outcome."""

    def __init__(self, throttle: LoginThrottle, account: str, address: str) -> None:
        self._t = throttle
        self._address = address
        self._account_key = f"{PREFIX}:a:{account}"
        self._address_key = f"{PREFIX}:d:{address}"
        self._pair_key = f"{PREFIX}:p:{account}:{address}"
        self._known_key = f"{PREFIX}:k:{account}"

    async def check(self) -> None:
        """Raises RateLimited while any budget that applies is locked out."""
        t = self._t
        account_free, address_free, pair_free, max_lockout, lockout = t._budgets
        keys = [self._account_key, self._address_key, self._pair_key, self._known_key]
        args = [_now_ms(), account_free, address_free, pair_free, max_lockout, self._address]
        args.append(lockout)
        retry_after = await t._call("check", t._check, keys, args)
        if retry_after > 0:
            raise RateLimited(
                f"Too many failed logins; try again in {retry_after} seconds.",
                retry_after=retry_after,
            )

    async def failed(self) -> None:
        t = self._t
        keys = [self._account_key, self._address_key, self._pair_key]
        await t._call("failure", t._failed, keys, [_now_ms(), t._window])

    async def succeeded(self) -> None:
        t = self._t
        keys = [self._account_key, self._pair_key, self._known_key]
        await t._call(
            "success", t._succeeded, keys, [self._address, KNOWN_ADDRESSES, KNOWN_SECONDS]
        )


def _now_ms() -> int:
    # Wall-clock, as every replica and Redis agree on it (to within clock sync).
    return int(time.time() * 1000)
