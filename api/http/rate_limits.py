"""Request budgets per credential and per tenant, shared by every replica through Redis.

The `limits` package keeps them: sliding-window counters in Redis, all of a request's spent
in one round trip (persistence/rate_windows.py). A request spends one unit before any work is done
(429 with Retry-After when the budget is spent), and after its answer has been sent, the
rest of its estimated cost: `estimated_cost // rate_limit_cost_unit` units more, so an
expensive query spends more of the budget than `me { points }`, and the next requests pay
for it. That rest is owed, in this process, by each of the request's budgets, and charged
in the round trip of the next request that spends the same budget (before its own unit),
so a page costs one round trip, not two; past `_MAX_OWED` budgets owing, it is charged at
once in a round trip of its own.

Who spends: a credential (an API key by its digest, a member, an operator), or for
anonymous callers their client address; a tenant's requests also spend the tenant's budget,
`rate_limit_tenant_factor` times a credential's. Keys start `rl:{LIMITER/{<tenant id>}/…}`
(all of a tenant's budgets in one Redis Cluster slot: persistence/rate_windows.py); `-` in
place of the tenant when none is named.

POST /imports/members and GET /exports/tenant/{token} spend the same budgets, one unit a
request (`admit_route`): an upload is the operator's, in the tenant of X-Tenant; a download
the link's operator's, in its tenant; a refused credential or link the client address's.

Every answer carries `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset` (seconds)
of the caller's credential budget. With Redis down, requests are not limited (logged; the
breaker skips Redis a while) and the headers show a full budget.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from dataclasses import dataclass
from urllib.parse import parse_qs
from uuid import UUID

import asyncpg
import orjson
from limits import RateLimitItemPerMinute
from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send
from strawberry.schema.base import BaseSchema

from api.auth.principal import ANONYMOUS, Kind, Principal
from api.http import errors as http_errors
from api.schema.build import LoyaltySchema
from api.schema.common.limits import estimated_cost
from api.services import Services
from domain.errors import ErrorCode
from persistence.breaker import Breaker
from persistence.rate_windows import Budget, SlidingWindows, Spent, tenant_scope
from persistence.redis_cluster import REDIS_FAILURES

log = logging.getLogger(__name__)

_MAX_OWED = 4096
# Where the endpoint keeps the document text a JSON body sent ("query", None when it sent
# none), so the cost is read without parsing the body again.
SENT_QUERY = "loyalty.sent_query"

_FAILURES = REDIS_FAILURES
Guarded = tuple[Receive, Send]


@dataclass(frozen=True, slots=True)
class Admission:
    """A request's unit spent (or not): the RateLimit headers of its answer, and when it is
    refused, the seconds to wait."""

    headers: list[tuple[bytes, bytes]]
    retry_after: int | None

    def refusal(self, request_id: str) -> Response | None:
        """The 429 to answer when the budget is spent, as /graphql answers it; else None."""
        if self.retry_after is None:
            return None
        return self.stamp(_too_many(request_id, self.retry_after))

    def stamp(self, response: Response) -> Response:
        response.raw_headers.extend(self.headers)
        return response


class RequestLimits:
    def __init__(self, services: Services) -> None:
        settings = services.settings
        self.windows = SlidingWindows(services.redis)
        self._overrides = services.abuse.tenant_limits
        self._enabled = settings.rate_limits_enabled
        self._per_minute = settings.rate_limit_per_minute
        self._tenant_factor = settings.rate_limit_tenant_factor
        self._cost_unit = max(1, settings.rate_limit_cost_unit)
        self._max_page_size = settings.max_page_size
        self.breaker = Breaker(settings.redis_breaker_seconds)
        # Units each budget owes for answered requests, charged by its next request.
        self._owed: dict[Budget, int] = {}
        self._items: dict[int, RateLimitItemPerMinute] = {}

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
        budgets, admission = await self._spend_unit(scope, principal)
        headers, retry_after = admission.headers, admission.retry_after
        if retry_after is not None:
            await _refuse(scope, receive, send, request_id, headers, retry_after)
            return None
        return self._observe(scope, receive, send, headers, budgets, schema, principal.privileged)

    async def admit_route(self, scope: Scope, principal: Principal) -> Admission:
        """For a route other than /graphql (an upload, a download): one unit of the same
        budgets `admit` spends, for a request that costs no more than that."""
        if not self._enabled:
            return Admission([], None)
        return (await self._spend_unit(scope, principal))[1]

    async def refused_route(self, scope: Scope) -> Admission:
        """For a route's refused credential: a unit of the client address's budget, as
        `refused_credential` spends."""
        return await self.admit_route(scope, ANONYMOUS)

    async def _spend_unit(
        self, scope: Scope, principal: Principal
    ) -> tuple[list[Budget], Admission]:
        tenant = principal.tenant
        per_minute = self._per_minute
        if tenant is not None:
            per_minute = await self._tenant_budget(tenant.id) or per_minute
        scope_id = tenant_scope(tenant.id) if tenant is not None else "-"
        budgets: list[Budget] = [
            (self._item(per_minute), (scope_id, *_credential(scope, principal)))
        ]
        if tenant is not None:
            shared = self._item(per_minute * self._tenant_factor)
            budgets.append((shared, (scope_id, "tenant")))
        spent = await self._spend(budgets, 1, self._owed_by(budgets))
        headers = _headers(per_minute, spent)
        if spent is not None and not all(spent.admitted):
            return budgets, Admission(headers, await self._retry_after(budgets, spent))
        return budgets, Admission(headers, None)

    async def refused_credential(self, scope: Scope, send: Send) -> Send:
        """The `send` for the answer to a refused credential (401/403): it spends a unit of
        the client address's budget, as an anonymous request does, and carries its headers."""
        if not self._enabled:
            return send
        budget = (self._item(self._per_minute), ("-", *_credential(scope, ANONYMOUS)))
        headers = _headers(
            self._per_minute, await self._spend([budget], 1, self._owed_by([budget]))
        )

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                _add(message, headers)
            await send(message)

        return send_with_headers

    def _item(self, per_minute: int) -> RateLimitItemPerMinute:
        item = self._items.get(per_minute)
        if item is None:
            if len(self._items) >= 1024:
                self._items.clear()
            item = self._items[per_minute] = RateLimitItemPerMinute(per_minute)
        return item

    def _owed_by(self, budgets: list[Budget]) -> list[int] | None:
        """What the budgets owe, no longer owed: the caller charges it now."""
        if not self._owed:
            return None
        owed = [self._owed.pop(budget, 0) for budget in budgets]
        return owed if any(owed) else None

    async def _tenant_budget(self, tenant_id: UUID) -> int | None:
        try:
            return await self._overrides.per_minute(tenant_id)
        except (asyncpg.PostgresError, OSError) as exc:  # the request meets it again, and says so
            log.warning("tenant rate limit unread, using the default: %s", exc)
            return None

    async def _spend(
        self, budgets: list[Budget], cost: int, owed: list[int] | None = None
    ) -> Spent | None:
        """None when Redis is down: nothing is limited then (nor charged what was owed)."""
        if self.breaker.open:
            return None
        try:
            return await self.windows.spend(budgets, cost, owed)
        except _FAILURES as exc:
            log.warning("redis unavailable, requests not rate limited: %s", exc)
            self.breaker.failed()
            return None

    async def _retry_after(self, budgets: list[Budget], spent: Spent) -> int:
        if not spent.admitted[0]:
            return max(1, math.ceil(spent.reset_in))
        # The tenant's budget is spent, not the caller's own: read when it has room.
        item, ids = budgets[-1]
        try:
            stats = await self.windows.limiter.get_window_stats(item, *ids)
        except _FAILURES:
            return 1
        return max(1, math.ceil(stats.reset_time - time.time()))

    def _observe(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        headers: list[tuple[bytes, bytes]],
        budgets: list[Budget],
        schema: BaseSchema,
        trusted: bool,
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
                _add(message, headers)
            await send(message)
            finished = message["type"] == "http.response.body" and not message.get("more_body")
            if finished and status == 200 and isinstance(schema, LoyaltySchema):
                units = self._cost(scope, b"".join(body), schema, trusted) // self._cost_unit
                if units > 0:
                    await self._charge(budgets, units)

        return receive_body, send_with_headers

    async def _charge(self, budgets: list[Budget], units: int) -> None:
        """Owes the rest of an answered request's cost to each of its budgets, charged by
        the next request spending that budget; where a budget has less room than that, what
        room it has. Past `_MAX_OWED` budgets owing, charged now, in a round trip."""
        owed = self._owed
        if len(owed) >= _MAX_OWED and any(budget not in owed for budget in budgets):
            await self._spend(budgets, 0, [units + owed.pop(b, 0) for b in budgets])
            return
        for budget in budgets:
            owed[budget] = owed.get(budget, 0) + units

    def _cost(self, scope: Scope, body: bytes, schema: LoyaltySchema, trusted: bool) -> int:
        query = scope[SENT_QUERY] if SENT_QUERY in scope else _query_text(scope, body)
        if not query:
            return 0  # a persisted query named by its hash alone: the unit already spent
        prepared = schema.documents.get(
            schema._schema, query, trusted=trusted
        )  # cached by the answer
        if prepared is None or prepared.errors:
            return 0
        if prepared.cost is None:  # measured once per cached document
            prepared.cost = estimated_cost(prepared.document, self._max_page_size)
        return prepared.cost


def _add(start: Message, headers: list[tuple[bytes, bytes]]) -> None:
    start.setdefault("headers", [])
    MutableHeaders(scope=start).raw.extend(headers)


def _headers(limit: int, spent: Spent | None) -> list[tuple[bytes, bytes]]:
    remaining, reset = (limit, 0.0) if spent is None else (spent.remaining, spent.reset_in)
    values = [
        (b"ratelimit-limit", limit),
        (b"ratelimit-remaining", remaining),
        (b"ratelimit-reset", math.ceil(reset)),
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
    if scope["type"] == "websocket":  # refused before it is accepted: 1013, try again later
        await receive()
        await send({"type": "websocket.close", "code": 1013})
        return
    response = _too_many(request_id, retry_after)
    response.raw_headers.extend(headers)
    await response(scope, receive, send)


def _too_many(request_id: str, retry_after: int) -> Response:
    return http_errors.error_response(
        429,
        ErrorCode.RATE_LIMITED.value,
        "Too many requests; try again later.",
        request_id,
        {"Retry-After": str(retry_after)},
    )
