"""GET /r/<tenant>/<code>, the platform's own referral link: counted and sent on to the
shop, and the same friendly 404 for anything that is not a live link."""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qs, urlsplit

from tests.api.test_referrals import configure, enrol, member, referrer_and_code

STATS = "query($id: ID!) { member(id: $id) { referralStats { clicks invited } } }"
ERASE = """
mutation Erase($input: EraseMemberInput!) {
  eraseMember(input: $input) { errors { code field message } }
}
"""


async def _clicks(gql, kit, member_id: str) -> int:
    data = await gql(STATS, {"id": member_id}, token=kit.secret_key)
    clicks: int = int(data["member"]["referralStats"]["clicks"])
    return clicks


async def test_the_link_redirects_to_the_landing_page_with_the_code_and_counts(clocked, tenant):
    # given a program whose link lands on the shop's sign-up page
    gql = clocked.gql
    configured = await configure(gql, tenant, landingUrl="https://shop.example/join?src=friend")
    assert configured["errors"] == []
    assert configured["referrals"]["urlTemplate"] is None
    referrer, code = await referrer_and_code(gql, tenant)
    link = (await member(gql, tenant, referrer))["referralUrl"]
    assert urlsplit(link).path == f"/r/{tenant.slug}/{code}"

    # when a friend opens the member's link, twice
    answers = [await gql.http.get(urlsplit(link).path) for _ in range(2)]

    # then each is sent on to the landing page with the code, nothing cached
    for answer in answers:
        assert answer.status_code == 302
        assert answer.headers["cache-control"] == "no-store"
        target = urlsplit(answer.headers["location"])
        assert (target.scheme, target.netloc, target.path) == ("https", "shop.example", "/join")
        assert parse_qs(target.query) == {"src": ["friend"], "ref": [code]}
    # and both visits show in the member's referral stats
    assert await _clicks(gql, tenant, referrer) == 2


async def test_concurrent_visits_are_all_counted(clocked, tenant):
    gql = clocked.gql
    referrer, code = await referrer_and_code(gql, tenant)
    answers = await asyncio.gather(*(gql.http.get(f"/r/{tenant.slug}/{code}") for _ in range(12)))
    assert {a.status_code for a in answers} == {200}
    assert await _clicks(gql, tenant, referrer) == 12


async def test_without_a_landing_page_the_link_follows_the_template_or_shows_the_code(
    clocked, tenant
):
    # given a program with neither a landing page nor a template
    gql = clocked.gql
    referrer, code = await referrer_and_code(gql, tenant)

    # then the link shows the code to use at sign-up
    shown = await gql.http.get(f"/r/{tenant.slug}/{code.lower()}")
    assert shown.status_code == 200
    assert shown.headers["content-type"].startswith("text/html")
    assert code in shown.text

    # given a template that points at the shop, links shared before still lead there
    assert (await configure(gql, tenant, urlTemplate="https://shop.example/?r={code}"))[
        "errors"
    ] == []
    sent = await gql.http.get(f"/r/{tenant.slug}/{code}")
    assert sent.status_code == 302
    assert sent.headers["location"] == f"https://shop.example/?r={code}"
    assert await _clicks(gql, tenant, referrer) == 2


async def test_links_that_do_not_work_all_get_the_same_friendly_404(clocked, tenant, make_tenant):
    # given a member with a code, and another tenant
    gql = clocked.gql
    referrer, code = await referrer_and_code(gql, tenant)
    other = await make_tenant()
    erased = (await enrol(gql, tenant))["member"]
    changed = await gql(
        ERASE, {"input": {"id": erased["id"]}}, token=tenant.operator_token, tenant=tenant.slug
    )
    assert changed["eraseMember"]["errors"] == []

    # when links that are no live link are opened
    answers = [
        await gql.http.get(path)
        for path in (
            f"/r/no-such-tenant/{code}",  # no tenant
            f"/r/{other.slug}/{code}",  # a code of another tenant
            f"/r/{tenant.slug}/ZZZZZZZZ",  # no such code
            f"/r/{tenant.slug}/{'x' * 300}",  # cannot be a code
            f"/r/Robert');DROP/{code}",  # cannot be a slug
            f"/r/{tenant.slug}/{erased['referralCode']}",  # an erased member
        )
    ]

    # then every one is the same page, saying nothing of what exists
    assert {a.status_code for a in answers} == {404}
    assert len({a.text for a in answers}) == 1
    assert "referral link does not work" in answers[0].text
    assert answers[0].headers["content-type"].startswith("text/html")
    # and nothing was counted for the member whose code was tried elsewhere
    assert await _clicks(gql, tenant, referrer) == 0

    # when the program is switched off, its links stop too
    assert (await configure(gql, tenant, active=False))["errors"] == []
    off = await gql.http.get(f"/r/{tenant.slug}/{code}")
    assert off.status_code == 404 and off.text == answers[0].text


async def test_the_landing_url_is_checked(clocked, tenant):
    gql = clocked.gql
    for bad in ("javascript:alert(1)", "https://shop.example/?ref={code}", "shop.example"):
        refused = await configure(gql, tenant, landingUrl=bad)
        assert refused["referrals"] is None
        assert refused["errors"][0]["field"] == ["input", "landingUrl"], refused
    kept = await configure(gql, tenant, landingUrl="  https://shop.example/welcome ")
    assert kept["referrals"]["landingUrl"] == "https://shop.example/welcome"
    cleared = await configure(gql, tenant, clearLandingUrl=True)
    assert cleared["referrals"]["landingUrl"] is None
