"""The referral program: settings, referred sign-ups, rewards and claw-backs
(domain/referral_program.py, domain/referring.py, domain/referral_grants.py)."""

from __future__ import annotations

from dataclasses import replace
from uuid import uuid4

import pytest

from domain.errors import DomainError, NotFound
from domain.orders import record_order
from domain.program import LimitPeriod
from domain.records.members import MemberDraft
from domain.records.referrals import ReferralStatus, RejectReason
from domain.referral_program import configure_referrals, current_settings, enroll_referred
from domain.referral_settings import ReferralReward, ReferralTrigger
from domain.rewards import RedemptionStatus


async def _program(world, trigger=ReferralTrigger.FIRST_ORDER, **fields):
    return await configure_referrals(
        world.uow,
        world.clock,
        lambda s: replace(
            s,
            trigger=trigger,
            referrer_reward=ReferralReward(points=500),
            referee_reward=ReferralReward(points=200),
            **fields,
        ),
        by="owner@example.com",
    )


async def _referred(world, referrer, **fields):
    draft = MemberDraft(**({"external_id": uuid4().hex} | fields))
    return await enroll_referred(
        world.uow, world.cache, world.clock, draft, referrer.referral_code.lower()
    )


async def test_settings_are_versioned_and_read_back(world):
    # when the program is configured twice
    first = await _program(world)
    second = await _program(world, min_order_minor=2000)

    # then each change is a new version, and the latest is in force
    assert (first.version, second.version) == (1, 2)
    assert await current_settings(world.uow) == second


async def test_a_catalog_reward_must_exist_and_have_a_fixed_cost(world):
    # when a referral reward names a reward nobody created
    with pytest.raises(NotFound):
        await configure_referrals(
            world.uow,
            world.clock,
            lambda s: replace(s, referee_reward=ReferralReward(reward_id=uuid4())),
            by=None,
        )

    # then the settings did not change
    assert (await current_settings(world.uow)).version == 0


async def test_a_sign_up_reward_pays_both_sides_at_once(world):
    # given a program rewarding sign-ups and a referrer
    await _program(world, trigger=ReferralTrigger.SIGNUP)
    referrer = await world.member()

    # when a friend enrols with the referrer's code
    enrolled = await _referred(world, referrer)

    # then both are paid and the referral is rewarded
    assert enrolled.referral.status is ReferralStatus.REWARDED
    assert world.db.tables.referrals[enrolled.referral.id] == enrolled.referral
    assert (await world.balance(enrolled.member.id)).available == 200
    assert (await world.balance(referrer.id)).available == 500


async def test_a_first_order_reward_waits_for_the_order_and_a_refund_takes_it_back(world):
    # given a program rewarding the first order and a referred friend
    await _program(world)
    referrer = await world.member()
    friend = (await _referred(world, referrer)).member
    assert (await world.balance(referrer.id)).available == 0

    # when the friend's first order is recorded
    await record_order(world.uow, world.cache, world.clock, world.order(friend.id))

    # then both sides are paid, the friend on top of the order's 50 points
    assert (await world.balance(friend.id)).available == 250
    assert (await world.balance(referrer.id)).available == 500

    # when the order is refunded in full
    await world.refund(amount=5000)

    # then both rewards are taken back and the referral is reversed
    assert (await world.balance(friend.id)).available == 0
    assert (await world.balance(referrer.id)).available == 0
    (referral,) = world.db.tables.referrals.values()
    assert referral.status is ReferralStatus.REVERSED


async def test_a_shopper_referring_themself_is_rejected_but_still_enrolled(world):
    # given a sign-up program and a referrer with a gmail address
    await _program(world, trigger=ReferralTrigger.SIGNUP)
    referrer = await world.member(email="ann.lee@gmail.com")

    # when the same mailbox enrols again under a +tag, with the referrer's code
    enrolled = await _referred(world, referrer, email="annlee+2@gmail.com")

    # then the enrolment stands, the referral is rejected, and nobody is paid
    assert enrolled.referral.status is ReferralStatus.REJECTED
    assert enrolled.referral.reject_reason is RejectReason.SELF_REFERRAL
    assert (await world.balance(referrer.id)).lifetime == 0


async def test_an_unknown_code_enrols_nobody(world):
    # when a shopper enrols with a code no member has
    with pytest.raises(NotFound):
        await enroll_referred(
            world.uow, world.cache, world.clock, MemberDraft(external_id="x"), "NOSUCH22"
        )

    # then nobody was enrolled
    assert world.db.tables.members == {}


async def test_a_referrer_over_the_cap_gets_the_referral_rejected(world):
    # given a sign-up program capped at one rewarded referral per referrer
    await _program(world, trigger=ReferralTrigger.SIGNUP, cap=1)
    referrer = await world.member()

    # when two friends enrol with the referrer's code
    await _referred(world, referrer)
    second = await _referred(world, referrer)

    # then the second is rejected for the cap, and the referrer was paid once
    stored = world.db.tables.referrals[second.referral.id]
    assert stored.reject_reason is RejectReason.CAP_REACHED
    assert (await world.balance(referrer.id)).available == 500


async def test_a_catalog_reward_is_given_as_an_issued_code(world):
    # given a sign-up program giving the friend a 100-point reward
    reward = await world.reward()
    await configure_referrals(
        world.uow,
        world.clock,
        lambda s: replace(
            s, trigger=ReferralTrigger.SIGNUP, referee_reward=ReferralReward(reward_id=reward.id)
        ),
        by=None,
    )
    referrer = await world.member()

    # when a friend enrols
    friend = (await _referred(world, referrer)).member

    # then they hold an issued code and no spendable points; the ledger shows both lines
    (redemption,) = world.db.tables.redemptions.values()
    assert (redemption.member_id, redemption.status) == (friend.id, RedemptionStatus.ISSUED)
    balance = await world.balance(friend.id)
    assert (balance.available, balance.lifetime) == (0, 100)


async def test_an_invalid_setting_is_refused(world):
    # when a cap period comes without a cap
    with pytest.raises(DomainError):
        await configure_referrals(
            world.uow, world.clock, lambda s: replace(s, cap_period=LimitPeriod.MONTH), by=None
        )

    # then nothing was saved
    assert world.db.tables.referral_settings == {}


async def test_a_refund_cancels_an_unused_gift_code_and_takes_its_points_back(world):
    # given a first-order program giving the friend a 100-point reward as a code
    reward = await world.reward(stock=1)
    await configure_referrals(
        world.uow,
        world.clock,
        lambda s: replace(s, referee_reward=ReferralReward(reward_id=reward.id)),
        by=None,
    )
    referrer = await world.member()
    friend = (await _referred(world, referrer)).member
    await record_order(world.uow, world.cache, world.clock, world.order(friend.id))

    # when the qualifying order is refunded in full
    await world.refund(amount=5000)

    # then the unused code is cancelled, its unit back in stock, and no points are left
    (redemption,) = world.db.tables.redemptions.values()
    assert redemption.status is RedemptionStatus.CANCELLED
    assert world.db.tables.rewards[reward.id].issued == 0
    balance = await world.balance(friend.id)
    assert (balance.available, balance.lifetime) == (0, 0)
