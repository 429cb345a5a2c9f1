"""Who sees what: referrals, rewards, member records, ledger entries and redemptions by
kind of caller; on the in-memory fakes of tests/unit/fakes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from domain.errors import DomainError
from domain.member_signup import sign_up
from domain.program import ExpiryUnit, LotExpiry
from domain.reads import members as member_reads
from domain.reads import referrals as referral_reads
from domain.reads.rewards import CatalogQuery, catalog_filter, catalog_page, reward_for
from domain.records.members import MemberDraft
from domain.viewers import (
    Audience,
    Viewer,
    acting_member,
    may_see_records_of,
    may_see_referral,
    short_name,
)

NOW = datetime(2026, 6, 1, tzinfo=UTC)
ADA, BOB = uuid.uuid4(), uuid.uuid4()
STAFF = Viewer(Audience.STAFF)
PUBLIC = Viewer(Audience.PUBLIC)


def as_member(member_id: UUID) -> Viewer:
    return Viewer(Audience.MEMBER, member_id)


async def referred(world):
    """Ada, and the friend she referred with her code."""
    ada = await world.member(name="Ada Lovelace", email="ada@example.com")
    draft = MemberDraft(name="Bob", email="bob@example.com")
    friend = await sign_up(world.uow, world.cache, world.clock, draft, ada.referral_code)
    assert friend.referral is not None
    return ada, friend.member, friend.referral


# --- referrals ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("staff", True),
        ("public", True),
        ("referrer", True),
        ("friend", True),
        ("someone else", False),
    ],
)
async def test_a_member_token_sees_only_referrals_its_member_is_on(world, who, sees):
    # given Ada's referral of Bob, and Eve, on no referral of theirs
    ada, bob, made = await referred(world)
    eve = await world.member()
    viewer = {
        "staff": STAFF,
        "public": PUBLIC,
        "referrer": as_member(ada.id),
        "friend": as_member(bob.id),
        "someone else": as_member(eve.id),
    }[who]

    # when the viewer asks for it by id
    found = await referral_reads.referral_for(world.uow, viewer, made.id)

    # then only those on it (and non-member callers) get it
    assert (found is not None) is sees
    assert may_see_referral(viewer, made) is sees


async def test_a_member_token_is_not_told_who_referred_its_member(world):
    # given Bob, referred by Ada
    ada, bob, _ = await referred(world)

    # when Bob's token and a secret key ask who referred Bob
    by_token = await referral_reads.referrer_of(world.uow, as_member(bob.id), bob.id)
    by_key = await referral_reads.referrer_of(world.uow, STAFF, bob.id)

    # then only the key sees Ada's record
    assert by_token is None
    assert by_key is not None and by_key.id == ada.id


async def test_a_page_of_referrals_carries_the_friends_it_brought(world):
    # given Ada referred Bob and Cy, and Cy's row is missing (the page must not depend on
    # every friend's row being there)
    ada, bob, _ = await referred(world)
    cy = await sign_up(
        world.uow, world.cache, world.clock, MemberDraft(email="cy@example.net"), ada.referral_code
    )
    del world.db.tables.members[cy.member.id]

    # when Ada's referrals are read
    page = await referral_reads.referrals_made(world.uow, ada.id, None, 10)

    # then both referrals come, newest first, with the friend still on record
    assert [x.referee_id for x in page.referrals] == [cy.member.id, bob.id]
    assert set(page.referees) == {bob.id}


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


async def test_a_page_of_the_catalog_is_read_with_the_viewers_filter(world):
    # given a catalog of a live reward, an archived one and one that starts tomorrow
    now = world.clock.now()
    live = await world.reward(name="Live")
    await world.reward(name="Archived", archived=True)
    await world.reward(name="Tomorrow", starts_at=now + timedelta(days=1))

    # when a publishable key reads a page, asking for archived rewards too
    query = CatalogQuery(include_archived=True)
    found = await catalog_page(world.uow, PUBLIC, query, now, None, 5)

    # then it gets live, unarchived rewards only
    assert found == [live]


@pytest.mark.parametrize(
    ("fields", "public_sees"),
    [
        ({}, True),
        ({"archived": True}, False),
        ({"starts_at": NOW + timedelta(days=1)}, False),
        ({"ends_at": NOW - timedelta(hours=1)}, False),
    ],
)
async def test_one_reward_not_live_is_hidden_from_all_but_staff(world, fields, public_sees):
    # given a reward made the day before, live or not by now
    world.clock.advance(NOW - timedelta(days=1) - world.clock.now())
    reward_id = (await world.reward(**fields)).id

    # when each kind of caller asks for it
    by_public = await reward_for(world.uow, PUBLIC, reward_id, NOW)
    by_member = await reward_for(world.uow, as_member(ADA), reward_id, NOW)
    by_staff = await reward_for(world.uow, STAFF, reward_id, NOW)

    # then staff always see it, others only when it is live
    assert by_staff is not None
    assert (by_public is not None) is public_sees
    assert (by_member is not None) is public_sees


# --- a member's records -------------------------------------------------------------------


@pytest.mark.parametrize(("who", "sees"), [("staff", True), ("Ada", True), ("Bob", False)])
async def test_a_member_token_sees_only_its_own_entries_and_redemptions(world, who, sees):
    # given an entry and a redemption of Ada's, and Bob
    ada, bob = await world.member(points=150), await world.member()
    reward = await world.reward()
    redeemed = await world.redeem(ada.id, reward.id)
    entry_id = redeemed.redemption.spend_entry_id
    viewer = {"staff": STAFF, "Ada": as_member(ada.id), "Bob": as_member(bob.id)}[who]

    # when the viewer asks for them by id
    entry = await member_reads.ledger_entry_for(world.uow, viewer, entry_id)
    redemption = await member_reads.redemption_for(world.uow, viewer, redeemed.redemption.id)

    # then only staff and Ada's own token see them; for others they do not exist
    assert (entry is not None) is sees
    assert (redemption is not None) is sees
    assert may_see_records_of(viewer, ada.id) is sees


async def test_expiring_points_are_read_for_the_days_asked(world):
    # given 5 points that expire in 20 days and 7 that expire in 40
    await world.configure(lot_expiry=LotExpiry(20, ExpiryUnit.DAYS))
    ada = await world.member(points=5)
    await world.configure(lot_expiry=LotExpiry(40, ExpiryUnit.DAYS))
    await world.adjust(ada.id, 7)
    now = world.clock.now()

    # when the points expiring within 30 days are read
    found = await member_reads.expiring_points(world.uow, ada.id, "points", now, 30)

    # then only those within the 30 days come
    assert found == [(now + timedelta(days=20), 5)]


@pytest.mark.parametrize("days", [-1, member_reads.MAX_EXPIRING_DAYS + 1])
async def test_expiring_points_beyond_the_bound_are_refused_before_any_read(world, days):
    # given a member
    ada = await world.member(points=5)
    opened = world.uow.opened

    # when a range out of bounds is asked for
    with pytest.raises(DomainError) as refused:
        await member_reads.expiring_points(world.uow, ada.id, "points", world.clock.now(), days)

    # then it is refused on withinDays, and the ledger is not read
    assert refused.value.field == ("withinDays",)
    assert world.uow.opened == opened
