"""Enrolling, changing and erasing members (domain/enrolment.py)."""

from __future__ import annotations

from uuid import uuid4

import pytest

from domain import enrolment
from domain.errors import DomainError, Duplicate, ErrorCode, NotFound
from domain.records.members import MemberDraft, MemberStatus


async def test_a_shopper_is_enrolled_active_with_a_referral_code(world):
    # when a shopper is enrolled by the store's id and email
    member = await enrolment.enroll(
        world.uow, world.clock, MemberDraft(external_id="shop-1", email="ann@example.com")
    )

    # then they are active, found again by either, and have a referral code
    assert member.status is MemberStatus.ACTIVE
    assert member.enrolled_at == world.clock.now()
    assert len(member.referral_code) == 8
    async with world.uow() as uow:
        assert await uow.members.get_by_external_id("shop-1") == member
        assert await uow.members.get_by_email("ann@example.com") == member


async def test_a_second_enrolment_of_one_external_id_is_a_duplicate_and_writes_nothing(world):
    # given a member
    first = await world.member(external_id="shop-1")

    # when the same externalId is enrolled again
    with pytest.raises(Duplicate) as refused:
        await enrolment.enroll(world.uow, world.clock, MemberDraft(external_id="shop-1"))

    # then it is refused on externalId and the first member is the only one
    assert refused.value.field == ("externalId",)
    assert list(world.db.tables.members.values()) == [first]


async def test_a_second_enrolment_of_one_email_is_a_duplicate(world):
    # given a member with an email
    await world.member(email="ann@example.com")

    # when another store id comes with the same email
    with pytest.raises(Duplicate) as refused:
        await enrolment.enroll(
            world.uow, world.clock, MemberDraft(external_id="other", email="ann@example.com")
        )

    # then it is refused on email
    assert refused.value.field == ("email",)


async def test_enrolment_needs_an_external_id_or_an_email(world):
    # when neither is given
    with pytest.raises(DomainError) as refused:
        await enrolment.enroll(world.uow, world.clock, MemberDraft(name="Ann"))

    # then it is required, and no unit of work was even opened
    assert refused.value.code is ErrorCode.REQUIRED
    assert world.uow.opened == 0


async def test_an_update_changes_only_what_is_given_and_refuses_a_taken_email(world):
    # given two members
    ann = await world.member(external_id="ann", email="ann@example.com", name="Ann")
    await world.member(external_id="bob", email="bob@example.com")

    # when Ann changes her name only
    renamed = await enrolment.update(world.uow, ann.id, MemberDraft(name="Ann B"))

    # then the rest is as it was
    assert (renamed.name, renamed.email, renamed.external_id) == ("Ann B", ann.email, "ann")

    # when she takes Bob's email
    with pytest.raises(Duplicate):
        await enrolment.update(world.uow, ann.id, MemberDraft(email="bob@example.com"))

    # then she keeps hers
    async with world.uow() as uow:
        assert (await uow.members.get(ann.id)).email == "ann@example.com"


async def test_an_unknown_member_is_not_found_for_update_or_erasure(world):
    # when a member nobody enrolled is changed or erased
    for change in (
        enrolment.update(world.uow, uuid4(), MemberDraft(name="x")),
        enrolment.erase(world.uow, uuid4()),
    ):
        with pytest.raises(NotFound):
            await change
    # then nothing is stored
    assert world.db.tables.members == {}


async def test_erasure_forgets_the_person_keeps_the_ledger_and_can_be_repeated(world):
    # given a member with points
    member = await world.member(points=50, email="ann@example.com", name="Ann")

    # when they are erased twice
    erased = await enrolment.erase(world.uow, member.id)
    again = await enrolment.erase(world.uow, member.id)

    # then who they were is gone, their status is ERASED, and the ledger stays
    assert (erased.external_id, erased.email, erased.name) == (None, None, None)
    assert erased.status is MemberStatus.ERASED == again.status
    assert (await world.balance(member.id)).available == 50

    # and the email is free for a new enrolment
    await world.member(email="ann@example.com")
