"""The welcome offer and the birthday gift as the program stores and reads them, and which
tier's gift a member gets."""

from __future__ import annotations

from uuid import uuid4

import pytest

from domain.errors import DomainError
from domain.program import (
    ActionRule,
    BirthdayGift,
    ProgramConfig,
    TierGift,
    WelcomeOffer,
    from_json,
    to_json,
    validate,
)


def test_gifts_survive_storage_and_a_program_without_them_stores_none():
    gold, default = uuid4(), uuid4()
    config = ProgramConfig(
        version=3,
        actions=(ActionRule("signup", 50),),
        welcome=WelcomeOffer(award_signup=True, reward_id=default),
        birthday_gift=BirthdayGift(default, (TierGift("Gold", gold),)),
    )

    assert from_json(3, to_json(config)) == config
    plain = to_json(ProgramConfig())
    assert "welcome" not in plain and "birthday_gift" not in plain
    assert from_json(1, plain).welcome is None


def test_a_member_gets_the_gift_of_their_tier_else_the_default():
    gold, silver, default = uuid4(), uuid4(), uuid4()
    gift = BirthdayGift(default, (TierGift("Gold", gold), TierGift("Silver", silver)))

    assert gift.reward_for("GOLD") == gold
    assert gift.reward_for("Silver") == silver
    assert gift.reward_for("Bronze") == default
    assert gift.reward_for(None) == default
    assert BirthdayGift(None, (TierGift("Gold", gold),)).reward_for("Silver") is None


@pytest.mark.parametrize(
    ("config", "field"),
    [
        (ProgramConfig(welcome=WelcomeOffer(award_signup=True)), ("welcomeOffer", "awardSignup")),
        (
            ProgramConfig(
                actions=(ActionRule("signup", 50, active=False),),
                welcome=WelcomeOffer(award_signup=True),
            ),
            ("welcomeOffer", "awardSignup"),
        ),
        (ProgramConfig(birthday_gift=BirthdayGift()), ("birthdayGift",)),
        (
            ProgramConfig(birthday_gift=BirthdayGift(None, (TierGift("  ", uuid4()),))),
            ("birthdayGift", "byTier", "0", "tier"),
        ),
    ],
)
def test_gifts_that_cannot_work_are_refused(config, field):
    with pytest.raises(DomainError) as refused:
        validate(config)
    assert refused.value.field == field


def test_tier_names_are_kept_tidy():
    gift = BirthdayGift(None, (TierGift("  Gold   VIP ", uuid4()),))
    assert validate(ProgramConfig(birthday_gift=gift)).birthday_gift.by_tier[0].tier == "Gold VIP"
