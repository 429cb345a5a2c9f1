"""node(id:): any object of the calling tenant by its global id."""

from __future__ import annotations

import strawberry

from api.auth.principal import Kind
from api.context import Info
from api.schema.common.ids import from_global_id, int_of, uuid_of
from api.schema.common.node import Node
from api.schema.members.member_type import Member
from api.schema.points.ledger_types import LedgerEntry
from api.schema.referrals.referrals import referral_node
from api.schema.rewards.reward_types import Redemption, Reward
from api.schema.surveys.survey_types import survey_node, survey_response_node
from api.schema.tiers.tier_types import Tier
from api.schema.webhooks.webhook_queries import webhook_node
from domain.errors import DomainError, ErrorCode
from domain.reads import members as reads
from domain.reads.rewards import reward_for
from domain.tier_definitions import tier_definitions


@strawberry.type
class NodeQueries:
    @strawberry.field(description="Fetch an object by its global id.")
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        ctx = info.context
        type_name, _ = from_global_id(id)
        if type_name == "Member":
            ctx.require_reader()
            found = await reads.member_by_id(ctx.uow, uuid_of(id, "Member"))
            return Member.of(found) if found else None
        if type_name == "LedgerEntry":
            ctx.require(Kind.SECRET_KEY, Kind.OPERATOR, Kind.MEMBER, roles=ctx.reader_roles)
            entry = await reads.ledger_entry_for(ctx.uow, ctx.viewer, int_of(id, "LedgerEntry"))
            if entry is None:
                return None
            return LedgerEntry.of(entry, internal=ctx.viewer.sees_internal_entries)
        if type_name == "Reward":
            now = ctx.services.clock.now()
            reward = await reward_for(ctx.uow, ctx.viewer, uuid_of(id, "Reward"), now)
            return Reward.of(reward) if reward is not None else None
        if type_name == "Redemption":
            ctx.require(Kind.SECRET_KEY, Kind.OPERATOR, Kind.MEMBER, roles=ctx.reader_roles)
            redemption = await reads.redemption_for(ctx.uow, ctx.viewer, uuid_of(id, "Redemption"))
            return Redemption.of(redemption) if redemption is not None else None
        if type_name == "Referral":
            return await referral_node(info, id)
        if type_name == "Tier":
            # Tiers are public program data, as in program { tiers }.
            tier_id = uuid_of(id, "Tier")
            tiers = (await tier_definitions(ctx.uow)).tiers
            return next((Tier.of(t) for t in tiers if t.id == tier_id), None)
        if type_name == "Survey":
            return await survey_node(info, id)
        if type_name == "SurveyResponse":
            return await survey_response_node(info, id)
        if type_name in ("WebhookEndpoint", "WebhookDelivery"):
            return await webhook_node(info, id, type_name)
        raise DomainError("Unknown id type.", field=("id",), code=ErrorCode.INVALID_ID)
