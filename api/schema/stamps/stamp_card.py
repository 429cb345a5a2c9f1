"""configureStampCard (operators): the program's stamp card, saved as a new program version."""

from __future__ import annotations

import strawberry

from api.auth.principal import Kind, Role
from api.context import Info
from api.schema.common.errors import UserError, returns_payload
from api.schema.common.ids import uuid_of
from api.schema.common.lot_expiry import LotExpiryInput
from api.schema.stamps.stamp_types import StampCard
from domain import stamp_card as s
from domain.partial_updates import PartialUpdate
from domain.stamp_card_update import configure_stamp_card


@strawberry.input
class StampRuleInput:
    id: str = strawberry.field(description="Your name for the rule: lowercase, digits, - and _.")
    stamps: int = strawberry.field(description="1 to 100 stamps (per unit on targeted lines).")
    skus: list[str] = strawberry.field(default_factory=list)
    categories: list[str] = strawberry.field(default_factory=list)
    min_order_value: int = 0
    action: str | None = strawberry.field(
        default=None, description="Stamp each recorded action of this key (a visit) instead."
    )
    active: bool = True


@strawberry.input(description="Only the fields given change; rules given replace the old ones.")
class ConfigureStampCardInput:
    enabled: bool | None = None
    card_size: int | None = None
    rules: list[StampRuleInput] | None = None
    reward_points: int | None = strawberry.field(
        default=None, description="Points a full card gives (forgets rewardId)."
    )
    reward_id: strawberry.ID | None = strawberry.field(
        default=None, description="A catalog reward a full card issues (forgets rewardPoints)."
    )
    expiry: LotExpiryInput | None = strawberry.field(
        default=None, description="Set to expire each stamp; see clearExpiry."
    )
    clear_expiry: bool = False
    resets: bool | None = None


@strawberry.type
class ConfigureStampCardPayload:
    stamp_card: StampCard | None = None
    program_version: int | None = strawberry.field(
        default=None, description="The program version the card was saved in."
    )
    errors: list[UserError] = strawberry.field(default_factory=list)


def _update(i: ConfigureStampCardInput) -> PartialUpdate:
    values: dict[str, object] = dict(
        enabled=i.enabled,
        card_size=i.card_size,
        reward_points=i.reward_points,
        reward_id=uuid_of(i.reward_id, "Reward", ("rewardId",)) if i.reward_id else None,
        expiry=i.expiry.to_domain() if i.expiry else None,
        resets=i.resets,
    )
    if i.rules is not None:
        values["rules"] = tuple(
            s.StampRule(
                id=r.id.strip(),
                stamps=r.stamps,
                skus=tuple(x.strip() for x in r.skus),
                categories=tuple(x.strip() for x in r.categories),
                min_order_minor=r.min_order_value,
                action=r.action.strip() if r.action is not None else None,
                active=r.active,
            )
            for r in i.rules
        )
    return PartialUpdate.of(values, ["expiry"] if i.clear_expiry else [])


@strawberry.type
class StampCardMutations:
    @strawberry.mutation(description="Set up or change the stamp card; a new program version.")
    @returns_payload(ConfigureStampCardPayload)
    async def configure_stamp_card(
        self, info: Info, input: ConfigureStampCardInput
    ) -> ConfigureStampCardPayload:
        ctx = info.context
        ctx.require(Kind.OPERATOR, roles=(Role.OWNER, Role.ADMIN))
        config = await configure_stamp_card(
            ctx.uow, ctx.services.clock, _update(input), ctx.principal.actor
        )
        return ConfigureStampCardPayload(
            stamp_card=StampCard.of(config.stamp_card), program_version=config.version
        )
