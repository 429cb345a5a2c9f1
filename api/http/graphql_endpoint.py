"""The /graphql endpoint: resolves the caller once, then runs the schema it may use.

The request nearly every client sends (a POST of one JSON operation, answered with JSON) is
run here directly: orjson reads the body, the schema executes it (a cached document straight
through graphql-core: engine/direct.py), and the result is answered as strawberry's view
answers it. That skips the view's content negotiation, request adapters
and body parsing, a fifth of the server's time on a one-field query. Anything else (GET, other
content types, batches, streaming, an operation the view refuses with a 400, a refused
persisted query) goes to strawberry's view, which gets the body replayed and answers exactly
as before.

Before either, the request is held to the edge's bounds (api/http/body_limits.py: body, query
string and document sizes) and a JSON body must be an object; whatever fails on the way
(a refusal, a database that cannot be reached) is answered as GraphQL JSON with a typed
code and the request id (api/http/errors.py).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from functools import cache
from typing import Any

import orjson
from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send
from strawberry.exceptions import MissingQueryError
from strawberry.http.parse_content_type import parse_content_type
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType
from strawberry.types.unset import UNSET, UnsetType

from api.auth.browser import browser_call
from api.auth.principal import ANONYMOUS, Principal, resolve
from api.context import Context
from api.http import errors as http_errors
from api.http.body_limits import (
    check_declared_length,
    check_query_length,
    check_query_string,
    read_body,
)
from api.http.console.cookies import cookie_authorization
from api.http.contract_view import graphql_body
from api.http.errors import RequestRefused
from api.http.json_body import decode_json
from api.http.json_encoding import encode_json
from api.http.persisted_queries import (
    PersistedQueries,
    PersistedQueryRefused,
    document_id_in,
)
from api.http.persisted_view import PersistedQueryView
from api.http.rate_limits import SENT_QUERY, RequestLimits
from api.http.socket_auth import sign_in
from api.http.socket_frames import TextFrameAdapter
from api.schema.build import LoyaltySchema, build_schema
from api.schema.common.text_inputs import refused_request
from api.services import Services
from domain.errors import DomainError, Forbidden
from persistence.automatic_persisted_queries import AutomaticPersistedQueries
from persistence.unreachable import database_unreachable

log = logging.getLogger("loyalty.errors")

_SCOPE_KEY = "loyalty.call"
_POST_OPERATIONS = OperationType.from_http("POST")


@cache
def _direct_path() -> Callable[..., Awaitable[ExecutionResult | None]]:
    # Imported on the first request with the engine on: LOYALTY_ENGINE=stock never imports
    # the engine's executor (engine/README.md, "The switch").
    from engine.direct import run_cached as direct

    return direct


def run_cached(
    schema: LoyaltySchema,
    query: str,
    variables: dict[str, Any] | None,
    operation_name: str | None,
    context: Context,
    extensions: dict[str, Any] | None,
) -> Awaitable[ExecutionResult | None]:
    """The engine's direct path (engine/direct.py): its answer, or None when strawberry
    runs the request. The engine's coroutine itself, with no frame of its own around it."""
    return _direct_path()(schema, query, variables, operation_name, context, extensions)


class _SchemaView(PersistedQueryView):
    websocket_adapter_class = TextFrameAdapter

    def __init__(self, services: Services, **kwargs: Any) -> None:
        settings = services.settings
        super().__init__(max_query_length=settings.max_query_length, **kwargs)
        self._services = services
        self.retry_after = settings.unavailable_retry_seconds

    async def get_context(self, request: Request, response: Response) -> Context:  # type: ignore[override]
        principal, request_id = request.scope.get(_SCOPE_KEY, (ANONYMOUS, "-"))
        return Context(request, response, self._services, principal, request_id)

    def encode_json(self, data: object) -> bytes:
        return encode_json(data)

    async def on_ws_connect(self, context: Context) -> UnsetType:  # type: ignore[override]
        await sign_in(self._services, context)
        return UNSET


