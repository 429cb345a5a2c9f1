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

from api.masking import cleaned
from api.schema.actions.actions import ActionMutations
from api.schema.analytics.analytics import AnalyticsQueries
from api.schema.analytics.configure_analytics import AnalyticsMutations, AnalyticsSettingsQueries
from api.schema.auth.auth import AuthMutations
from api.schema.auth.member_sessions import MemberSessionMutations
from api.schema.auth.sessions import SessionMutations, SessionQueries
from api.schema.common.limits import alias_limit, cost_limit, depth_limit
from api.schema.common.node_query import NodeQueries
from api.schema.common.scalars import SCALARS
from api.schema.common.text_inputs import FitTextRule, refused_variables
from api.schema.members.export_member import ExportMemberMutations
from api.schema.members.member_import import MemberImportMutations, MemberImportQueries
from api.schema.members.member_type import Member
from api.schema.members.member_updates import MemberSubscriptions
from api.schema.members.members import MemberMutations, MemberQueries
from api.schema.orders.orders import OrderMutations, OrderQueries
from api.schema.points.adjust_points import PointsMutations
from api.schema.points.ledger_types import LedgerEntry
from api.schema.program.program import ProgramMutations, ProgramQueries
from api.schema.referrals.referrals import ReferralMutations
from api.schema.rewards.redemptions import RedemptionMutations, RedemptionQueries
from api.schema.rewards.reward_types import Redemption, Reward
from api.schema.rewards.rewards import RewardMutations, RewardQueries
from api.schema.segments.segments import SegmentMutations, SegmentQueries
from api.schema.stamps.stamp_card import StampCardMutations
from api.schema.surveys.submit_response import SurveyResponseMutations
from api.schema.surveys.survey_types import Survey, SurveyResponse
from api.schema.surveys.surveys import SurveyMutations, SurveyQueries
from api.schema.tenants.allowed_origins import AllowedOriginsMutations
from api.schema.tenants.audit_log import AuditLogQueries
from api.schema.tenants.invitations import InvitationMutations, InvitationQueries
from api.schema.tenants.lifecycle import TenantLifecycleMutations
from api.schema.tenants.program_templates import (
    ProgramTemplateMutations,
    ProgramTemplateQueries,
)
from api.schema.tenants.rate_limit_mutation import RateLimitMutations
from api.schema.tenants.team import TeamMutations, TeamQueries
from api.schema.tenants.tenant_export import TenantExportMutations
from api.schema.tenants.tenants import ApiKey, Tenant, TenantMutations, TenantQueries
from api.schema.tiers.tiers import TierMutations, TierQueries
from api.schema.trusted_documents.queries import TrustedDocumentQueries
from api.schema.trusted_documents.register import RegisterTrustedDocumentsMutations
from api.schema.trusted_documents.revoke import RevokeTrustedDocumentsMutations
from api.schema.webhooks.mutations import WebhookMutations
from api.schema.webhooks.webhook_queries import WebhookQueries
from api.settings import Settings
from api.startup_checks import refuse_unfenced_schema
from engine.cached_schema import CachedSchema
from engine.documents import DocumentCache, PreparedOperation
from engine.policy import Policy


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
    SurveyQueries,
    SegmentQueries,
    AnalyticsQueries,
    AnalyticsSettingsQueries,
    WebhookQueries,
    TrustedDocumentQueries,
    TeamQueries,
    InvitationQueries,
    ProgramTemplateQueries,
    SessionQueries,
    AuditLogQueries,
    MemberImportQueries,
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
    MemberSessionMutations,
    TenantMutations,
    TierMutations,
    AllowedOriginsMutations,
    RateLimitMutations,
    SurveyMutations,
    SurveyResponseMutations,
    StampCardMutations,
    SegmentMutations,
    AnalyticsMutations,
    WebhookMutations,
    RegisterTrustedDocumentsMutations,
    RevokeTrustedDocumentsMutations,
    SessionMutations,
    TeamMutations,
    InvitationMutations,
    TenantLifecycleMutations,
    ExportMemberMutations,
    MemberImportMutations,
    TenantExportMutations,
    ProgramTemplateMutations,
):
    pass


@strawberry.type
class Subscription(MemberSubscriptions):
    pass


# graphql-core suggests names for unknown fields, arguments, types, enum values and input
# fields; strawberry's disable_field_suggestions hides only the first.
_SUGGESTION = re.compile(r" ?Did you mean [^?]*\?")


class LoyaltySchema(CachedSchema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # ErrorHygiene logs what is unexpected, once and with the request id; strawberry's
        # default would log every refusal and validation error as if it were a crash.
        # Cleaned here too, in place, for the results of subscriptions, which strawberry
        # hands to no extension: a refusal keeps its code, anything unexpected is masked.
        # (Errors already cleaned are left as they are.)
        errors[:] = _cleaned(errors, getattr(execution_context, "context", None))
        if self.config.disable_field_suggestions:
            for error in errors:
                error.message = _SUGGESTION.sub("", error.message)


def _cleaned(errors: list[GraphQLError], context: object) -> list[GraphQLError]:
    return cleaned(errors, getattr(context, "request_id", "-"))


def _sent_by_trusted(context: object) -> bool:
    """Whether the request's caller may fill the larger pool (a secret key, an operator)."""
    principal = getattr(context, "principal", None)
    return bool(getattr(principal, "privileged", False))


# The platform's rules the engine applies on every path (engine/policy.py).
POLICY = Policy(refused_variables=refused_variables, cleaned=_cleaned, trusted=_sent_by_trusted)


def _documents(settings: Settings, *, privileged: bool, persisted: frozenset[str]) -> DocumentCache:
    """The schema's cache of parsed documents, validated with the limits below (and no
    introspection for the public schema), bounded by bytes (engine/documents.py)."""
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
        policy=POLICY,
    )


def build_schema(
    settings: Settings, *, privileged: bool = True, persisted: frozenset[str] = frozenset()
) -> LoyaltySchema:
    """One extension, made per request around the cache shared by every request to this
    schema, supplies the cached document and cleans the errors of the result; requests
    for cached documents mostly skip it (engine/direct.py) and do the same. The texts
    of the `persisted` documents stay cached for good.

    With `LOYALTY_ENGINE=stock` the engine's execution is left out (engine/README.md):
    strawberry's own execution context and resolver wrapping, and the endpoint never takes
    the engine's direct path. The document cache and its policy stay: they decide what is
    valid and what a client may see, not how a valid request runs."""
    documents = _documents(settings, privileged=privileged, persisted=persisted)
    fast = settings.engine == "fast"
    execution_context_class = None
    if fast:
        # Imported only with the engine on: LOYALTY_ENGINE=stock never imports its executor,
        # so a library upgrade that removed a private name it uses can still be served.
        from engine.execution import PlainTreeExecutionContext

        execution_context_class = PlainTreeExecutionContext
    schema = LoyaltySchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[Member, LedgerEntry, Tenant, ApiKey, Reward, Redemption, Survey, SurveyResponse],
        extensions=[lambda: PreparedOperation(documents)],
        execution_context_class=execution_context_class,
        config=StrawberryConfig(disable_field_suggestions=not privileged, scalar_map=SCALARS),
    )
    schema.documents = documents
    if fast:
        from engine.lean_resolvers import install as install_lean_resolvers

        refuse_unfenced_schema(settings, schema)
        install_lean_resolvers(schema)
    return schema
