"""The rewards catalog: rewards/reward queries, createReward, updateReward, archiveReward,
importRewardCodes."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import strawberry

from api.auth.principal import Kind
from api.context import Info
from api.schema.common.enums import LimitPeriod
from api.schema.common.errors import UserError, returns_payload
from api.schema.common.ids import uuid_of
from api.schema.common.pagination import Connection, connection, decode_cursor, page_size
from api.schema.rewards.reward_types import CodeSource, ContentKind, Reward, RewardKind
from domain import catalog
from domain.code_import import import_reward_codes
from domain.partial_updates import PartialUpdate
from domain.reads.rewards import CatalogQuery, catalog_page, reward_for
from domain.reward_update import reward_update
from domain.rewards import CodeSource as DomainCodeSource
from domain.rewards import ContentKind as DomainContentKind
from domain.rewards import RewardKind as DomainRewardKind

# Fields of the reward inputs, mapped to the domain's names where they differ.
_RENAMED = {
    "value": "value_minor",
    "max_discount": "max_discount_minor",
    "value_per_step": "value_per_step_minor",
    "min_order_value": "min_order_minor",
}


@strawberry.input
class RewardFieldsInput:
    description: str | None = None
    image_url: str | None = None
    value: int | None = strawberry.field(default=None, description="Minor units.")
    percentage: Decimal | None = None
    max_discount: int | None = None
    sku: str | None = None
    points_cost: int | None = strawberry.field(
        default=None, description="Fixed cost. Leave out for a variable 'points for money' cost."
    )
    min_points: int | None = None
    max_points: int | None = None
    step_points: int | None = None
    value_per_step: int | None = None
    min_order_value: int | None = None
    valid_days: int | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    stock: int | None = None
    per_member_limit: int | None = None
    per_member_period: LimitPeriod | None = None  # type: ignore[valid-type]
    eligible_tiers: list[str] | None = None
    eligible_segments: list[str] | None = None
    code_prefix: str | None = None
    code_length: int | None = None
    code_alphabet: str | None = strawberry.field(
        default=None,
        description="Characters of generated codes: a choice from ACDEFGHJKMNPQRTUVWXY34679.",
    )
    refund_on_expiry: bool | None = None
    content_kind: ContentKind | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="A CONTENT reward: what it delivers."
    )
    content_url: str | None = strawberry.field(
        default=None,
        description="A CONTENT reward: the link, download or webinar URL its redemptions show "
        "their member.",
    )
    content_note: str | None = strawberry.field(
        default=None, description="A CONTENT reward: instructions shown with the link."
    )
    early_access_tier: str | None = strawberry.field(
        default=None,
        description="Early access: only this tier and those above see and redeem the reward "
        "until earlyAccessUntil.",
    )
    early_access_until: datetime | None = None


@strawberry.input
class CreateRewardInput(RewardFieldsInput):
    name: str
    kind: RewardKind  # type: ignore[valid-type]
    code_source: CodeSource = DomainCodeSource.GENERATED  # type: ignore[valid-type]


@strawberry.input
class UpdateRewardInput(RewardFieldsInput):
    id: strawberry.ID
    name: str | None = None
    archived: bool | None = strawberry.field(
        default=None, description="false brings an archived reward back to the catalog."
    )
    clear: list[str] = strawberry.field(
        default_factory=list,
        description="Fields to set back to null, e.g. ['stock', 'endsAt'] (camelCase).",
    )


def _fields(i: RewardFieldsInput) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in RewardFieldsInput.__annotations__:
        value = getattr(i, name)
        if value is None:
            continue
        if name in ("eligible_tiers", "eligible_segments"):
            value = tuple(v.strip() for v in value)
        if name in ("code_prefix", "code_alphabet"):
            value = value.strip().upper()
        if name in ("content_url", "early_access_tier"):
            value = value.strip()
        if name == "content_kind":
            value = DomainContentKind(value)
        out[_RENAMED.get(name, name)] = value
    return out


def _snake(name: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in name)


def _reward_field(name: str) -> str | None:
    """The reward's field a camelCase input name stands for; None when it is no input's."""
    snake = _snake(name)
    if snake not in RewardFieldsInput.__annotations__:
        return None
    return _RENAMED.get(snake, snake)


@strawberry.input
class RewardFilterInput:
    include_archived: bool = False
    available_now: bool = strawberry.field(
        default=False, description="Only rewards live now and in stock."
    )
    search: str | None = strawberry.field(default=None, description="Part of the name.")
    kinds: list[RewardKind] | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="Only rewards of these kinds."
    )


@strawberry.type
class RewardPayload:
    reward: Reward | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class ArchiveRewardInput:
    id: strawberry.ID


@strawberry.input
class ImportRewardCodesInput:
    reward_id: strawberry.ID
    codes: list[str]


@strawberry.type
class ImportRewardCodesPayload:
    imported: int | None = None
    duplicates: int | None = strawberry.field(default=None, description="Codes already known.")
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class RewardQueries:
    @strawberry.field(description="The catalog. Keys other than secret ones see live rewards only.")
    async def rewards(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: RewardFilterInput | None = None,
    ) -> Connection[Reward] | None:
        ctx = info.context
        size = page_size(first, ctx.services.settings.max_page_size)
        f = filter or RewardFilterInput()
        query = CatalogQuery(
            include_archived=f.include_archived,
            available_now=f.available_now,
            search=f.search,
            kinds=tuple(DomainRewardKind(k) for k in f.kinds or ()),
        )
        found = await catalog_page(
            ctx.uow, ctx.viewer, query, ctx.services.clock.now(), decode_cursor(after), size + 1
        )
        return connection(
            [Reward.of(x) for x in found], [x.seq for x in found], size, after is not None
        )

    @strawberry.field
    async def reward(self, info: Info, id: strawberry.ID) -> Reward | None:
        ctx = info.context
        found = await reward_for(
            ctx.uow, ctx.viewer, uuid_of(id, "Reward"), ctx.services.clock.now()
        )
        return Reward.of(found) if found else None


@strawberry.type
class RewardMutations:
    @strawberry.mutation(description="Add a reward to the catalog.")
    @returns_payload(RewardPayload)
    async def create_reward(self, info: Info, input: CreateRewardInput) -> RewardPayload:
        ctx = info.context
        ctx.require_writer()
        fields = _fields(input)
        fields.update(
            name=input.name.strip(),
            kind=DomainRewardKind(input.kind),
            code_source=input.code_source,
        )
        reward = await catalog.create_reward(
            ctx.uow, catalog.draft_reward(fields, ctx.services.clock)
        )
        return RewardPayload(reward=Reward.of(reward))

    @strawberry.mutation(description="Change a reward; fields left out stay as they are.")
    @returns_payload(RewardPayload)
    async def update_reward(self, info: Info, input: UpdateRewardInput) -> RewardPayload:
        ctx = info.context
        ctx.require_writer()
        fields = _fields(input)
        if input.name is not None:
            fields["name"] = input.name.strip()
        if input.archived is not None:
            fields["archived"] = input.archived
        update = reward_update(fields, {name: _reward_field(name) for name in input.clear})
        reward = await catalog.change_reward(
            ctx.uow, ctx.services.clock, uuid_of(input.id, "Reward"), update.applied_to
        )
        return RewardPayload(reward=Reward.of(reward))

    @strawberry.mutation(description="Hide a reward from the catalog; issued codes stay valid.")
    @returns_payload(RewardPayload)
    async def archive_reward(self, info: Info, input: ArchiveRewardInput) -> RewardPayload:
        ctx = info.context
        ctx.require_writer()
        reward = await catalog.change_reward(
            ctx.uow,
            ctx.services.clock,
            uuid_of(input.id, "Reward"),
            PartialUpdate.of({"archived": True}).applied_to,
        )
        return RewardPayload(reward=Reward.of(reward))

    @strawberry.mutation(description="Upload codes for a reward whose codes come from a pool.")
    @returns_payload(ImportRewardCodesPayload)
    async def import_reward_codes(
        self, info: Info, input: ImportRewardCodesInput
    ) -> ImportRewardCodesPayload:
        ctx = info.context
        ctx.require(Kind.SECRET_KEY, Kind.OPERATOR)
        found = await import_reward_codes(
            ctx.uow, uuid_of(input.reward_id, "Reward", ("rewardId",)), input.codes
        )
        return ImportRewardCodesPayload(imported=found.imported, duplicates=found.duplicates)
