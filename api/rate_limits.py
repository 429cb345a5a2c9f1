"""Request budgets per credential and per tenant, shared by every replica through Redis.

The `limits` package keeps them (sliding-window counters, async Redis storage on the
process's own redis-py connection pool). A request spends one unit before any work is done
(429 with Retry-After when the budget is spent), and after its answer has been sent, the
rest of its estimated cost: `estimated_cost // rate_limit_cost_unit` units more, so an
expensive query spends more of the budget than `me { points }`, and the next requests pay
for it.

Who spends: a credential (an API key by its digest, a member, an operator), or for
anonymous callers their client address; a tenant's requests also spend the tenant's budget,
`rate_limit_tenant_factor` times a credential's. Keys start `rl:{LIMITER/<tenant id>/…}`
(hash-tagged; `-` when no tenant is named).

Every answer carries `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset` (seconds)
of the caller's credential budget. With Redis down, requests are not limited (logged; the
breaker skips Redis a while) and the headers show a full budget.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import math
import time
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any
from urllib.parse import parse_qs

import orjson
from limits import RateLimitItem, RateLimitItemPerMinute
from limits.aio.storage import RedisStorage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from redis.exceptions import RedisError
from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import JSONResponse
from starlette.types import Message, Receive, Scope, Send
from strawberry.schema.base import BaseSchema

from api.auth.principal import Kind, Principal
from api.schema.build import LoyaltySchema
from api.schema.limits import estimated_cost
from api.services import Services
from persistence.breaker import Breaker

log = logging.getLogger(__name__)

_FAILURES = (RedisError, OSError, TimeoutError)
Guarded = tuple[Receive, Send]
Budget = tuple[RateLimitItem, tuple[str, ...]]


class RequestLimits:
    def __init__(self, services: Services) -> None:
        settings = services.settings
        storage = RedisStorage(
            "async+redis://",
            implementation="redispy",
            key_prefix="rl",
            connection_pool=services.redis.connection_pool,  # type: ignore[arg-type]
        )
        self._limiter = SlidingWindowCounterRateLimiter(storage)
        self._overrides = services.abuse.tenant_limits
        self._enabled = settings.rate_limits_enabled
        self._per_minute = settings.rate_limit_per_minute
        self._tenant_factor = settings.rate_limit_tenant_factor
        self._cost_unit = max(1, settings.rate_limit_cost_unit)
        self._max_page_size = settings.max_page_size
        self.breaker = Breaker(settings.redis_breaker_seconds)

    async def admit(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        principal: Principal,
        request_id: str,
        schema: BaseSchema,
    ) -> Guarded | None:
        """Spends one unit of the caller's budgets. Refused: answers 429 and returns None;
        else the (receive, send) to answer with, which add the RateLimit headers and charge
        the rest of the request's cost once it is answered."""
        if not self._enabled:
            return receive, send
        tenant = principal.tenant
        per_minute = self._per_minute
        if tenant is not None:
            per_minute = await self._overrides.per_minute(tenant.id) or per_minute
        own = RateLimitItemPerMinute(per_minute)
        shared = RateLimitItemPerMinute(per_minute * self._tenant_factor)
        scope_id = str(tenant.id) if tenant is not None else "-"
        who = (scope_id, *_credential(scope, principal))
        budgets: list[Budget] = [(own, who)]
        if tenant is not None:
            budgets.append((shared, (scope_id, "tenant")))
        charge = _Charge(self, budgets)
        admitted = await charge.spend_first_unit()
        headers = charge.headers()
        if not admitted:
            await _refuse(scope, receive, send, request_id, headers, charge.retry_after)
            return None
        return self._observe(scope, receive, send, headers, charge, schema)

    def _observe(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        headers: list[tuple[bytes, bytes]],
        charge: _Charge,
        schema: BaseSchema,
    ) -> Guarded:
        body: list[bytes] = []
        status = 0

        async def receive_body() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                body.append(message.get("body", b""))
            return message

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                MutableHeaders(scope=message).raw.extend(headers)
            await send(message)
            finished = message["type"] == "http.response.body" and not message.get("more_body")
            if finished and status == 200 and isinstance(schema, LoyaltySchema):
                units = self._cost(scope, b"".join(body), schema) // self._cost_unit
                if units > 0:
                    await charge.spend(units)

        return receive_body, send_with_headers

    def _cost(self, scope: Scope, body: bytes, schema: LoyaltySchema) -> int:
        query = _query_text(scope, body)
        if not query:
            return 0  # a persisted query named by its hash alone: the unit already spent
        prepared = schema.documents.get(schema._schema, query)  # cached by the answer
        if prepared is None or prepared.errors:
            return 0
        return estimated_cost(prepared.document, self._max_page_size)

    async def _redis(
        self, what: str, calls: list[Callable[[], Awaitable[Any]]]
    ) -> list[Any] | None:
        """The calls' results, made side by side (one round trip); None when Redis is down."""
        if self.breaker.open:
            return None
        try:
            return list(await asyncio.gather(*(call() for call in calls)))
        except _FAILURES as exc:
            log.warning("redis unavailable, requests not rate limited (%s): %s", what, exc)
            self.breaker.failed()
            return None


