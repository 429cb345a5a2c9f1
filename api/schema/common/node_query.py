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
from api.schema.tiers.tier_types import Tier
from domain.errors import DomainError, ErrorCode
from domain.tier_definitions import tier_definitions


@strawberry.type
class NodeQueries:
    @strawberry.field(description="Fetch an object by its global id.")
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        ctx = info.context
        type_name, _ = from_global_id(id)
        if type_name == "Member":
            ctx.require_reader()
            async with ctx.uow() as uow:
                found = await uow.members.get(uuid_of(id, "Member"))
            return Member.of(found) if found else None
        if type_name == "LedgerEntry":
            ctx.require(Kind.SECRET_KEY, Kind.OPERATOR, Kind.MEMBER, roles=ctx.reader_roles)
            async with ctx.uow() as uow:
                entry = await uow.ledger.entry(int_of(id, "LedgerEntry"))
            if entry is None:
                return None
            if ctx.principal.kind is Kind.MEMBER and entry.member_id != ctx.principal.member_id:
                return None  # another member's entry does not exist for this caller
            return LedgerEntry.of(entry, internal=ctx.principal.kind is not Kind.MEMBER)
        if type_name == "Reward":
            async with ctx.uow() as uow:
                reward = await uow.rewards.get(uuid_of(id, "Reward"))
            visible = reward is not None and (
                ctx.principal.privileged or reward.live(ctx.services.clock.now())
            )
            return Reward.of(reward) if reward is not None and visible else None
        if type_name == "Redemption":
            ctx.require(Kind.SECRET_KEY, Kind.OPERATOR, Kind.MEMBER, roles=ctx.reader_roles)
            async with ctx.uow() as uow:
                redemption = await uow.redemptions.get(uuid_of(id, "Redemption"))
            if redemption is None:
                return None
            if (
                ctx.principal.kind is Kind.MEMBER
                and redemption.member_id != ctx.principal.member_id
            ):
                return None
            return Redemption.of(redemption)
        if type_name == "Referral":
            return await referral_node(info, id)
        if type_name == "Tier":
            # Tiers are public program data, as in program { tiers }.
            tier_id = uuid_of(id, "Tier")
            tiers = (await tier_definitions(ctx.uow)).tiers
            return next((Tier.of(t) for t in tiers if t.id == tier_id), None)
        raise DomainError("Unknown id type.", field=("id",), code=ErrorCode.INVALID_ID)
