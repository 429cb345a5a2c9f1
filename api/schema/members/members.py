"""Member queries and the enrollMember / updateMember / eraseMember mutations."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import date, datetime
from operator import attrgetter
from uuid import UUID

import strawberry

from api.auth.principal import Kind
from api.context import Context, Info
from api.schema.common.errors import UserError, returns_payload
from api.schema.common.ids import uuid_of
from api.schema.common.pagination import Connection, decode_cursor, page_of, page_size
from api.schema.members.member_by_id import MemberById
from api.schema.members.member_type import Member, MemberStatus
from api.schema.members.selection import MEMBER_ID_ONLY_FIELDS, selects_only
from api.schema.points.ledger_types import LedgerEntry
from api.schema.referrals.referrals import Referral
from api.schema.rewards.reward_types import Redemption
from domain import enrolment
from domain import members as m
from domain.errors import DomainError, ErrorCode, NotFound
from domain.ledger import DEFAULT_WALLET, Balance
from domain.member_signup import sign_up
from domain.reads.members import member_by_id, member_by_reference, member_filter, members_page
from domain.records import members as mr
from domain.viewers import acting_member
from domain.welcome import Welcomed

_SEQ = attrgetter("seq")


def member_reference(
    member_id: strawberry.ID | None, external_id: str | None, field: str = "memberId"
) -> tuple[UUID | None, str | None]:
    """Exactly one of a global id (as a UUID) and an externalId (trimmed): how a use case
    that looks the member up in its own transaction is told which one."""
    if (member_id is None) == (external_id is None):
        raise DomainError(
            f"Give exactly one of {field} and externalId.", field=(field,), code=ErrorCode.REQUIRED
        )
    if member_id is not None:
        return uuid_of(member_id, "Member", (field,)), None
    assert external_id is not None
    return None, external_id.strip()


async def find_member(
    info: Info,
    member_id: strawberry.ID | None,
    external_id: str | None,
    field: str = "id",
) -> mr.Member | None:
    by_id, by_external_id = member_reference(member_id, external_id, field)
    ctx = info.context
    known = ctx.services.member_ids
    changes = known.changes
    found = await member_by_reference(ctx.uow, by_id, by_external_id)
    if found is not None:
        known.remember(ctx.tenant.id, found.id, found.external_id, changes=changes)
    return found


async def find_member_id(
    info: Info,
    member_id: strawberry.ID | None,
    external_id: str | None,
    field: str = "id",
) -> UUID | None:
    """The id of the member named, from what this process remembers when it can
    (persistence/member_ids.py), else as `read_member_name` reads it; None when there is
    none. An erased member is found by id, as `find_member` finds it."""
    remembered = remembered_member_id(info, member_id, external_id, field)
    if remembered is not None:
        return remembered
    found = await read_member_name(info, member_id, external_id, field)
    return found[0] if found is not None else None


async def read_member_name(
    info: Info,
    member_id: strawberry.ID | None,
    external_id: str | None,
    field: str = "id",
) -> tuple[UUID, Balance | None] | None:
    """The member named, not remembered by this process: by externalId from the name shared
    through Redis, with its balance in the default wallet when cached (one round trip,
    persistence/shared_names.py), else read in one statement (persistence/member_names.py),
    the externalId then shared. None when there is none."""
    by_id, by_external_id = member_reference(member_id, external_id, field)
    ctx = info.context
    known = ctx.services.member_ids
    changes = known.changes
    if by_external_id is not None:
        shared = await ctx.balance_cache.named(by_external_id, DEFAULT_WALLET)
        if shared is not None and not known.moved_lately(shared[0]):
            known.remember(ctx.tenant.id, shared[0], by_external_id, changes=changes)
            return shared
        found = await ctx.member_names.by_external_id(by_external_id)
    else:
        assert by_id is not None
        found = await ctx.member_names.by_id(by_id)
    if found is None:
        return None
    known.remember(ctx.tenant.id, found[0], found[1], changes=changes)
    if by_external_id is not None and changes == known.changes:
        await ctx.balance_cache.share_name(by_external_id, found[0])
    return found[0], None


def remembered_member_id(
    info: Info, member_id: strawberry.ID | None, external_id: str | None, field: str = "id"
) -> UUID | None:
    """The id of the member named, when this process remembers it; None when it must be
    read (a malformed reference is refused here, as `find_member` refuses it)."""
    by_id, by_external_id = member_reference(member_id, external_id, field)
    ctx = info.context
    known = ctx.services.member_ids
    if by_id is not None and known.exists(ctx.tenant.id, by_id):
        return by_id
    if by_external_id is not None:
        return known.member_for(ctx.tenant.id, by_external_id)
    return None


async def require_member(
    info: Info, member_id: strawberry.ID | None, external_id: str | None, field: str = "memberId"
) -> mr.Member:
    found = await find_member(info, member_id, external_id, field)
    if found is None:
        raise NotFound("No such member.", field=(field,))
    return found


async def require_member_id(
    info: Info, member_id: strawberry.ID | None, external_id: str | None, field: str = "memberId"
) -> UUID:
    """`require_member` for a caller that needs only the id (its use case reads the member
    again in its own transaction, and judges its status there)."""
    found = await find_member_id(info, member_id, external_id, field)
    if found is None:
        raise NotFound("No such member.", field=(field,))
    return found


async def acting_member_id(
    info: Info, member_id: strawberry.ID | None, external_id: str | None
) -> UUID:
    """A member token acts for its member only; keys and operators name the member."""
    viewer = info.context.viewer
    named = (
        await require_member_id(info, member_id, external_id)
        if not viewer.is_member or member_id is not None or external_id is not None
        else None
    )
    acting = acting_member(viewer, named)
    assert acting is not None  # a member token carries its member; others named one
    return acting


@strawberry.input
class MemberFilterInput:
    status: MemberStatus | None = None  # type: ignore[valid-type]
    email: str | None = None
    search: str | None = strawberry.field(
        default=None, description="Part of the name or email, or an exact externalId."
    )
    enrolled_after: datetime | None = None
    enrolled_before: datetime | None = None
    segment: str | None = strawberry.field(
        default=None, description="Members of the segment with this key."
    )


@strawberry.type
class MemberQueries:
    @strawberry.field(
        description="One member by global id or by the store's externalId.",
        graphql_type=Member | None,
    )
    def member(
        self, info: Info, id: strawberry.ID | None = None, external_id: str | None = None
    ) -> Member | MemberById | Awaitable[Member | MemberById | None] | None:
        # Not a coroutine when the member's id is remembered and enough (as for `me`);
        # graphql-core awaits what the other cases return. The annotation says both, so
        # the field's GraphQL type is `graphql_type`.
        info.context.require_reader()
        if selects_only(info, MEMBER_ID_ONLY_FIELDS):
            # As for `me`: the fields selected need the member's id, not its row.
            remembered = remembered_member_id(info, id, external_id)
            if remembered is not None:
                return MemberById(remembered)
            return _known_member(info, id, external_id)
        return _member_row(info, id, external_id)

    @strawberry.field(description="Members in enrolment order, a page at a time.")
    async def members(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: MemberFilterInput | None = None,
    ) -> Connection[Member] | None:
        ctx = info.context
        ctx.require_reader()
        size = page_size(first, ctx.services.settings.max_page_size)
        f = filter or MemberFilterInput()
        where = member_filter(
            status=f.status,
            email=f.email,
            search=f.search,
            enrolled_after=f.enrolled_after,
            enrolled_before=f.enrolled_before,
            segment=f.segment,
        )
        found = await members_page(ctx.uow, decode_cursor(after), size + 1, where)
        return page_of(found, size, after is not None, Member.of_page(found[:size]), _SEQ)

    @strawberry.field(
        description="The member a member token belongs to.", graphql_type=Member | None
    )
    def me(self, info: Info) -> Member | MemberById | Awaitable[Member | None] | None:
        # Not a coroutine when the token's id is enough (the common case of a status
        # read), so the executor has no awaitable to wait for; graphql-core awaits what
        # the other case returns.
        ctx = info.context
        ctx.require(Kind.MEMBER)
        assert ctx.principal.member_id is not None
        if selects_only(info, MEMBER_ID_ONLY_FIELDS):
            # A member token is issued only for a member that exists, and members are never
            # deleted (erasure keeps the row): the token's id is enough for the balance,
            # the ledger and the tiers, without a transaction to read the row.
            return MemberById(ctx.principal.member_id)
        return _my_row(ctx, ctx.principal.member_id)


async def _known_member(
    info: Info, id: strawberry.ID | None, external_id: str | None
) -> MemberById | None:
    """The member not remembered, read as `find_member_id` reads it: one round trip."""
    found = await read_member_name(info, id, external_id)
    return MemberById(*found) if found is not None else None


async def _member_row(
    info: Info, id: strawberry.ID | None, external_id: str | None
) -> Member | None:
    found = await find_member(info, id, external_id)
    return Member.of(found) if found else None


async def _my_row(ctx: Context, member_id: UUID) -> Member:
    found = await member_by_id(ctx.uow, member_id)
    if found is None:
        raise NotFound("Your member record is gone.")
    return Member.of(found)


@strawberry.input
class EnrollMemberInput:
    external_id: str | None = None
    email: str | None = None
    name: str | None = None
    birthday: date | None = None
    referral_code: str | None = strawberry.field(
        default=None, description="The code of the member who referred this shopper."
    )


@strawberry.type(description="What the program's welcome offer gave at enrolment.")
class WelcomeGift:
    points: int = strawberry.field(description="The signup action's points (0: none).")
    entry: LedgerEntry | None = strawberry.field(description="The signup action's entry.")
    redemption: Redemption | None = strawberry.field(
        description="The welcome reward, its code ready to show; null when none was given "
        "(none configured, or out of stock)."
    )

    @classmethod
    def of(cls, w: Welcomed | None) -> WelcomeGift | None:
        if w is None:
            return None
        return cls(
            points=w.points,
            entry=LedgerEntry.of(w.entry, internal=True) if w.entry else None,
            redemption=Redemption.of(w.redemption) if w.redemption else None,
        )


@strawberry.type
class EnrollMemberPayload:
    member: Member | None = None
    referral: Referral | None = strawberry.field(
        default=None, description="The referral a referralCode made (REJECTED by a fraud rule)."
    )
    welcome: WelcomeGift | None = strawberry.field(
        default=None, description="What the welcome offer gave; null when it gave nothing."
    )
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class UpdateMemberInput:
    id: strawberry.ID
    external_id: str | None = None
    email: str | None = None
    name: str | None = None
    birthday: date | None = None


@strawberry.type
class UpdateMemberPayload:
    member: Member | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class EraseMemberInput:
    id: strawberry.ID


@strawberry.type
class EraseMemberPayload:
    member: Member | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


def _draft(info: Info, i: EnrollMemberInput | UpdateMemberInput) -> mr.MemberDraft:
    return m.draft(
        external_id=i.external_id,
        email=i.email,
        name=i.name,
        birthday=i.birthday,
        today=info.context.services.clock.now().date(),
    )


@strawberry.type
class MemberMutations:
    @strawberry.mutation(description="Enrol a shopper. externalId and email are unique.")
    @returns_payload(EnrollMemberPayload)
    async def enroll_member(self, info: Info, input: EnrollMemberInput) -> EnrollMemberPayload:
        ctx = info.context
        ctx.require_writer()
        signed_up = await sign_up(
            ctx.uow, ctx.balance_cache, ctx.services.clock, _draft(info, input), input.referral_code
        )
        if signed_up.member.external_id is not None:
            await ctx.balance_cache.share_name(signed_up.member.external_id, signed_up.member.id)
        referral = signed_up.referral
        return EnrollMemberPayload(
            member=Member.of(signed_up.member),
            referral=Referral.of(referral) if referral is not None else None,
            welcome=WelcomeGift.of(signed_up.welcomed),
        )

    @strawberry.mutation(description="Change a member's details; omitted fields stay as they are.")
    @returns_payload(UpdateMemberPayload)
    async def update_member(self, info: Info, input: UpdateMemberInput) -> UpdateMemberPayload:
        ctx = info.context
        ctx.require_writer()
        member_id: UUID = uuid_of(input.id, "Member")
        renamed = input.external_id is not None
        if renamed:  # and again once committed (persistence/shared_names.py)
            await ctx.balance_cache.name_moved(member_id)
        member = await enrolment.update(ctx.uow, member_id, _draft(info, input), ctx.services.clock)
        # Committed: this process answers for the old externalId no more from now on; the
        # others as soon as the change's announcement reaches them.
        ctx.services.member_ids.forget(member.id)
        if renamed:
            await ctx.balance_cache.name_moved(member.id)
        return UpdateMemberPayload(member=Member.of(member))

    @strawberry.mutation(
        description="Forget a member's personal data for good (a data-erasure request). "
        "The ledger stays; the member earns and spends no more."
    )
    @returns_payload(EraseMemberPayload)
    async def erase_member(self, info: Info, input: EraseMemberInput) -> EraseMemberPayload:
        ctx = info.context
        ctx.require_writer()
        member_id = uuid_of(input.id, "Member")
        await ctx.balance_cache.name_moved(member_id)  # and again once committed
        member = await enrolment.erase(ctx.uow, member_id, ctx.services.clock)
        ctx.services.member_ids.forget(member.id)
        await ctx.balance_cache.name_moved(member.id)
        return EraseMemberPayload(member=Member.of(member))
