"""`analytics(from:, to:, interval:)`: the KPIs of the credential's tenant, and the same
read for any tenant's unit of work (Tenant.analytics)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from api.context import Info
from api.schema.analytics.types import Analytics, Interval
from domain.analytics import period_of
from domain.ports import UnitOfWorkFactory
from domain.reads.analytics import program_analytics
from domain.records.analytics import Interval as Width

From = Annotated[
    datetime,
    strawberry.argument(name="from", description="The period's start; its UTC day counts."),
]
To = Annotated[
    datetime,
    strawberry.argument(description="The period's end, exclusive; at most two years after from."),
]
DefaultInterval = Annotated[
    Interval | None,  # type: ignore[valid-type]
    strawberry.argument(description="The series' bucket unless it names one (DAY if neither)."),
]


async def analytics_of(
    uow_factory: UnitOfWorkFactory, start: datetime, end: datetime, interval: Width | None
) -> Analytics:
    period = period_of(start, end)
    width = Width(interval) if interval else Width.DAY
    found = await program_analytics(uow_factory, period)
    return Analytics.of(found, uow_factory, period, width)


@strawberry.type
class AnalyticsQueries:
    @strawberry.field(
        description="The program's KPIs over a period, for a secret key or an operator."
    )
    async def analytics(
        self,
        info: Info,
        from_: From,
        to: To,
        interval: DefaultInterval = None,
    ) -> Analytics:
        ctx = info.context
        ctx.require_reader()
        return await analytics_of(ctx.uow, from_, to, interval)
