"""configureAnalytics: gross margin (for CLV) and monthly program cost (for ROI)."""

from __future__ import annotations

from decimal import Decimal

import strawberry

from api.context import Info
from api.schema.common.errors import UserError, returns_payload
from api.schema.common.scalars import BigInt
from domain.analytics_configuration import configure_analytics
from domain.reads.analytics import analytics_settings
from domain.records.analytics import AnalyticsSettings as Settings


@strawberry.type(description="What the tenant enters for the KPIs it cannot measure.")
class AnalyticsSettings:
    gross_margin: Decimal | None = strawberry.field(
        description="Share of revenue kept as gross profit, 0 to 1; customerLifetimeValue is"
        " null until it is set."
    )
    monthly_program_cost: BigInt = strawberry.field(
        description="What running the program costs per month beyond the points, minor units."
    )

    @classmethod
    def of(cls, s: Settings) -> AnalyticsSettings:
        return cls(gross_margin=s.gross_margin, monthly_program_cost=BigInt(s.monthly_cost_minor))


@strawberry.input
class ConfigureAnalyticsInput:
    gross_margin: Decimal | None = strawberry.field(
        default=None, description="0 to 1, at most four decimals; left out: unchanged."
    )
    monthly_program_cost: BigInt | None = strawberry.field(
        default=None, description="Minor units per month; left out: unchanged."
    )


@strawberry.type
class ConfigureAnalyticsPayload:
    settings: AnalyticsSettings | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class AnalyticsSettingsQueries:
    @strawberry.field(description="The tenant's analytics settings (secret keys, operators).")
    async def analytics_settings(self, info: Info) -> AnalyticsSettings:
        ctx = info.context
        ctx.require_reader()
        return AnalyticsSettings.of(await analytics_settings(ctx.uow))


@strawberry.type
class AnalyticsMutations:
    @strawberry.mutation(description="Set the gross margin and monthly cost KPIs are taken at.")
    @returns_payload(ConfigureAnalyticsPayload)
    async def configure_analytics(
        self, info: Info, input: ConfigureAnalyticsInput
    ) -> ConfigureAnalyticsPayload:
        ctx = info.context
        ctx.require_writer()
        saved = await configure_analytics(
            ctx.uow,
            gross_margin=input.gross_margin,
            monthly_cost_minor=input.monthly_program_cost,
        )
        return ConfigureAnalyticsPayload(settings=AnalyticsSettings.of(saved))
