"""Pure rules of referrals: who may refer whom, and what settings are accepted."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from domain.errors import DomainError, ErrorCode
from domain.program import LimitPeriod
from domain.records.members import Member, MemberStatus
from domain.records.referrals import RejectReason
from domain.referral_settings import (
    ReferralReward,
    ReferralSettings,
    default_url,
    from_json,
    landing_with_code,
    render_url,
    to_json,
    validate,
)
from domain.referrals import clean_code, comparable_email, refusal

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def member(email: str | None = None, external_id: str | None = None) -> Member:
    return Member(
        id=uuid.uuid4(),
        seq=1,
        external_id=external_id,
        email=email,
        name=None,
        birthday=None,
        status=MemberStatus.ACTIVE,
        referral_code="ABCDEFGH",
        enrolled_at=NOW,
    )


@pytest.mark.parametrize(
    ("email", "expected"),
    [
        ("Ada@Example.com", "ada@example.com"),
        ("ada+promo@example.com", "ada@example.com"),
        ("a.da@example.com", "a.da@example.com"),  # dots matter outside Gmail
        ("A.Da+x+y@gmail.com", "ada@gmail.com"),
        ("ada@googlemail.com", "ada@gmail.com"),
    ],
)
def test_comparable_email_is_lowercase_without_tags_and_gmail_dots(email, expected):
    assert comparable_email(email) == expected


def test_one_member_on_both_sides_is_a_self_referral():
    ada = member("ada@example.com")
    assert refusal(ada, ada, look_alikes=0) is RejectReason.SELF_REFERRAL


def test_the_same_inbox_or_store_id_is_a_self_referral():
    assert (
        refusal(member("ada@gmail.com"), member("a.da+2@gmail.com"), 0)
        is RejectReason.SELF_REFERRAL
    )
    assert refusal(member(external_id="C-1"), member(external_id=" c-1"), 0) is (
        RejectReason.SELF_REFERRAL
    )


def test_a_referee_known_under_another_address_is_not_new():
    assert refusal(member("ada@example.com"), member("bob+x@example.com"), 1) is (
        RejectReason.NOT_NEW
    )


def test_an_inactive_referrer_cannot_refer():
    referrer = replace(member("ada@example.com"), status=MemberStatus.SUSPENDED)
    assert refusal(referrer, member("bob@example.com"), 0) is RejectReason.REFERRER_INACTIVE


def test_different_people_may_refer_each_other():
    assert refusal(member("ada@example.com", "1"), member("bob@example.com", "2"), 0) is None


def test_codes_are_matched_ignoring_case_and_spaces_and_junk_is_not_found():
    assert clean_code("  abcd2345 ") == "ABCD2345"
    with pytest.raises(DomainError) as refused:
        clean_code("abc'; drop")
    assert refused.value.code is ErrorCode.NOT_FOUND


def test_urls_come_from_the_template_or_the_platform():
    assert render_url("https://s.example/{tenant}?ref={code}", "shop", "AB12") == (
        "https://s.example/shop?ref=AB12"
    )
    assert default_url("https://api.example/", "shop", "AB12") == "https://api.example/r/shop/AB12"


@pytest.mark.parametrize(
    ("settings", "field"),
    [
        (ReferralSettings(url_template="https://x.example/"), ("urlTemplate",)),
        (ReferralSettings(url_template="https://x.example/{code}/{id}"), ("urlTemplate",)),
        (ReferralSettings(url_template="ftp://x.example/{code}"), ("urlTemplate",)),
        (ReferralSettings(referrer_reward=ReferralReward()), ("referrerReward", "points")),
        (
            ReferralSettings(referee_reward=ReferralReward(points=1, reward_id=uuid.uuid4())),
            ("refereeReward", "points"),
        ),
        (ReferralSettings(cap_period=LimitPeriod.DAY), ("capPeriod",)),
    ],
)
def test_bad_settings_name_the_field(settings, field):
    with pytest.raises(DomainError) as refused:
        validate(settings)
    assert refused.value.field == field


def test_settings_survive_their_storage_form():
    settings = ReferralSettings(
        version=3,
        url_template="https://x.example/?r={code}",
        referrer_reward=ReferralReward(points=100),
        referee_reward=ReferralReward(reward_id=uuid.uuid4()),
        min_order_minor=5000,
        cap=5,
        cap_period=LimitPeriod.MONTH,
    )
    assert from_json(3, to_json(settings)) == settings


@pytest.mark.parametrize(
    ("landing", "sent_to"),
    [
        ("https://shop.example", "https://shop.example?ref=W392Y5GK"),
        ("https://shop.example/join", "https://shop.example/join?ref=W392Y5GK"),
        ("https://shop.example/?src=mail&x=", "https://shop.example/?src=mail&x=&ref=W392Y5GK"),
        ("https://shop.example/?ref=OLD#top", "https://shop.example/?ref=W392Y5GK#top"),
    ],
)
def test_the_landing_url_gets_the_code_as_ref(landing, sent_to):
    assert landing_with_code(landing, "W392Y5GK") == sent_to


def test_a_landing_url_is_an_http_url_without_placeholders_and_survives_storage():
    kept = validate(ReferralSettings(landing_url="  https://shop.example/join  "))
    assert kept.landing_url == "https://shop.example/join"
    assert from_json(1, to_json(kept)).landing_url == kept.landing_url
    for bad in ("ftp://shop.example", "https://", "https://shop.example/{code}", "x" * 600):
        with pytest.raises(DomainError) as refused:
            validate(ReferralSettings(landing_url=bad))
        assert refused.value.field == ("landingUrl",)
