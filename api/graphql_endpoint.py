"""The /graphql endpoint: resolves the caller once, then runs the schema it may use."""

from __future__ import annotations

import uuid
from typing import Any

import orjson
from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Message, Receive, Scope, Send
from strawberry.asgi import GraphQL

from api.auth.principal import ANONYMOUS, Principal, resolve
from api.context import Context
from api.schema.build import build_schema
from api.services import Services
from domain.errors import DomainError, Forbidden

_SCOPE_KEY = "loyalty.call"


class _SchemaView(GraphQL):
    def __init__(self, services: Services, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._services = services

    async def get_context(self, request: Request, response: Response) -> Context:  # type: ignore[override]
        principal, request_id = request.scope.get(_SCOPE_KEY, (ANONYMOUS, "-"))
        return Context(request, response, self._services, principal, request_id)

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)


class GraphQLEndpoint:
    def __init__(self, services: Services) -> None:
        settings = services.settings
        self._services = services
        self._dev = not settings.production
        self._privileged = _SchemaView(
            services, schema=build_schema(settings, privileged=True), graphql_ide="graphiql"
        )
        self._public = _SchemaView(
            services,
            schema=build_schema(settings, privileged=False),
            graphql_ide="graphiql" if self._dev else None,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request_id = uuid.uuid4().hex
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

        await view(scope, receive, send_with_id if scope["type"] == "http" else send)
