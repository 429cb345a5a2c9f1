"""strawberry's view, speaking the persisted-query protocol (api/http/persisted_queries.py).

Whatever the endpoint does not answer itself (GET, other content types, streamed answers, a
refused hash) reaches strawberry's view. Here a hash becomes the text it names before the
view runs it, so an operation sent by hash goes on exactly as its text would: the same
document cache and limits, and the same refusal of a mutation over GET.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from cross_web import AsyncHTTPRequestAdapter
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from strawberry.http import GraphQLRequestData
from strawberry.http.base import BaseRequestProtocol
from strawberry.types import ExecutionResult, SubscriptionExecutionResult

from api.http.body_limits import check_query_length
from api.http.contract_view import ContractView
from api.http.graphiql_page import graphiql_html
from api.http.persisted_queries import (
    PersistedQueries,
    PersistedQueryRefused,
    document_id_in,
)
from api.http.rate_limits import SENT_QUERY
from api.schema.common.text_inputs import refused_request


class PersistedQueryView(ContractView):
    def __init__(
        self, persisted: PersistedQueries, *, max_query_length: int, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.persisted = persisted
        self.max_query_length = max_query_length

    async def render_graphql_ide(self, request: Request) -> Response:
        # The platform's own page: its files come from the platform, never from a CDN.
        return HTMLResponse(graphiql_html())

    def should_render_graphql_ide(self, request: BaseRequestProtocol) -> bool:
        # A GET naming its document by hash has no `query` either, and is not a browser
        # asking for GraphiQL.
        params = request.query_params
        return (
            super().should_render_graphql_ide(request)
            and params.get("extensions") is None
            and document_id_in(params) is None
        )

    async def execute_operation(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        request_data: GraphQLRequestData | list[GraphQLRequestData],
        context: Any,
        root_value: Any,
        sub_response: Any,
    ) -> ExecutionResult | list[ExecutionResult] | SubscriptionExecutionResult:
        if isinstance(request_data, GraphQLRequestData):  # batches are refused before this
            unfit = refused_request(request_data.query, request_data.operation_name)
            if unfit:
                return ExecutionResult(data=None, errors=unfit)
            try:
                query = await self.persisted.text_to_run(
                    request_data.query,
                    request_data.extensions,
                    context.principal,
                    await _document_id(request),
                )
            except PersistedQueryRefused as refused:
                if refused.code == "PERSISTED_QUERY_NOT_FOUND":
                    # As Apollo Server does: a cache in front must not keep the miss, or a
                    # GET by hash would never reach the document once it is registered.
                    sub_response.headers["Cache-Control"] = "private, no-cache, must-revalidate"
                return refused.result()
            if query:  # named by id, it is charged its cost as its text would be
                request.scope[SENT_QUERY] = query
            check_query_length(query, self.max_query_length)
            request_data = dataclasses.replace(request_data, query=query)
        return await super().execute_operation(
            request, request_adapter, request_data, context, root_value, sub_response
        )


async def _document_id(request: Request) -> object:
    """The document id a GET's query string or a JSON body names (documentId, doc_id, id):
    strawberry's request data has no place for it."""
    if request.method == "GET":
        return document_id_in(request.query_params)
    if request.headers.get("content-type", "").partition(";")[0].strip() != "application/json":
        return None
    try:
        data = await request.json()
    except ValueError:
        return None
    return document_id_in(data) if isinstance(data, dict) else None
