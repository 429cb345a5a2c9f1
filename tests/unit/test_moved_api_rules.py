"""Rules that the GraphQL layer used to apply itself: referral links, the program's tiers,
the members filter, counting duplicate codes, the rewards in a member's reach and enrolling
with a blank referral code; on the in-memory fakes of tests/unit/fakes."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from domain.code_import import import_reward_codes
from domain.errors import DomainError
from domain.ledger import Balance
from domain.member_signup import sign_up
from domain.reads.members import MAX_SEARCH, member_filter
from domain.reads.program import program_tiers
from domain.reads.rewards import rewards_in_reach
from domain.records.members import MemberDraft
from domain.referral_links import referral_link
from domain.referral_settings import ReferralSettings
from domain.rewards import CodeSource
from domain.tier_definitions import TierDraft, create_tier, update_tier

# --- referral links -----------------------------------------------------------------------


def test_a_referral_link_follows_the_programs_template():
    # given a program with a link template
    settings = ReferralSettings(url_template="https://shop.example/{tenant}?ref={code}")

    # when a member's link is made
    link = referral_link(settings, "https://loyalty.example", "acme", "ABCD2345")

    # then the template is filled in
    assert link == "https://shop.example/acme?ref=ABCD2345"


def test_without_a_template_the_link_is_the_platforms_own():
    link = referral_link(ReferralSettings(), "https://loyalty.example/", "acme", "ABCD2345")
    assert link == "https://loyalty.example/r/acme/ABCD2345"


# --- the program's tiers ------------------------------------------------------------------


async def test_archived_tiers_are_listed_only_when_asked_for(world):
    # given a live tier and an archived one
    await create_tier(world.uow, world.clock, TierDraft("Silver", 100))
    old = await create_tier(world.uow, world.clock, TierDraft("Old", 50))
    await update_tier(world.uow, world.clock, old.id, lambda t: replace(t, archived=True))

    # when the tiers are read with and without archived ones
    live = await program_tiers(world.uow, include_archived=False)
    every = await program_tiers(world.uow, include_archived=True)

    # then the archived tier shows only when asked for, lowest first
    assert [x.name for x in live] == ["Silver"]
    assert [x.name for x in every] == ["Old", "Silver"]


# --- the members filter -------------------------------------------------------------------


def test_a_members_filter_stores_the_email_as_members_are_and_bounds_the_search():
    # given a filter with an email in capitals and a long padded search
    # when it is made
    where = member_filter(email="Ada@Example.COM", search="  lovelace " + "x" * 300)

    # then the email is canonical and the search trimmed to its bound
    assert where.email == "ada@example.com"
    assert where.search is not None and where.search.startswith("lovelace x")
    assert len(where.search) == MAX_SEARCH


def test_a_members_filter_with_no_email_is_no_email_filter():
    assert member_filter(email="", search="").email is None
    assert member_filter(search="   ").search == ""


def test_a_members_filter_refuses_what_cannot_be_an_email():
    with pytest.raises(DomainError) as refused:
        member_filter(email="not-an-email")
    assert refused.value.field == ("email",)


# --- importing codes ----------------------------------------------------------------------


async def test_codes_already_in_the_pool_or_repeated_count_as_duplicates(world):
    # given a pool reward holding one code
    reward = await world.reward(code_source=CodeSource.POOL)
    await import_reward_codes(world.uow, reward.id, ["GIFT-0001"])

    # when it, a new code twice (typed differently) and another new code are uploaded
    found = await import_reward_codes(
        world.uow, reward.id, ["gift-0001", "GIFT-0002", " gift-0002 ", "GIFT-0003"]
    )

    # then two are imported and two were duplicates
    assert (found.imported, found.duplicates) == (2, 2)
    assert set(world.db.tables.reward_codes) == {"GIFT-0001", "GIFT-0002", "GIFT-0003"}


async def test_codes_for_a_reward_that_generates_its_own_are_refused(world):
    # given a reward that generates its codes
    reward = await world.reward(code_source=CodeSource.GENERATED)

    # when codes are uploaded for it
    with pytest.raises(DomainError) as refused:
        await import_reward_codes(world.uow, reward.id, ["GIFT-0001"])

    # then they are refused on rewardId, and none is kept
    assert refused.value.field == ("rewardId",)
    assert world.db.tables.reward_codes == {}


# --- rewards in reach --------------------------------------------------------------------


async def test_rewards_in_reach_are_paid_from_the_default_wallet_and_the_tier_held(world):
    # given Ada holding Gold (1000 points earned) with 150 points left and 900 stamps; two
    # rewards open to all and one for Platinum members
    await create_tier(world.uow, world.clock, TierDraft("Gold", 1000, Decimal(1)))
    await create_tier(world.uow, world.clock, TierDraft("Platinum", 5000, Decimal(2)))
    ada = await world.member(points=1000)
    await world.adjust(ada.id, -850)
    await world.cache.put(Balance(ada.id, "stamps", 900, 0, 900, 1))
    await world.reward(name="Cheap", points_cost=100)
    await world.reward(name="Dear", points_cost=400)
    await world.reward(name="Platinum only", points_cost=50, eligible_tiers=("Platinum",))

    # when the rewards in her reach are read
    found = await rewards_in_reach(world.uow, world.cache, ada.id, world.clock.now(), 10)

    # then she can redeem the cheap one, misses 250 points for the dear one, and the reward
    # for another tier is not offered
    assert [(a.reward.name, a.can_redeem, a.points_missing) for a in found] == [
        ("Cheap", True, 0),
        ("Dear", False, 250),
    ]


# --- enrolling ----------------------------------------------------------------------------


@pytest.mark.parametrize("code", [None, "", "   "])
async def test_a_blank_referral_code_enrols_without_a_referral(world, code):
    # given an empty program

    # when a shopper enrols with no code, or a blank one
    signed_up = await sign_up(
        world.uow, world.cache, world.clock, MemberDraft(email="ada@example.com"), code
    )

    # then they are a member, referred by no one, and no points moved
    assert signed_up.referral is None
    assert list(world.db.tables.members.values()) == [signed_up.member]
    assert world.db.tables.referrals == {} and world.cache.held == {}


async def test_an_unknown_referral_code_enrols_no_one(world):
    # given an empty program

    # when a shopper enrols with a code no member has
    with pytest.raises(DomainError) as refused:
        await sign_up(
            world.uow, world.cache, world.clock, MemberDraft(email="ada@example.com"), "ZZZZ2345"
        )

    # then the code is refused, and the enrolment with it
    assert refused.value.field == ("referralCode",)
    assert world.db.tables.members == {}
