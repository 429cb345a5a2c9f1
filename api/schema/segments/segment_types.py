"""The Segment and WinBackCampaign types, and the rule of a segment as input and output."""

from __future__ import annotations

from datetime import datetime
from operator import attrgetter
from uuid import UUID

import strawberry

from api.context import Info
from api.schema.common.ids import to_global_id
from api.schema.common.pagination import Connection, decode_cursor, page_of, page_size
from api.schema.common.scalars import BigInt
from api.schema.members.member_type import Member
from domain import segments as s
from domain.errors import DomainError
from domain.reads import segments as reads
from domain.records import segments as rs

SegmentField = strawberry.enum(s.Field, name="SegmentField", description="A fact about a member.")
Comparison = strawberry.enum(s.Op, name="Comparison")
CampaignStatus = strawberry.enum(rs.CampaignStatus, name="CampaignStatus")

_SEQ = attrgetter("seq")


@strawberry.input(description="Compares one fact of a member with `value` (or `text`).")
class SegmentConditionInput:
    field: SegmentField  # type: ignore[valid-type]
    op: Comparison  # type: ignore[valid-type]
    value: int = 0
    text: str | None = strawberry.field(default=None, description="A tier name, for TIER.")
    window_days: int | None = strawberry.field(
        default=None, description="For ORDERS: orders in the last windowDays (else ever)."
    )


@strawberry.input(
    description="Time since the last order past `factor` times the member's median interval "
    "between orders, and at least `minDays`."
)
class OverdueInput:
    factor: float = 2.0
    min_days: int = 30
    min_orders: int = 2


@strawberry.input(description="Exactly one of all, any, condition and overdue.")
class SegmentRuleInput:
    all: list[SegmentRuleInput] | None = None
    any: list[SegmentRuleInput] | None = None
    condition: SegmentConditionInput | None = None
    overdue: OverdueInput | None = None


def rule_of(i: SegmentRuleInput) -> s.Rule:
    given = [x for x in (i.all, i.any, i.condition, i.overdue) if x is not None]
    if len(given) != 1:
        raise DomainError(
            "A rule is exactly one of all, any, condition and overdue.", field=("rule",)
        )
    if i.all is not None:
        return s.All(tuple(rule_of(x) for x in i.all))
    if i.any is not None:
        return s.Any_(tuple(rule_of(x) for x in i.any))
    if i.condition is not None:
        c = i.condition
        return s.Condition(s.Field(c.field), s.Op(c.op), c.value, c.text, c.window_days)
    assert i.overdue is not None
    o = i.overdue
    return s.Overdue(o.factor, o.min_days, o.min_orders)


@strawberry.type
class SegmentCondition:
    field: SegmentField  # type: ignore[valid-type]
    op: Comparison  # type: ignore[valid-type]
    value: int
    text: str | None
    window_days: int | None


@strawberry.type
class Overdue:
    factor: float
    min_days: int
    min_orders: int


@strawberry.type(description="One node of a rule: all or any of its rules, or a leaf.")
class SegmentRule:
    all: list[SegmentRule] | None = None
    any: list[SegmentRule] | None = None
    condition: SegmentCondition | None = None
    overdue: Overdue | None = None

    @classmethod
    def of(cls, rule: s.Rule) -> SegmentRule:
        if isinstance(rule, s.All):
            return cls(all=[cls.of(r) for r in rule.rules])
        if isinstance(rule, s.Any_):
            return cls(any=[cls.of(r) for r in rule.rules])
        if isinstance(rule, s.Overdue):
            return cls(
                overdue=Overdue(
                    factor=rule.factor, min_days=rule.min_days, min_orders=rule.min_orders
                )
            )
        return cls(
            condition=SegmentCondition(
                field=rule.field,
                op=rule.op,
                value=rule.value,
                text=rule.text,
                window_days=rule.window_days,
            )
        )


@strawberry.type(description="A group of members by a rule, kept current.")
class Segment:
    id: strawberry.ID
    key: str
    name: str
    builtin: bool
    description: str
    rule: SegmentRule

    @classmethod
    def of(cls, x: s.Segment) -> Segment:
        return cls(
            id=strawberry.ID(to_global_id("Segment", x.key)),
            key=x.key,
            name=x.name,
            builtin=x.builtin,
            description=x.description,
            rule=SegmentRule.of(x.rule),
        )

    @strawberry.field(description="The segment's members in enrolment order.")
    async def members(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Member]:
        ctx = info.context
        size = page_size(first, ctx.services.settings.max_page_size)
        found = await reads.segment_members(ctx.uow, self.key, decode_cursor(after), size + 1)
        return page_of(found, size, after is not None, Member.of_page(found[:size]), _SEQ)

    @strawberry.field(description="How many members the segment holds.")
    async def count(self, info: Info) -> BigInt:
        return BigInt(await reads.segment_count(info.context.uow, self.key))


@strawberry.type(description="Of a campaign's members, those who ordered again soon after.")
class WinBack:
    members: int = strawberry.field(description="Members granted.")
    reordered: int = strawberry.field(description="Of them, those with an order within days.")
    rate: float = strawberry.field(description="reordered / members (0 with no members).")


@strawberry.type(description="Points or a reward given once to each member of a segment.")
class WinBackCampaign:
    id: strawberry.ID
    key: str
    segment: str
    points: int | None
    reward_id: strawberry.ID | None
    reason: str
    status: CampaignStatus  # type: ignore[valid-type]
    total: int = strawberry.field(description="Members of the segment when it started.")
    granted: int
    skipped: int = strawberry.field(description="Members the reward could not be given to.")
    created_at: datetime
    finished_at: datetime | None
    campaign_id: strawberry.Private[UUID]

    @classmethod
    def of(cls, c: rs.Campaign) -> WinBackCampaign:
        return cls(
            id=strawberry.ID(to_global_id("WinBackCampaign", c.id)),
            key=c.key,
            segment=c.segment_key,
            points=c.points,
            reward_id=strawberry.ID(to_global_id("Reward", c.reward_id)) if c.reward_id else None,
            reason=c.reason,
            status=c.status,
            total=c.total,
            granted=c.granted,
            skipped=c.skipped,
            created_at=c.created_at,
            finished_at=c.finished_at,
            campaign_id=c.id,
        )

    @strawberry.field(description="How many of the members granted ordered within `days`.")
    async def win_back(self, info: Info, days: int = 30) -> WinBack:
        found = await reads.win_back(info.context.uow, self.campaign_id, days)
        return WinBack(members=found.members, reordered=found.reordered, rate=found.rate)
