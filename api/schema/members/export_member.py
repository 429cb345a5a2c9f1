"""exportMember: everything the tenant holds about one member, as JSON (a data-subject access
request, beside eraseMember). The parts are listed in docs/tenant-lifecycle.md."""

from __future__ import annotations

import strawberry
from strawberry.scalars import JSON

from api.context import Info
from api.schema.common.errors import UserError, returns_payload
from api.schema.common.ids import uuid_of
from domain.errors import NotFound
from persistence.member_export import export_member


@strawberry.input
class ExportMemberInput:
    member: strawberry.ID = strawberry.field(description="The member's global id.")


@strawberry.type
class ExportMemberPayload:
    export: JSON | None = strawberry.field(
        default=None,
        description="member, balances, ledgerEntries, lots, orders, refunds, actions, "
        "redemptions, referrals, surveyResponses, segments, tier, tierHistory: the rows as "
        "stored, column names as in the database.",
    )
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ExportMemberMutations:
    @strawberry.mutation(
        description="Everything held about one member, as JSON (a data access request). "
        "Secret keys, owners and admins; recorded in the audit log."
    )
    @returns_payload(ExportMemberPayload)
    async def export_member(self, info: Info, input: ExportMemberInput) -> ExportMemberPayload:
        ctx = info.context
        ctx.require_writer()
        member_id = uuid_of(input.member, "Member", ("member",))
        exported = await export_member(
            ctx.services.clusters.of(ctx.tenant), ctx.tenant.schema_name, member_id
        )
        if exported is None:
            raise NotFound("No such member.", field=("member",))
        return ExportMemberPayload(export=JSON(exported))
