"""Who sees what: referrals, rewards, member records, ledger entries and redemptions by
kind of caller, read through in-memory repositories."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any
from uuid import UUID

import pytest

from domain.catalog import draft_reward
from domain.clock import FixedClock
from domain.errors import DomainError
from domain.ports import RewardFilter
from domain.reads import members as member_reads
from domain.reads import referrals as referral_reads
from domain.reads.rewards import CatalogQuery, catalog_filter, catalog_page, reward_for
from domain.records.members import Member, MemberStatus
from domain.records.referrals import Referral, ReferralStatus
from domain.rewards import Reward, RewardKind
from domain.viewers import (
    Audience,
    Viewer,
    acting_member,
    may_see_records_of,
    may_see_referral,
    short_name,
)

NOW = datetime(2026, 6, 1, tzinfo=UTC)
ADA, BOB, EVE = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
STAFF = Viewer(Audience.STAFF)
PUBLIC = Viewer(Audience.PUBLIC)


def as_member(member_id: UUID) -> Viewer:
    return Viewer(Audience.MEMBER, member_id)


def member(member_id: UUID, name: str | None) -> Member:
    return Member(
        id=member_id,
        seq=1,
        external_id=None,
        email=None,
        name=name,
        birthday=None,
        status=MemberStatus.ACTIVE,
        referral_code="ABCDEFGH",
        enrolled_at=NOW,
    )


def referral(referrer: UUID, referee: UUID) -> Referral:
    return Referral(
        id=uuid.uuid4(),
        seq=1,
        referrer_id=referrer,
        referee_id=referee,
        code="ABCDEFGH",
        status=ReferralStatus.PENDING,
        reject_reason=None,
        qualifying_order_id=None,
        referrer_points=0,
        referee_points=0,
        referrer_entry_id=None,
        referee_entry_id=None,
        referrer_redemption_id=None,
        referee_redemption_id=None,
        created_at=NOW,
        rewarded_at=None,
        reversed_at=None,
    )


def reward(**fields: object) -> Reward:
    return draft_reward(
        {"name": "R", "points_cost": 100, "kind": RewardKind.FIXED_AMOUNT, "value_minor": 500}
        | fields,
        FixedClock(NOW - timedelta(days=1)),
    )


@dataclass
class InMemoryTenant:
    """The repositories these reads use, over plain lists; a unit of work of its own."""

    members: Any = None
    referrals: Any = None
    rewards: Any = None
    people: dict[UUID, Member] = field(default_factory=dict)
    made: list[Referral] = field(default_factory=list)
    catalog: list[Reward] = field(default_factory=list)
    asked: list[RewardFilter] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.members = self.referrals = self.rewards = self

    def __call__(self) -> InMemoryTenant:
        return self

    async def __aenter__(self) -> InMemoryTenant:
        return self

    async def __aexit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        return None

    async def get(self, some_id: UUID) -> Any:
        found = [x for x in (*self.made, *self.catalog) if x.id == some_id]
        return found[0] if found else self.people.get(some_id)

    async def get_many(self, ids: list[UUID]) -> list[Member]:
        return [self.people[i] for i in ids if i in self.people]

    async def for_referee(self, referee_id: UUID) -> Referral | None:
        return next((x for x in self.made if x.referee_id == referee_id), None)

    async def for_referrer(self, referrer_id: UUID, after: int | None, limit: int) -> list:
        return [x for x in self.made if x.referrer_id == referrer_id][:limit]

    async def page(self, after: int | None, limit: int, where: RewardFilter) -> list[Reward]:
        self.asked.append(where)
        return self.catalog[:limit]


# --- referrals ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("viewer", "sees"),
    [
        (STAFF, True),
        (PUBLIC, True),
        (as_member(ADA), True),  # the referrer
        (as_member(BOB), True),  # the friend
        (as_member(EVE), False),  # someone else's referral
    ],
)
async def test_a_member_token_sees_only_referrals_its_member_is_on(viewer, sees):
    # given Ada's referral of Bob
    tenant = InMemoryTenant(made=[referral(ADA, BOB)])

    # when the viewer asks for it by id
    found = await referral_reads.referral_for(tenant, viewer, tenant.made[0].id)

    # then only those on it (and non-member callers) get it
    assert (found is not None) is sees
    assert may_see_referral(viewer, tenant.made[0]) is sees


async def test_a_member_token_is_not_told_who_referred_its_member():
    # given Bob, referred by Ada
    tenant = InMemoryTenant(
        people={ADA: member(ADA, "Ada Lovelace"), BOB: member(BOB, "Bob")},
        made=[referral(ADA, BOB)],
    )

    # when Bob's token and a secret key ask who referred Bob
    by_token = await referral_reads.referrer_of(tenant, as_member(BOB), BOB)
    by_key = await referral_reads.referrer_of(tenant, STAFF, BOB)

    # then only the key sees Ada's record
    assert by_token is None
    assert by_key is not None and by_key.id == ADA


async def test_a_page_of_referrals_carries_the_friends_it_brought():
    # given Ada referred Bob, and a friend whose record is gone
    gone = uuid.uuid4()
    tenant = InMemoryTenant(
        people={BOB: member(BOB, "Bob")}, made=[referral(ADA, BOB), referral(ADA, gone)]
    )

    # when Ada's referrals are read
    page = await referral_reads.referrals_made(tenant, ADA, None, 10)

    # then both referrals come, with the friend still on record
    assert [x.referee_id for x in page.referrals] == [BOB, gone]
    assert set(page.referees) == {BOB}


@pytest.mark.parametrize(
    ("name", "shown"),
    [("Ada Lovelace", "Ada L."), ("Ada King Lovelace", "Ada L."), ("Ada", "Ada"), (None, None)],
)
def test_a_friend_is_shown_by_first_name_and_initial(name, shown):
    assert short_name(name) == shown


def test_only_a_member_token_is_kept_from_other_members_records():
    # given every kind of caller
    # when asked whether they see member records and staff notes
    # then all but a member token do
    assert STAFF.sees_member_records and PUBLIC.sees_member_records
    assert not as_member(ADA).sees_member_records
    assert STAFF.sees_internal_entries and not as_member(ADA).sees_internal_entries


# --- acting for a member ------------------------------------------------------------------


def test_a_member_token_acts_for_its_own_member_whether_named_or_not():
    # given Ada's token
    viewer = as_member(ADA)

    # when it names nobody, or Ada
    # then it acts for Ada
    assert acting_member(viewer, None) == ADA
    assert acting_member(viewer, ADA) == ADA


def test_a_member_token_naming_another_member_is_refused():
    # given Ada's token
    viewer = as_member(ADA)

    # when it names Bob
    with pytest.raises(DomainError) as refused:
        acting_member(viewer, BOB)

    # then it is refused on memberId
    assert refused.value.field == ("memberId",)


def test_keys_and_operators_act_for_the_member_they_name():
    assert acting_member(STAFF, BOB) == BOB
    assert acting_member(STAFF, None) is None


# --- rewards ------------------------------------------------------------------------------


@pytest.mark.parametrize("viewer", [PUBLIC, as_member(ADA)])
def test_callers_other_than_staff_see_only_live_unarchived_rewards(viewer):
    # given a query asking for archived rewards and no live filter
    query = CatalogQuery(include_archived=True, available_now=False)

    # when it is narrowed for the viewer
    where = catalog_filter(viewer, query, NOW)

    # then archived rewards are dropped and only live ones listed
    assert where.include_archived is False
    assert where.live_at == NOW


def test_staff_read_the_catalog_as_they_asked():
    # given staff asking for archived rewards, live or not, with a padded search
    query = CatalogQuery(include_archived=True, search="  gift " + "x" * 300)

    # when it is narrowed for them
    where = catalog_filter(STAFF, query, NOW)

    # then nothing is narrowed, and the search is trimmed and bounded
    assert where.include_archived is True
    assert where.live_at is None
    assert where.search is not None and where.search.startswith("gift x")
    assert len(where.search) == 200


def test_staff_asking_for_available_rewards_get_the_live_ones():
    where = catalog_filter(STAFF, CatalogQuery(available_now=True), NOW)
    assert where.live_at == NOW


async def test_a_page_of_the_catalog_is_read_with_the_viewers_filter():
    # given a catalog
    tenant = InMemoryTenant(catalog=[reward()])

    # when a publishable key reads a page
    found = await catalog_page(tenant, PUBLIC, CatalogQuery(include_archived=True), NOW, None, 5)

    # then the repository was asked for live, unarchived rewards
    assert found == tenant.catalog
    assert tenant.asked == [RewardFilter(include_archived=False, live_at=NOW)]


@pytest.mark.parametrize(
    ("fields", "public_sees"),
    [
        ({}, True),
        ({"archived": True}, False),
        ({"starts_at": NOW + timedelta(days=1)}, False),
        ({"ends_at": NOW - timedelta(hours=1)}, False),
    ],
)
async def test_one_reward_not_live_is_hidden_from_all_but_staff(fields, public_sees):
    # given a reward, live or not
    tenant = InMemoryTenant(catalog=[reward(**fields)])
    reward_id = tenant.catalog[0].id

    # when each kind of caller asks for it
    by_public = await reward_for(tenant, PUBLIC, reward_id, NOW)
    by_member = await reward_for(tenant, as_member(ADA), reward_id, NOW)
    by_staff = await reward_for(tenant, STAFF, reward_id, NOW)

    # then staff always see it, others only when it is live
    assert by_staff is not None
    assert (by_public is not None) is public_sees
    assert (by_member is not None) is public_sees


# --- a member's records -------------------------------------------------------------------


@dataclass(frozen=True)
class Owned:
    member_id: UUID


@dataclass
class InMemoryLedger:
    """Ledger entries and redemptions by id; the expiring points asked for are recorded."""

    owners: dict[object, UUID]
    asked: list[tuple[datetime, datetime]] = field(default_factory=list)

    @property
    def ledger(self) -> InMemoryLedger:
        return self

    @property
    def redemptions(self) -> InMemoryLedger:
        return self

    def __call__(self) -> InMemoryLedger:
        return self

    async def __aenter__(self) -> InMemoryLedger:
        return self

    async def __aexit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        return None

    async def entry(self, entry_id: int) -> Any:
        return Owned(self.owners[entry_id]) if entry_id in self.owners else None

    async def get(self, redemption_id: UUID) -> Any:
        return Owned(self.owners[redemption_id]) if redemption_id in self.owners else None

    async def expiring(
        self, member_id: UUID, wallet: str, now: datetime, until: datetime
    ) -> list[tuple[datetime, int]]:
        self.asked.append((now, until))
        return [(until, 5)]


@pytest.mark.parametrize(
    ("viewer", "sees"), [(STAFF, True), (as_member(ADA), True), (as_member(BOB), False)]
)
async def test_a_member_token_sees_only_its_own_entries_and_redemptions(viewer, sees):
    # given an entry and a redemption of Ada's
    redemption_id = uuid.uuid4()
    tenant = InMemoryLedger({7: ADA, redemption_id: ADA})

    # when the viewer asks for them by id
    entry = await member_reads.ledger_entry_for(tenant, viewer, 7)
    redemption = await member_reads.redemption_for(tenant, viewer, redemption_id)

    # then only staff and Ada's own token see them; for others they do not exist
    assert (entry is not None) is sees
    assert (redemption is not None) is sees
    assert may_see_records_of(viewer, ADA) is sees


async def test_expiring_points_are_read_for_the_days_asked():
    # given a ledger
    tenant = InMemoryLedger({})

    # when the points expiring within 30 days are read
    found = await member_reads.expiring_points(tenant, ADA, "points", NOW, 30)

    # then the ledger is asked for exactly those days
    assert tenant.asked == [(NOW, NOW + timedelta(days=30))]
    assert found == [(NOW + timedelta(days=30), 5)]


@pytest.mark.parametrize("days", [-1, member_reads.MAX_EXPIRING_DAYS + 1])
async def test_expiring_points_beyond_the_bound_are_refused_before_any_read(days):
    # given a ledger
    tenant = InMemoryLedger({})

    # when a range out of bounds is asked for
    with pytest.raises(DomainError) as refused:
        await member_reads.expiring_points(tenant, ADA, "points", NOW, days)

    # then it is refused on withinDays, and the ledger is not read
    assert refused.value.field == ("withinDays",)
    assert tenant.asked == []
