"""Segments: segment(key:), segments, winBackCampaign(key:); createSegment, updateSegment,
deleteSegment and grantToSegment."""

from __future__ import annotations

import strawberry

from api.auth.principal import Kind
from api.context import Info
from api.schema.common.errors import UserError, returns_payload
from api.schema.common.ids import uuid_of
from api.schema.segments.segment_types import (
    Segment,
    SegmentRuleInput,
    WinBackCampaign,
    rule_of,
)
from domain import segments as s
from domain.partial_updates import PartialUpdate
from domain.reads import segments as reads
from domain.segment_definitions import create_segment, delete_segment, update_segment
from domain.winback import GrantToSegment, grant_to_segment

_MANAGERS_ONLY = "Operators (owner, admin) define segments."


@strawberry.input
class CreateSegmentInput:
    key: str = strawberry.field(description="Lowercase letters, digits and dashes.")
    name: str
    rule: SegmentRuleInput


@strawberry.input(description="Only the fields given change.")
class UpdateSegmentInput:
    key: str
    name: str | None = None
    rule: SegmentRuleInput | None = None


@strawberry.input
class DeleteSegmentInput:
    key: str


@strawberry.input(description="Exactly one of points and rewardId.")
class GrantToSegmentInput:
    segment: str = strawberry.field(description="The segment's key.")
    campaign_key: str = strawberry.field(
        description="Names the campaign: each member is granted once under it, however "
        "often it is sent."
    )
    points: int | None = None
    reward_id: strawberry.ID | None = strawberry.field(
        default=None, description="A catalog reward with a fixed points cost, given free."
    )
    reason: str | None = strawberry.field(default=None, description="Shown to the member.")


@strawberry.type
class SegmentPayload:
    segment: Segment | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DeleteSegmentPayload:
    deleted_key: str | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class GrantToSegmentPayload:
    campaign: WinBackCampaign | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class SegmentQueries:
    @strawberry.field(description="One segment by key (built-in: at-risk, new, vip, lapsed).")
    async def segment(self, info: Info, key: str) -> Segment | None:
        ctx = info.context
        ctx.require_reader()
        found = await reads.segment_by_key(ctx.uow, key)
        return Segment.of(found) if found else None

    @strawberry.field(description="Every segment: the built-ins, then the tenant's own.")
    async def segments(self, info: Info) -> list[Segment]:
        ctx = info.context
        ctx.require_reader()
        return [Segment.of(x) for x in await reads.segments_in_force(ctx.uow)]

    @strawberry.field(description="A grantToSegment campaign by its key.")
    async def win_back_campaign(self, info: Info, key: str) -> WinBackCampaign | None:
        ctx = info.context
        ctx.require_reader()
        found = await reads.campaign_by_key(ctx.uow, key.strip())
        return WinBackCampaign.of(found) if found else None


@strawberry.type
class SegmentMutations:
    @strawberry.mutation(description="Define a segment; the worker then puts members in it.")
    @returns_payload(SegmentPayload)
    async def create_segment(self, info: Info, input: CreateSegmentInput) -> SegmentPayload:
        ctx = info.context
        ctx.require(Kind.OPERATOR)
        created = await create_segment(
            ctx.uow,
            ctx.services.clock,
            s.Segment(key=input.key, name=input.name, rule=rule_of(input.rule)),
        )
        return SegmentPayload(segment=Segment.of(created))

    @strawberry.mutation(
        description="Change a segment's name or rule (a built-in's thresholds too)."
    )
    @returns_payload(SegmentPayload)
    async def update_segment(self, info: Info, input: UpdateSegmentInput) -> SegmentPayload:
        ctx = info.context
        ctx.require(Kind.OPERATOR)
        change = PartialUpdate.of(
            {"name": input.name, "rule": rule_of(input.rule) if input.rule else None}
        )
        changed = await update_segment(ctx.uow, ctx.services.clock, input.key.strip(), change)
        return SegmentPayload(segment=Segment.of(changed))

    @strawberry.mutation(description="Delete a segment of the tenant's own.")
    @returns_payload(DeleteSegmentPayload)
    async def delete_segment(self, info: Info, input: DeleteSegmentInput) -> DeleteSegmentPayload:
        ctx = info.context
        ctx.require(Kind.OPERATOR)
        key = input.key.strip()
        await delete_segment(ctx.uow, key)
        return DeleteSegmentPayload(deleted_key=key)

    @strawberry.mutation(
        description="Give points or a reward once to every member of a segment (win-back)."
    )
    @returns_payload(GrantToSegmentPayload)
    async def grant_to_segment(
        self, info: Info, input: GrantToSegmentInput
    ) -> GrantToSegmentPayload:
        ctx = info.context
        ctx.require_writer()
        campaign = await grant_to_segment(
            ctx.uow,
            ctx.balance_cache,
            ctx.services.clock,
            GrantToSegment(
                segment=input.segment,
                campaign_key=input.campaign_key,
                points=input.points,
                reward_id=uuid_of(input.reward_id, "Reward", ("rewardId",))
                if input.reward_id
                else None,
                reason=input.reason,
            ),
        )
        return GrantToSegmentPayload(campaign=WinBackCampaign.of(campaign))