class GraphQLEndpoint:
    def __init__(self, services: Services) -> None:
        settings = services.settings
        self._services = services
        self._settings = settings
        self._dev = not settings.production
        self._engine = settings.engine == "fast"
        self._persisted = PersistedQueries.from_settings(
            settings,
            trusted=services.trusted_documents,
            automatic=AutomaticPersistedQueries(
                services.redis, limit=settings.apq_max_documents, ttl=settings.apq_ttl_seconds
            ),
        )
        self.limits = RequestLimits(services)
        self._privileged = _SchemaView(
            services,
            persisted=self._persisted,
            schema=build_schema(settings, privileged=True, persisted=self._persisted.texts),
            graphql_ide="graphiql",
        )
        self._public = _SchemaView(
            services,
            persisted=self._persisted,
            schema=build_schema(settings, privileged=False, persisted=self._persisted.texts),
            # The page in production too: it grants nothing by itself, and operators sign
            # in on it (the schema loads once the headers carry a session or a secret key).
            graphql_ide="graphiql",
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request_id = http_errors.request_id(scope)
        id_bytes = request_id.encode("latin-1")
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                raw = message.get("headers")
                if type(raw) is list and _absent(raw, b"x-request-id"):
                    raw.append((b"x-request-id", id_bytes))  # as MutableHeaders would set it
                else:
                    MutableHeaders(scope=message)["X-Request-Id"] = request_id
            await send(message)

        try:
            await self._serve(scope, receive, send_with_id, request_id)
        except RequestRefused as refused:  # raised before anything was sent
            await refused.response(request_id)(scope, receive, send)
        except Exception as exc:
            if started or scope["type"] != "http" or not database_unreachable(exc):
                raise
            log.warning("database unreachable in request %s: %r", request_id, exc)
            retry = self._settings.unavailable_retry_seconds
            await http_errors.unavailable(request_id, retry)(scope, receive, send)

    async def _serve(self, scope: Scope, receive: Receive, send: Send, request_id: str) -> None:
        headers = Headers(scope=scope)
        if scope["type"] == "http":
            _check_size(scope, self._settings.max_body_bytes)
        try:
            principal: Principal = await resolve(
                self._services,
                self._authorization(scope, headers),
                headers.get("x-tenant"),
                browser_call(scope),  # the page's origin (api/http/cors.py)
            )
        except DomainError as exc:
            status = 403 if isinstance(exc, Forbidden) else 401
            response = http_errors.error_response(status, exc.code.value, exc.message, request_id)
            await response(scope, receive, await self.limits.refused_credential(scope, send))
            return
        scope[_SCOPE_KEY] = (principal, request_id)
        view = self._privileged if (self._dev or principal.privileged) else self._public
        guarded = await self.limits.admit(scope, receive, send, principal, request_id, view.schema)
        if guarded is None:
            return  # refused with 429 (api/http/rate_limits.py)
        receive, send = guarded

        if scope["type"] != "http" or scope["method"] != "POST":
            await view(scope, receive, send)
            return
        raw = await read_body(receive, self._settings.max_body_bytes)
        if raw is None:
            return  # the client went away
        data, fast = _json_body(headers, raw)
        if fast and isinstance(data, dict):
            # The document text sent, for the rate limits' cost (api/http/rate_limits.py): read
            # as it reads it from the body (orjson), so it need not read the body again.
            query = data.get("query")
            scope[SENT_QUERY] = query if isinstance(query, str) else None
        if isinstance(data, dict) and _plain_json(headers):
            answered = await self._answer(view, scope, receive, send, raw, data, principal)
            if answered:
                return
        await view(scope, _replay(raw, receive), send)

    def _authorization(self, scope: Scope, headers: Headers) -> str | None:
        """The request's bearer header; else, for a POST, the console's cookie under its CSRF
        rules (api/http/console/cookies.py)."""
        sent = headers.get("authorization")
        if sent or scope["type"] != "http" or scope["method"] != "POST":
            return sent
        return cookie_authorization(scope, headers, self._services)

    async def _answer(
        self,
        view: _SchemaView,
        scope: Scope,
        receive: Receive,
        send: Send,
        body: bytes,
        data: dict[str, Any],
        principal: Principal,
    ) -> bool:
        """Runs one JSON operation; False (nothing sent, no resolver run) leaves the request
        to strawberry's view."""
        query, variables = data.get("query"), data.get("variables")
        extensions = data.get("extensions")
        operation_name = data.get("operationName")
        if not isinstance(variables, dict | None) or not isinstance(extensions, dict | None):
            return False
        if not isinstance(operation_name, str | None) or not isinstance(query, str | None):
            return False
        try:  # a document named by its hash runs as its text (api/http/persisted_queries.py)
            query = await self._persisted.text_to_run(
                query, extensions, principal, document_id_in(data)
            )
        except PersistedQueryRefused:
            return False  # the view answers the refusal
        if not query:
            return False
        scope[SENT_QUERY] = query  # named by id, it is charged its cost as its text would be
        check_query_length(query, self._settings.max_query_length)
        if refused_request(query, operation_name):
            return False  # unfit text in the document or its name: the view refuses it
        request_id = scope[_SCOPE_KEY][1]
        request = Request(scope, _replay(body, receive))  # the body stays readable
        # What resolvers may set a status or headers on, as strawberry's sub-response: made
        # empty directly rather than by deleting the content-length Response() starts with.
        sub_response = Response()
        sub_response.status_code = None  # type: ignore[assignment]
        sub_response.raw_headers = []
        context = Context(request, sub_response, self._services, principal, request_id)
        schema = view.schema
        assert isinstance(schema, LoyaltySchema)
        result = None
        if self._engine:
            result = await run_cached(schema, query, variables, operation_name, context, extensions)
        try:
            result = result or await schema.execute(
                query,
                variable_values=variables,
                context_value=context,
                operation_name=operation_name,
                allowed_operation_types=_POST_OPERATIONS,
                operation_extensions=extensions,
            )
        except (CannotGetOperationTypeError, InvalidOperationTypeError, MissingQueryError):
            return False  # refused before execution: the view answers these with a 400
        response = view.create_response(graphql_body(result, request_id), sub_response)
        await response(scope, receive, send)
        return True


def _absent(headers: list[tuple[bytes, bytes]], name: bytes) -> bool:
    for each, _ in headers:  # noqa: SIM110 (a loop: no generator per response)
        if each == name:
            return False
    return True


def _check_size(scope: Scope, limit: int) -> None:
    """A body or a query string over the limit is refused before the caller is looked up."""
    check_query_string(scope, limit)
    if scope["method"] == "POST":
        check_declared_length(scope, limit)


def _json_body(headers: Headers, raw: bytes) -> tuple[object, bool]:
    """The JSON of a body strawberry's view would read as JSON (None for other bodies),
    refused unless it is an object, or a list (a batch, which the view refuses); and
    whether orjson read it (not the standard library, api/http/json_body.py)."""
    content_type = headers.get("content-type", "")
    if content_type != "application/json":  # the usual one needs no parsing
        content_type, _ = parse_content_type(content_type)
    if "application/json" not in content_type:
        return None, False
    fast = True
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        fast = False
        try:
            data = decode_json(raw)
        except json.JSONDecodeError:
            raise RequestRefused(
                400, http_errors.BAD_REQUEST, "Unable to parse request body as JSON"
            ) from None
    if not isinstance(data, dict | list):
        raise RequestRefused(
            400, http_errors.BAD_REQUEST, "The request body must be a JSON object."
        )
    return data, fast


def _plain_json(headers: Headers) -> bool:
    """A JSON body, and no Accept asking for a streamed answer (multipart, server-sent
    events), which strawberry's view negotiates."""
    content_type = headers.get("content-type", "").partition(";")[0].strip().lower()
    accept = headers.get("accept", "")
    return content_type == "application/json" and not (
        "multipart/" in accept or "text/event-stream" in accept
    )


def _replay(body: bytes, receive: Receive) -> Receive:
    """`receive` for a request whose body was already read: the body once, then the rest."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
