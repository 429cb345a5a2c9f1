"""strawberry's ASGI view, answering every failure as the contract says.

strawberry's view answers its refusals (a body that is not JSON, a batch, a mutation over
GET, an operation it cannot pick) in plain text, parses JSON with the standard library
(which recurses into nested arrays until RecursionError, a 500), and puts `"data": null` on
request errors. Here: refusals are GraphQL JSON with a typed code and the request id; what
JSON cannot be read (invalid UTF-8, nesting too deep) is a decoding error, a 400
(api/http/json_body.py); a request error has no `data` key; and an answer whose errors all say
the database is unreachable is a 503 with Retry-After.
"""

from __future__ import annotations

from typing import Any

from cross_web import HTTPException
from graphql import GraphQLError, GraphQLSyntaxError
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse, process_result
from strawberry.types import ExecutionResult

from api.http.errors import RequestRefused, all_unavailable, code_of_status, request_id
from api.http.json_body import decode_json
from api.masking import cleaned


def graphql_body(result: ExecutionResult, request_id: str) -> GraphQLHTTPResponse:
    """The response body of `result`. A request that failed before execution (every error
    is the request's: none has a path into the data) answers without `data`, each error
    with a code (Apollo's: the document did not parse, did not validate, or its variables
    did not fit) and the request id. Errors are cleaned once more on the way out
    (api/masking.py; a cleaned error is left as it is), so no exception's own text can reach
    the client whichever way it was raised."""
    errors = result.errors
    if not errors:
        return process_result(result)
    result.errors = cleaned(errors, request_id)
    body = process_result(result)
    if result.data is None and all(e.path is None for e in result.errors):
        body.pop("data", None)
        for error, formatted in zip(result.errors, body.get("errors") or (), strict=True):
            assert isinstance(formatted, dict)
            extensions = formatted.setdefault("extensions", {})
            extensions.setdefault("code", _request_error_code(error))
            extensions.setdefault("requestId", request_id)
    return body


def _request_error_code(error: GraphQLError) -> str:
    if isinstance(error, GraphQLSyntaxError):
        return "GRAPHQL_PARSE_FAILED"  # the token limit's refusal is one too
    if error.message.startswith("Variable '$"):  # graphql-core's wording for variables
        return "BAD_USER_INPUT"
    return "GRAPHQL_VALIDATION_FAILED"


def mark_unavailable(response: Response, body: Any, retry_after: int) -> None:
    """503 and Retry-After on an answer that failed because the database was unreachable."""
    if isinstance(body, dict) and all_unavailable(body):
        response.status_code = 503
        response.headers["Retry-After"] = str(retry_after)


class ContractView(GraphQL):
    retry_after = 5  # seconds a client waits before retrying an UNAVAILABLE answer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        try:
            response = await self.run(Request(scope=scope, receive=receive))
        except HTTPException as refused:
            status = refused.status_code
            response = RequestRefused(status, code_of_status(status), refused.reason).response(
                request_id(scope)
            )
        except RequestRefused as refused:
            response = refused.response(request_id(scope))
        await response(scope, receive, send)

    def decode_json(self, data: str | bytes) -> object:
        return decode_json(data)  # its errors are JSONDecodeError: strawberry answers 400

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        return graphql_body(result, request_id(request.scope))

    def create_response(
        self,
        response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
        sub_response: Response,
    ) -> Response:
        response = super().create_response(response_data, sub_response)
        mark_unavailable(response, response_data, self.retry_after)
        return response
