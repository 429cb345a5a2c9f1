"""createTier, updateTier, configureTiers (operators) and previewTierChange."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import strawberry

from api.auth.principal import Kind, Role
from api.context import Info
from api.schema.common.errors import UserError, returns_payload
from api.schema.common.ids import uuid_of
from api.schema.common.scalars import BigInt
from api.schema.tiers.tier_types import Tier, TierDowngrade, TierMetric, TierSettings, TierWindow
from domain import tier_definitions as defs
from domain import tiers as t
from domain.partial_updates import PartialUpdate
from domain.reads.program import program_tiers


@strawberry.input(description="What a tier gives at checkout; replaces the tier's benefits.")
class TierBenefitsInput:
    discount_percent: Decimal | None = strawberry.field(
        default=None, description="More than 0, at most 100, 2 decimals; leave out for none."
    )
    free_shipping: bool = False

    def domain(self) -> t.TierBenefits:
        return t.TierBenefits(self.discount_percent, self.free_shipping)


@strawberry.input
class TierBenefitsOfTierInput:
    tier_id: strawberry.ID
    benefits: TierBenefitsInput


@strawberry.input
class CreateTierInput:
    name: str
    threshold: BigInt = strawberry.field(description="Of the tier metric.")
    multiplier: Decimal = strawberry.field(
        default=Decimal(1), description="Earn multiplier, 0 to 100, up to 3 decimals."
    )
    perks: list[str] = strawberry.field(default_factory=list)
    benefits: TierBenefitsInput | None = strawberry.field(
        default=None, description="A discount percent and free shipping; none by default."
    )


@strawberry.input(description="Only the fields given change.")
class UpdateTierInput:
    id: strawberry.ID
    name: str | None = None
    threshold: BigInt | None = None
    multiplier: Decimal | None = None
    perks: list[str] | None = None
    benefits: TierBenefitsInput | None = strawberry.field(
        default=None, description="Replaces the tier's benefits."
    )
    archived: bool | None = strawberry.field(
        default=None, description="Archived tiers are held by no one; their members move."
    )


@strawberry.input(description="Only the fields given change.")
class ConfigureTiersInput:
    metric: TierMetric | None = None  # type: ignore[valid-type]
    window: TierWindow | None = None  # type: ignore[valid-type]
    rolling_months: int | None = strawberry.field(
        default=None, description="Required with a ROLLING_MONTHS window."
    )
    downgrade: TierDowngrade | None = None  # type: ignore[valid-type]
    grace_days: int | None = None
    benefits: list[TierBenefitsOfTierInput] | None = strawberry.field(
        default=None,
        description="The benefits of several tiers at once, each replaced whole, in the "
        "same change as the settings.",
    )


@strawberry.input(description="Exactly one change, as it would be given to its mutation.")
class PreviewTierChangeInput:
    create: CreateTierInput | None = None
    update: UpdateTierInput | None = None
    settings: ConfigureTiersInput | None = None


@strawberry.type
class TierPayload:
    tier: Tier | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ConfigureTiersPayload:
    settings: TierSettings | None = None
    tiers: list[Tier] | None = strawberry.field(
        default=None, description="The tiers after the change, lowest first."
    )
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(description="What saving a change would do to members now; nothing is saved.")
class TierChangePreview:
    members: int = strawberry.field(description="Members evaluated (all but erased ones).")
    up: int
    down: int
    unchanged: int
    kept_until_due: int = strawberry.field(
        description="Members who keep their tier for now but would no longer meet it: they "
        "move down when it comes due."
    )


def _draft(i: CreateTierInput) -> defs.TierDraft:
    return defs.TierDraft(
        name=i.name,
        threshold=int(i.threshold),
        multiplier=i.multiplier,
        perks=tuple(i.perks),
        benefits=i.benefits.domain() if i.benefits is not None else t.NO_BENEFITS,
    )


def _tier_change(i: UpdateTierInput) -> Callable[[t.Tier], t.Tier]:
    values = dict(
        name=i.name,
        threshold=int(i.threshold) if i.threshold is not None else None,
        multiplier=i.multiplier,
        perks=tuple(i.perks) if i.perks is not None else None,
        benefits=i.benefits.domain() if i.benefits is not None else None,
        archived=i.archived,
    )
    return PartialUpdate.of(values).applied_to


def _settings_change(i: ConfigureTiersInput) -> Callable[[t.TierSettings], t.TierSettings]:
    values = dict(
        metric=i.metric,
        window=i.window,
        rolling_months=i.rolling_months,
        downgrade=i.downgrade,
        grace_days=i.grace_days,
    )
    return PartialUpdate.of(values).applied_to


_MANAGERS = (Role.OWNER, Role.ADMIN)


@strawberry.type
class TierQueries:
    @strawberry.field(
        description="How many members a change of the tiers would move now; saves nothing."
    )
    async def preview_tier_change(
        self, info: Info, input: PreviewTierChangeInput
    ) -> TierChangePreview:
        ctx = info.context
        ctx.require(Kind.OPERATOR, roles=ctx.reader_roles)
        change = defs.ProposedChange(
            create=_draft(input.create) if input.create else None,
            update=(uuid_of(input.update.id, "Tier", ("update", "id")), _tier_change(input.update))
            if input.update
            else None,
            settings=_settings_change(input.settings) if input.settings else None,
        )
        preview = await defs.preview_tier_change(ctx.uow, ctx.services.clock, change)
        return TierChangePreview(
            members=preview.members,
            up=preview.up,
            down=preview.down,
            unchanged=preview.unchanged,
            kept_until_due=preview.kept_until_due,
        )


@strawberry.type
class TierMutations:
    @strawberry.mutation(description="Add a tier; the worker then re-evaluates members.")
    @returns_payload(TierPayload)
    async def create_tier(self, info: Info, input: CreateTierInput) -> TierPayload:
        ctx = info.context
        ctx.require(Kind.OPERATOR, roles=_MANAGERS)
        tier = await defs.create_tier(ctx.uow, ctx.services.clock, _draft(input))
        return TierPayload(tier=Tier.of(tier))

    @strawberry.mutation(description="Change a tier; the worker then re-evaluates members.")
    @returns_payload(TierPayload)
    async def update_tier(self, info: Info, input: UpdateTierInput) -> TierPayload:
        ctx = info.context
        ctx.require(Kind.OPERATOR, roles=_MANAGERS)
        tier = await defs.update_tier(
            ctx.uow, ctx.services.clock, uuid_of(input.id, "Tier"), _tier_change(input)
        )
        return TierPayload(tier=Tier.of(tier))

    @strawberry.mutation(description="Change how members qualify for tiers and lose them.")
    @returns_payload(ConfigureTiersPayload)
    async def configure_tiers(
        self, info: Info, input: ConfigureTiersInput
    ) -> ConfigureTiersPayload:
        ctx = info.context
        ctx.require(Kind.OPERATOR, roles=_MANAGERS)
        benefits = [
            (uuid_of(x.tier_id, "Tier", ("benefits", str(n), "tierId")), x.benefits.domain())
            for n, x in enumerate(input.benefits or ())
        ]
        settings = await defs.configure_tiers(
            ctx.uow, _settings_change(input), benefits, ctx.services.clock
        )
        tiers = await program_tiers(ctx.uow, include_archived=False)
        return ConfigureTiersPayload(
            settings=TierSettings.of(settings), tiers=[Tier.of(x) for x in tiers]
        )
