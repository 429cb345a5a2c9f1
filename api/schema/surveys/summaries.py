"""NpsSummary and CsatSummary, and the resolver helpers that read them for a period: what
`survey { results }` answers, and what `analytics { nps csat }` is made of."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from uuid import UUID

import strawberry

from api.context import Info
from api.schema.common.scalars import BigInt
from domain import surveys as s
from domain.reads.surveys import csat_summary, nps_summary


@strawberry.type(description="Net Promoter Score of a period: % promoters - % detractors.")
class NpsSummary:
    score: Decimal | None = strawberry.field(
        description="-100 to 100, to two places; null without responses."
    )
    promoters: BigInt = strawberry.field(description="Answers of 9 or 10.")
    passives: BigInt = strawberry.field(description="Answers of 7 or 8.")
    detractors: BigInt = strawberry.field(description="Answers of 0 to 6.")
    responses: BigInt

    @classmethod
    def of(cls, x: s.NpsSummary) -> NpsSummary:
        return cls(
            score=x.score,
            promoters=BigInt(x.promoters),
            passives=BigInt(x.passives),
            detractors=BigInt(x.detractors),
            responses=BigInt(x.responses),
        )


@strawberry.type(description="Customer satisfaction of a period: the share of 4 and 5 answers.")
class CsatSummary:
    score: Decimal | None = strawberry.field(
        description="0 to 100, to two places; null without responses."
    )
    responses: BigInt

    @classmethod
    def of(cls, x: s.CsatSummary) -> CsatSummary:
        return cls(score=x.score, responses=BigInt(x.responses))


async def nps_of(
    info: Info, since: datetime, until: datetime, survey_id: UUID | None = None
) -> NpsSummary:
    """NPS answers given in [since, until), of every NPS survey of the tenant or of one."""
    found = await nps_summary(info.context.uow, since, until, survey_id)
    return NpsSummary.of(found)


async def csat_of(
    info: Info, since: datetime, until: datetime, survey_id: UUID | None = None
) -> CsatSummary:
    """CSAT answers given in [since, until), of every CSAT survey of the tenant or of one."""
    found = await csat_summary(info.context.uow, since, until, survey_id)
    return CsatSummary.of(found)