class _Charge:
    """One request's spending of its budgets; the first is the caller's own."""

    def __init__(self, limits: RequestLimits, budgets: list[Budget]) -> None:
        self._limits = limits
        self._budgets = budgets
        self._remaining = budgets[0][0].amount
        self._reset = 60.0
        self.retry_after = 1

    async def spend_first_unit(self) -> bool:
        # The caller's window is read in the same round trip as the hits: the remaining
        # count shown may not yet include this request's unit.
        limiter = self._limits._limiter
        own, who = self._budgets[0]
        calls = [partial(limiter.hit, item, *ids) for item, ids in self._budgets]
        read = partial(limiter.get_window_stats, own, *who)
        results = await self._limits._redis("spend", [*calls, read])
        if results is None:
            return True
        *hits, window = results
        self._reset = max(0.0, window.reset_time - time.time())
        self._remaining = window.remaining
        if all(hits):
            return True
        if not hits[0]:
            self.retry_after = max(1, math.ceil(self._reset))
        else:  # the tenant's budget is spent, not the caller's own
            self.retry_after = await self._tenant_retry_after()
        return False

    async def _tenant_retry_after(self) -> int:
        item, ids = self._budgets[-1]
        found = await self._limits._redis(
            "stats", [partial(self._limits._limiter.get_window_stats, item, *ids)]
        )
        return max(1, math.ceil(found[0].reset_time - time.time())) if found else 1

    async def spend(self, units: int) -> None:
        limiter = self._limits._limiter
        await self._limits._redis(
            "cost", [partial(limiter.hit, item, *ids, cost=units) for item, ids in self._budgets]
        )

    def headers(self) -> list[tuple[bytes, bytes]]:
        values = [
            (b"ratelimit-limit", self._budgets[0][0].amount),
            (b"ratelimit-remaining", self._remaining),
            (b"ratelimit-reset", math.ceil(self._reset)),
        ]
        return [(name, str(value).encode()) for name, value in values]


def _credential(scope: Scope, principal: Principal) -> tuple[str, str]:
    kind = principal.kind
    if kind is Kind.OPERATOR:
        return "operator", str(principal.operator_id)
    if kind is Kind.MEMBER:
        return "member", str(principal.member_id)
    if kind is Kind.ANONYMOUS:
        client = scope.get("client")
        return "address", client[0] if client else "unknown"
    token = Headers(scope=scope).get("authorization", "").encode()
    return "key", hashlib.blake2b(token, digest_size=16).hexdigest()


def _query_text(scope: Scope, body: bytes) -> str | None:
    if scope.get("method") == "GET":
        found = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("query")
        return found[0] if found else None
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    query = data.get("query") if isinstance(data, dict) else None
    return query if isinstance(query, str) else None


async def _refuse(
    scope: Scope,
    receive: Receive,
    send: Send,
    request_id: str,
    headers: list[tuple[bytes, bytes]],
    retry_after: int,
) -> None:
    body = {
        "errors": [
            {
                "message": "Too many requests; try again later.",
                "extensions": {"code": "RATE_LIMITED", "requestId": request_id},
            }
        ]
    }
    response = JSONResponse(body, status_code=429, headers={"X-Request-Id": request_id})
    response.raw_headers.extend(headers)
    response.headers["Retry-After"] = str(retry_after)
    await response(scope, receive, send)
