"""Rules that the GraphQL layer used to apply itself: referral links, the program's tiers,
the members filter, counting duplicate codes, the rewards in a member's reach and enrolling
with a blank referral code; read and written through in-memory repositories."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from types import TracebackType
from typing import Any
from uuid import UUID

import pytest

from domain.catalog import draft_reward
from domain.clock import FixedClock
from domain.code_import import import_reward_codes
from domain.errors import DomainError
from domain.ledger import DEFAULT_WALLET, Balance
from domain.member_signup import sign_up
from domain.ports import RewardFilter
from domain.reads.members import MAX_SEARCH, member_filter
from domain.reads.program import program_tiers
from domain.reads.rewards import rewards_in_reach
from domain.records.members import Member, MemberDraft, MemberStatus
from domain.records.segments import RefreshInputs
from domain.referral_links import referral_link
from domain.referral_settings import ReferralSettings
from domain.rewards import CodeSource, Reward, RewardKind
from domain.tiers import Tier, TierSettings

NOW = datetime(2026, 6, 1, tzinfo=UTC)


@dataclass
class InMemoryTenant:
    """Members, tiers and one reward's code pool, as the use cases below read them; a unit
    of work of its own."""

    tier_list: list[Tier] = field(default_factory=list)
    people: list[Member] = field(default_factory=list)
    pool: set[str] = field(default_factory=set)
    code_source: CodeSource = CodeSource.POOL
    held: dict[UUID, Tier] = field(default_factory=dict)
    catalog: list[Reward] = field(default_factory=list)

    @property
    def members(self) -> InMemoryTenant:
        return self

    @property
    def tiers(self) -> InMemoryTenant:
        return self

    @property
    def rewards(self) -> InMemoryTenant:
        return self

    @property
    def redemptions(self) -> InMemoryTenant:
        return self

    @property
    def segments(self) -> InMemoryTenant:
        return self

    def __call__(self) -> InMemoryTenant:
        return self

    async def __aenter__(self) -> InMemoryTenant:
        return self

    async def __aexit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        return None

    # segments: what an enrolment reads to place the member; nobody is in any here
    async def refresh_inputs(self, member_ids: list[UUID], now: datetime) -> RefreshInputs:
        return RefreshInputs({}, [], {})

    # tiers
    async def all(self) -> list[Tier]:
        return self.tier_list

    async def settings(self) -> TierSettings:
        return TierSettings()

    def known_empty(self) -> bool:
        return not self.tier_list

    async def held_by(self, member_ids: Sequence[UUID]) -> dict[UUID, Tier]:
        return {m: self.held[m] for m in member_ids if m in self.held}

    # members
    async def get_by_external_id(self, external_id: str) -> Member | None:
        return next((m for m in self.people if m.external_id == external_id), None)

    async def get_by_email(self, email: str) -> Member | None:
        return next((m for m in self.people if m.email == email), None)

    async def get_by_referral_code(self, code: str) -> Member | None:
        return next((m for m in self.people if m.referral_code == code), None)

    async def add(self, d: MemberDraft, referral_code: str, at: datetime) -> Member:
        member = Member(
            id=uuid.uuid4(),
            seq=len(self.people) + 1,
            external_id=d.external_id,
            email=d.email,
            name=d.name,
            birthday=d.birthday,
            status=MemberStatus.ACTIVE,
            referral_code=referral_code,
            enrolled_at=at,
        )
        self.people.append(member)
        return member

    # rewards
    async def lock(self, reward_id: UUID) -> Any:
        return _PoolReward(self.code_source)

    async def import_codes(self, reward_id: UUID, codes: list[str]) -> int:
        new = set(codes) - self.pool
        self.pool |= new
        return len(new)

    async def page(self, after: int | None, limit: int, where: RewardFilter) -> list[Reward]:
        assert where.live_at is not None
        return [r for r in self.catalog if r.live(where.live_at)][:limit]

    # redemptions
    async def counts_for_members(self, member_ids: list[UUID], limited: object) -> dict:
        return {}


@dataclass(frozen=True)
class _PoolReward:
    code_source: CodeSource
    archived: bool = False


class NoCache:
    async def put(self, balance: object) -> None:
        raise AssertionError("no balance changes without a referral")


@dataclass
class CachedBalances:
    held: dict[tuple[UUID, str], Balance]

    async def get(self, member_id: UUID, wallet: str) -> Balance | None:
        return self.held.get((member_id, wallet))


def tier(name: str, threshold: int, *, archived: bool = False) -> Tier:
    return Tier(uuid.uuid4(), name, threshold, Decimal(1), (), archived, NOW, NOW)


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


async def test_archived_tiers_are_listed_only_when_asked_for():
    # given a live tier and an archived one
    tenant = InMemoryTenant(tier_list=[tier("Silver", 100), tier("Old", 50, archived=True)])

    # when the tiers are read with and without archived ones
    live = await program_tiers(tenant, include_archived=False)
    every = await program_tiers(tenant, include_archived=True)

    # then the archived tier shows only when asked for
    assert [x.name for x in live] == ["Silver"]
    assert [x.name for x in every] == ["Silver", "Old"]


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


async def test_codes_already_in_the_pool_or_repeated_count_as_duplicates():
    # given a pool holding one code
    tenant = InMemoryTenant(pool={"GIFT-0001"})

    # when it, a new code twice (typed differently) and another new code are uploaded
    found = await import_reward_codes(
        tenant, uuid.uuid4(), ["gift-0001", "GIFT-0002", " gift-0002 ", "GIFT-0003"]
    )

    # then two are imported and two were duplicates
    assert (found.imported, found.duplicates) == (2, 2)
    assert tenant.pool == {"GIFT-0001", "GIFT-0002", "GIFT-0003"}


async def test_codes_for_a_reward_that_generates_its_own_are_refused():
    tenant = InMemoryTenant(code_source=CodeSource.GENERATED)
    with pytest.raises(DomainError) as refused:
        await import_reward_codes(tenant, uuid.uuid4(), ["GIFT-0001"])
    assert refused.value.field == ("rewardId",)


# --- rewards in reach --------------------------------------------------------------------


def reward(name: str, cost: int, **fields: object) -> Reward:
    return draft_reward(
        {"name": name, "kind": RewardKind.FIXED_AMOUNT, "value_minor": 500, "points_cost": cost}
        | fields,
        FixedClock(NOW),
    )


async def test_rewards_in_reach_are_paid_from_the_default_wallet_and_the_tier_held():
    # given Ada with 150 points (and 900 stamps), holding Gold; two rewards open to all and
    # one for Platinum members
    ada = uuid.uuid4()
    gold = tier("Gold", 1000)
    tenant = InMemoryTenant(
        tier_list=[gold],
        held={ada: gold},
        catalog=[
            reward("Cheap", 100),
            reward("Dear", 400),
            reward("Platinum only", 50, eligible_tiers=("Platinum",)),
        ],
    )
    cache = CachedBalances(
        {
            (ada, DEFAULT_WALLET): Balance(ada, DEFAULT_WALLET, 150, 0, 150, 1),
            (ada, "stamps"): Balance(ada, "stamps", 900, 0, 900, 1),
        }
    )

    # when the rewards in her reach are read
    found = await rewards_in_reach(tenant, cache, ada, NOW, 10)

    # then she can redeem the cheap one, misses 250 points for the dear one, and the reward
    # for another tier is not offered
    assert [(a.reward.name, a.can_redeem, a.points_missing) for a in found] == [
        ("Cheap", True, 0),
        ("Dear", False, 250),
    ]


# --- enrolling ----------------------------------------------------------------------------


@pytest.mark.parametrize("code", [None, "", "   "])
async def test_a_blank_referral_code_enrols_without_a_referral(code):
    # given an empty program
    tenant = InMemoryTenant()

    # when a shopper enrols with no code, or a blank one
    signed_up = await sign_up(
        tenant, NoCache(), FixedClock(NOW), MemberDraft(email="ada@example.com"), code
    )

    # then they are a member, referred by no one
    assert signed_up.referral is None
    assert tenant.people == [signed_up.member]


async def test_an_unknown_referral_code_enrols_no_one():
    # given an empty program
    tenant = InMemoryTenant()

    # when a shopper enrols with a code no member has
    with pytest.raises(DomainError) as refused:
        await sign_up(
            tenant, NoCache(), FixedClock(NOW), MemberDraft(email="ada@example.com"), "ZZZZ2345"
        )

    # then the code is refused, and the enrolment with it
    assert refused.value.field == ("referralCode",)
