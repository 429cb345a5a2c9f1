"""The /graphql endpoint: resolves the caller once, then runs the schema it may use.

The request nearly every client sends (a POST of one JSON operation, answered with JSON) is
run here directly: orjson reads the body, the schema executes it (a cached document straight
through graphql-core: api/schema/direct.py), and the result is answered as strawberry's view
answers it. That skips the view's content negotiation, request adapters
and body parsing, a fifth of the server's time on a one-field query. Anything else (GET, other
content types, batches, streaming, malformed bodies, an operation the view refuses with a
400, a refused persisted query) goes to strawberry's view, which gets the body replayed and
answers exactly as before.
"""

from __future__ import annotations

import os
from typing import Any

import orjson
from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Message, Receive, Scope, Send
from strawberry.exceptions import MissingQueryError
from strawberry.http import process_result
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types.graphql import OperationType

from api.auth.principal import ANONYMOUS, Principal, resolve
from api.context import Context
from api.json_encoding import encode_json
from api.persisted_queries import PersistedQueries, PersistedQueryRefused
from api.persisted_view import PersistedQueryView
from api.schema.build import LoyaltySchema, build_schema
from api.schema.direct import run_cached
from api.services import Services
from domain.errors import DomainError, Forbidden

_SCOPE_KEY = "loyalty.call"
_POST_OPERATIONS = OperationType.from_http("POST")


class _SchemaView(PersistedQueryView):
    def __init__(self, services: Services, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._services = services

    async def get_context(self, request: Request, response: Response) -> Context:  # type: ignore[override]
        principal, request_id = request.scope.get(_SCOPE_KEY, (ANONYMOUS, "-"))
        return Context(request, response, self._services, principal, request_id)

    def encode_json(self, data: object) -> bytes:
        return encode_json(data)


class GraphQLEndpoint:
    def __init__(self, services: Services) -> None:
        settings = services.settings
        self._services = services
        self._dev = not settings.production
        self._persisted = PersistedQueries.from_settings(settings)
        self._privileged = _SchemaView(
            services,
            persisted=self._persisted,
            schema=build_schema(settings, privileged=True),
            graphql_ide="graphiql",
        )
        self._public = _SchemaView(
            services,
            persisted=self._persisted,
            schema=build_schema(settings, privileged=False),
            graphql_ide="graphiql" if self._dev else None,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request_id = os.urandom(16).hex()  # as random as uuid4().hex, a quarter of its cost
        headers = Headers(scope=scope)
        try:
            principal: Principal = await resolve(
                self._services, headers.get("authorization"), headers.get("x-tenant")
            )
        except DomainError as exc:
            status = 403 if isinstance(exc, Forbidden) else 401
            body = {
                "errors": [
                    {
                        "message": exc.message,
                        "extensions": {"code": exc.code.value, "requestId": request_id},
                    }
                ]
            }
            response = JSONResponse(body, status_code=status, headers={"X-Request-Id": request_id})
            await response(scope, receive, send)
            return
        scope[_SCOPE_KEY] = (principal, request_id)
        view = self._privileged if (self._dev or principal.privileged) else self._public

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).append("X-Request-Id", request_id)
            await send(message)

        if scope["type"] != "http":
            await view(scope, receive, send)
            return
        if scope["method"] == "POST" and _plain_json(headers):
            raw = await _read_body(receive)
            if raw is None:
                return  # the client went away
            answered = await self._answer(view, scope, receive, send, raw, principal, request_id)
            if answered:
                return
            receive = _replay(raw, receive)
        await view(scope, receive, send_with_id)

    async def _answer(
        self,
        view: _SchemaView,
        scope: Scope,
        receive: Receive,
        send: Send,
        body: bytes,
        principal: Principal,
        request_id: str,
    ) -> bool:
        """Runs one JSON operation; False (nothing sent, no resolver run) leaves the request
        to strawberry's view."""
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError:
            return False
        if not isinstance(data, dict):
            return False
        query, variables = data.get("query"), data.get("variables")
        extensions = data.get("extensions")
        operation_name = data.get("operationName")
        if not isinstance(variables, dict | None) or not isinstance(extensions, dict | None):
            return False
        if not isinstance(operation_name, str | None) or not isinstance(query, str | None):
            return False
        try:  # a document named by its hash runs as its text (api/persisted_queries.py)
            query = self._persisted.text_to_run(query, extensions, principal)
        except PersistedQueryRefused:
            return False  # the view answers the refusal
        if not query:
            return False
        request = Request(scope, _replay(body, receive))  # the body stays readable
        # What resolvers may set a status or headers on, as strawberry's sub-response: made
        # empty directly rather than by deleting the content-length Response() starts with.
        sub_response = Response()
        sub_response.status_code = None  # type: ignore[assignment]
        sub_response.raw_headers = []
        context = Context(request, sub_response, self._services, principal, request_id)
        schema = view.schema
        assert isinstance(schema, LoyaltySchema)
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
        response = view.create_response(process_result(result), sub_response)
        response.raw_headers.append((b"x-request-id", request_id.encode()))
        await response(scope, receive, send)
        return True


def _plain_json(headers: Headers) -> bool:
    """A JSON body, and no Accept asking for a streamed answer (multipart, server-sent
    events), which strawberry's view negotiates."""
    content_type = headers.get("content-type", "").partition(";")[0].strip().lower()
    accept = headers.get("accept", "")
    return content_type == "application/json" and not (
        "multipart/" in accept or "text/event-stream" in accept
    )


async def _read_body(receive: Receive) -> bytes | None:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


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
