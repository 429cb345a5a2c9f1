"""Assembles the schema from the area modules, with the limits every request runs under.

Two schemas are built from the same types: the privileged one (operators, secret keys,
development) allows introspection and field suggestions; the public one allows neither.
Each keeps its own cache of parsed and validated documents, so a cached validation never
crosses them.
"""

from __future__ import annotations

import re

import strawberry
from graphql import GraphQLError
from graphql.validation import ASTValidationRule, NoSchemaIntrospectionCustomRule
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from api.schema.actions import ActionMutations
from api.schema.allowed_origins import AllowedOriginsMutations
from api.schema.auth import AuthMutations
from api.schema.documents import DocumentCache, PreparedOperation
from api.schema.execution import PlainTreeExecutionContext
from api.schema.lean_resolvers import install as install_lean_resolvers
from api.schema.ledger_types import LedgerEntry
from api.schema.limits import alias_limit, cost_limit, depth_limit
from api.schema.member_type import Member
from api.schema.members import MemberMutations, MemberQueries
from api.schema.node_query import NodeQueries
from api.schema.orders import OrderMutations, OrderQueries
from api.schema.points import PointsMutations
from api.schema.program import ProgramMutations, ProgramQueries
from api.schema.rate_limit_mutation import RateLimitMutations
from api.schema.redemptions import RedemptionMutations, RedemptionQueries
from api.schema.referrals import ReferralMutations
from api.schema.reward_types import Redemption, Reward
from api.schema.rewards import RewardMutations, RewardQueries
from api.schema.scalars import SCALARS
from api.schema.tenants import ApiKey, Tenant, TenantMutations, TenantQueries
from api.schema.text_inputs import FitTextRule
from api.schema.tiers import TierMutations, TierQueries
from api.settings import Settings


@strawberry.type
class Query(
    MemberQueries,
    ProgramQueries,
    OrderQueries,
    RewardQueries,
    RedemptionQueries,
    NodeQueries,
    TenantQueries,
    TierQueries,
):
    pass


@strawberry.type
class Mutation(
    MemberMutations,
    PointsMutations,
    OrderMutations,
    ActionMutations,
    RewardMutations,
    RedemptionMutations,
    ProgramMutations,
    ReferralMutations,
    AuthMutations,
    TenantMutations,
    TierMutations,
    AllowedOriginsMutations,
    RateLimitMutations,
):
    pass


# graphql-core suggests names for unknown fields, arguments, types, enum values and input
# fields; strawberry's disable_field_suggestions hides only the first.
_SUGGESTION = re.compile(r" ?Did you mean [^?]*\?")


class LoyaltySchema(strawberry.Schema):
    documents: DocumentCache  # parsed and validated documents, shared with its extension

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # ErrorHygiene logs what is unexpected, once and with the request id; strawberry's
        # default would log every refusal and validation error as if it were a crash.
        if self.config.disable_field_suggestions:
            for error in errors:
                error.message = _SUGGESTION.sub("", error.message)


def _documents(settings: Settings, *, privileged: bool, persisted: frozenset[str]) -> DocumentCache:
    """The schema's cache of parsed documents, validated with the limits below (and no
    introspection for the public schema), bounded by bytes (api/schema/documents.py)."""
    rules: list[type[ASTValidationRule]] = [
        depth_limit(settings.max_query_depth),
        alias_limit(settings.max_aliases),
        cost_limit(settings.max_query_cost, settings.max_page_size),
        FitTextRule,
    ]
    if not privileged:
        rules.append(NoSchemaIntrospectionCustomRule)
    return DocumentCache(
        rules,
        max_tokens=settings.max_tokens,
        trusted_bytes=settings.document_cache_bytes,
        untrusted_bytes=settings.untrusted_document_cache_bytes,
        persisted=persisted,
        maxsize=512,
        max_length=settings.max_query_length,
    )


def build_schema(
    settings: Settings, *, privileged: bool = True, persisted: frozenset[str] = frozenset()
) -> LoyaltySchema:
    """One extension, made per request around the cache shared by every request to this
    schema, supplies the cached document and cleans the errors of the result; requests
    for cached documents mostly skip it (api/schema/direct.py) and do the same. The texts
    of the `persisted` documents stay cached for good."""
    documents = _documents(settings, privileged=privileged, persisted=persisted)
    schema = LoyaltySchema(
        query=Query,
        mutation=Mutation,
        types=[Member, LedgerEntry, Tenant, ApiKey, Reward, Redemption],
        extensions=[lambda: PreparedOperation(documents)],
        execution_context_class=PlainTreeExecutionContext,
        config=StrawberryConfig(disable_field_suggestions=not privileged, scalar_map=SCALARS),
    )
    schema.documents = documents
    install_lean_resolvers(schema)
    return schema
