"""The plainest reference: the application's Query and Mutation types in a bare
`strawberry.Schema`, executed directly.

No custom execution context, no extensions (so no cached documents, no limits), no lean
resolvers: a fresh schema object, because the lean resolvers are installed by replacing the
resolvers of the GraphQL schema's fields, and the application's schemas have had theirs
replaced. What the application adds around execution that is policy, not execution, is
applied as the application applies it: the caller is resolved from the same headers, the
document is held to the same limits (tokens, depth, aliases, cost, text) by graphql-core's
own parse and validate, the variables to the same bounds on text (engine/policy.py), and
the result is turned into a body by the same function (errors cleaned, request errors
coded). The logging of errors is left out; the errors themselves are not.
"""

from __future__ import annotations

import uuid
from typing import Any

import orjson
import strawberry
from graphql import GraphQLError, parse, specified_rules, validate
from starlette.requests import Request
from starlette.responses import Response
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionResult

from api.auth.principal import resolve
from api.context import Context
from api.http import errors as http_errors
from api.http.contract_view import graphql_body
from api.schema.build import Mutation, Query
from api.schema.common.limits import alias_limit, cost_limit, depth_limit
from api.schema.common.scalars import SCALARS
from api.schema.common.text_inputs import FitTextRule, refused_variables
from api.schema.members.member_type import Member
from api.schema.points.ledger_types import LedgerEntry
from api.schema.rewards.reward_types import Redemption, Reward
from api.schema.tenants.tenants import ApiKey, Tenant
from api.services import Services
from domain.errors import DomainError, Forbidden
from tests.differential.answers import Answer
from tests.differential.sides import credential_headers


class _Unlogged(strawberry.Schema):
    """strawberry's schema, but for the logging of each error (a formatted traceback per
    refusal, most of the reference's time): the errors themselves are left as they are."""

    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        pass


def plain_schema() -> strawberry.Schema:
    return _Unlogged(
        query=Query,
        mutation=Mutation,
        types=[Member, LedgerEntry, Tenant, ApiKey, Reward, Redemption],
        config=StrawberryConfig(scalar_map=SCALARS),
    )


class Reference:
    """Sends a request to the plain schema as the endpoint would hand it over."""

    name = "reference"

    def __init__(self, services: Services, address: str) -> None:
        self.schema = plain_schema()
        self.services = services
        self.address = address
        settings = services.settings
        self.max_tokens = settings.max_tokens
        self.rules = (
            *specified_rules,
            depth_limit(settings.max_query_depth),
            alias_limit(settings.max_aliases),
            cost_limit(settings.max_query_cost, settings.max_page_size),
            FitTextRule,
        )

    def refusals(self, query: str) -> list[GraphQLError]:
        """What the application's limits refuse in the document, before it runs."""
        try:
            document = parse(query, max_tokens=self.max_tokens)
        except GraphQLError as error:
            return [error]
        return validate(self.schema._schema, document, self.rules)

    async def send(
        self,
        query: str,
        variables: dict[str, Any] | None,
        token: str | None,
        tenant: str | None,
        operation_name: str | None = None,
    ) -> Answer:
        request_id = uuid.uuid4().hex
        credential = credential_headers(token, tenant)
        headers = [(b"content-type", b"application/json")] + [
            (name.lower().encode(), value.encode()) for name, value in credential.items()
        ]
        try:
            principal = await resolve(self.services, credential.get("Authorization"), tenant, None)
        except DomainError as exc:  # as the endpoint refuses a credential
            refused = http_errors.error_response(0, exc.code.value, exc.message, request_id)
            status = 403 if isinstance(exc, Forbidden) else 401
            return Answer(status, orjson.loads(refused.body))
        scope = {
            "type": "http",
            "method": "POST",
            "path": "/graphql",
            "headers": headers,
            "query_string": b"",
            "client": (self.address, 123),
            "server": ("test", 80),
            "scheme": "http",
        }
        refused = self.refusals(query) or refused_variables(variables)
        if refused:
            return Answer(None, dict(graphql_body(ExecutionResult(None, refused), request_id)))
        response = Response()
        context = Context(Request(scope), response, self.services, principal, request_id)
        result = await self.schema.execute(
            query, variable_values=variables, context_value=context, operation_name=operation_name
        )
        return Answer(None, dict(graphql_body(result, request_id)))
