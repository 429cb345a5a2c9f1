"""The agency console in Debian's headless Chromium against a real server: an owner signs
in, switches tenant, reads a KPI that equals the API's, changes a tier after its preview,
adds a tier after its preview, adjusts a member's points and sees the balance, and logs
out; a viewer sees no control to change anything; a refusal shows the API's message, not a
blank page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from tests.support.agency import agency_doc
from tests.support.console_page import ConsolePage
from tests.support.console_world import ConsoleWorld
from tests.support.earning import order, record

pytestmark = pytest.mark.browser

TIERS = "query Tiers { program { tiers { name threshold } } }"
POINTS = "query Points($id: ID!) { member(id: $id) { points { available } } }"


def _last_30_days() -> dict[str, str]:
    """The console's default period: 30 whole UTC days up to today's end."""
    now = datetime.now(UTC)
    to = datetime(now.year, now.month, now.day, tzinfo=UTC) + timedelta(days=1)
    iso = lambda t: t.isoformat().replace("+00:00", ".000Z")  # noqa: E731 (as the page sends)
    return {"from": iso(to - timedelta(days=30)), "to": iso(to)}


async def test_an_owner_signs_in_switches_tenant_reads_kpis_edits_and_logs_out(
    browser, console_server, console_world: ConsoleWorld, gql
):
    world = console_world
    kit = world.kit
    page = ConsolePage(browser, console_server.url)

    # Given the owner signed in: the overview lists both tenants
    page.sign_in(world.owner.email, world.password)
    page.find(f'#overview tr[data-tenant="{kit.slug}"]')
    page.find(f'#overview tr[data-tenant="{world.other_slug}"]')
    cookies = {c["name"]: c for c in browser.get_cookies()}
    session = cookies["lp_console_session"]
    assert session["httpOnly"] is True and session["sameSite"] == "Strict"

    # When a guest orders $40 today, and they switch to the second tenant, then back
    guest = order("guest-" + kit.slug, None, ("x", 1, 4000), placed_at=datetime.now(UTC))
    placed = await record(gql, kit, {**guest, "guestId": "g-console"})
    assert placed["errors"] == [], placed
    switch = Select(page.find("select[name=tenant]"))
    switch.select_by_value(world.other_slug)
    page.heading(world.other_name)
    Select(page.find("select[name=tenant]")).select_by_value(kit.slug)
    page.heading(f"Shop {kit.slug}")

    # Then the dashboard's member count is the API's for the same period, and the guest's
    # order of today is on the chart of revenue by members and guests (its last bucket)
    api = await gql(
        agency_doc("Analytics"), _last_30_days(), token=world.owner.token, tenant=kit.slug
    )
    shown = page.find('[data-kpi="members"] .value').text
    assert shown == f"{int(api['analytics']['members']['total']):,}"
    assert shown == "1"
    revenue = page.find('svg[aria-label^="Revenue: members vs guests"]')
    assert revenue.get_attribute("aria-label").endswith(": Members 0, Guests 4000")
    # and the NPS trend has no point: nobody answered a survey in the period
    nps = page.find('svg[aria-label^="NPS trend"]')
    assert nps.get_attribute("aria-label") == "NPS trend: NPS none"

    # When they change a tier, the preview says what would move before it is saved
    page.find('nav a[href$="/program"]').click()
    gold = page.find('form.tier[data-tier="Gold"]')
    threshold = gold.find_element(By.NAME, "threshold")
    threshold.clear()
    threshold.send_keys("250")
    gold.find_element(By.CSS_SELECTOR, "button.preview-button").click()
    preview = page.text_appears('form.tier[data-tier="Gold"] .preview', "would move up")
    assert "Of 1 members, 1 would move up" in preview.text
    gold.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    assert "1 would move up" in page.accept_confirm()
    page.text_appears("#banner .notice", "Saved the tier Gold")
    tiers = await gql(TIERS, token=kit.secret_key)
    assert {"name": "Gold", "threshold": "250"} in tiers["program"]["tiers"]

    # When they add a tier, the preview is the API's for the same new tier (the ladder's
    # moves the worker has not made yet included)
    new = page.find("form.new-tier")
    new.find_element(By.NAME, "name").send_keys("Platinum")
    new.find_element(By.NAME, "threshold").send_keys("5000")
    create = {"name": "Platinum", "threshold": "5000", "multiplier": "1"}
    expected = await gql(
        agency_doc("PreviewTierChange"),
        {"input": {"create": create}},
        token=world.owner.token,
        tenant=kit.slug,
    )
    moves = expected["previewTierChange"]
    said = f"Of {moves['members']} members, {moves['up']} would move up, {moves['down']} down"
    new.find_element(By.CSS_SELECTOR, "button.preview-button").click()
    assert said in page.text_appears("form.new-tier .preview", "would move up").text
    new.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    assert said in page.accept_confirm()
    page.text_appears("#banner .notice", "Created the tier Platinum")
    page.find('form.tier[data-tier="Platinum"]')  # the list is read again
    tiers = await gql(TIERS, token=kit.secret_key)
    assert {"name": "Platinum", "threshold": "5000"} in tiers["program"]["tiers"]

    # When they find the member and adjust the points, the page shows the new balance
    page.find('nav a[href$="/members"]').click()
    search = page.find("input[name=search]")
    search.send_keys(world.member_external_id)
    search.submit()
    page.find(f'#member-results[data-search="{world.member_external_id}"] a').click()
    page.text_appears("#balance", "300")
    page.find("#adjust input[name=points]").send_keys("45")
    page.find("#adjust input[name=reason]").send_keys("goodwill")
    page.find("#adjust button[type=submit]").click()
    page.text_appears("#balance", "345")
    points = await gql(POINTS, {"id": world.member_id}, token=kit.secret_key)
    assert points["member"]["points"]["available"] == 345

    # When they log out, the sign-in form is back, the cookie gone and the session ended
    page.find("#logout").click()
    page.find("form.login")
    assert "lp_console_session" not in {c["name"] for c in browser.get_cookies()}
    ended = await gql.errors(agency_doc("AgencyTenants"), token=session["value"])
    assert ended[0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_a_viewer_sees_everything_read_only(browser, console_server, console_world):
    world = console_world
    slug = world.kit.slug
    page = ConsolePage(browser, console_server.url)
    page.sign_in(world.viewer.email, world.password)
    page.find(f'#overview tr[data-tenant="{slug}"]')

    edit_controls = "main form.tier, main #adjust, main button.primary, main button.danger"
    edit_controls += ", main input[name=threshold], main #erase, main #export"
    for hash_, heading in (
        (f"#/t/{slug}/dashboard", "Dashboard"),
        (f"#/t/{slug}/program", "Program"),
        (f"#/t/{slug}/members/{world.member_id}", "Ada Lovelace"),
        (f"#/t/{slug}/team", "Team"),
        (f"#/t/{slug}/audit", "Audit log"),
    ):
        page.go(hash_)
        page.heading(heading)
        assert page.all(edit_controls) == [], hash_
    page.text_appears("main", "Owners and admins read the audit log.")
    page.go(f"#/t/{slug}/program")
    page.find("main table")  # the tiers, as a table to read


def test_a_refusal_shows_the_apis_message(browser, console_server, console_world):
    page = ConsolePage(browser, console_server.url)
    page.sign_in(console_world.viewer.email, console_world.password)
    page.go(f"#/t/{console_world.other_slug}/dashboard")  # a tenant the viewer may not use
    page.text_appears("#banner .error", "FORBIDDEN")
    page.heading("This page could not be shown")


def test_the_console_fits_a_phone_sized_screen(browser, console_server, console_world):
    browser.set_window_size(375, 800)
    page = ConsolePage(browser, console_server.url)
    page.sign_in(console_world.owner.email, console_world.password)
    page.go(f"#/t/{console_world.kit.slug}/members")
    page.find("#member-results td")
    # Nothing sticks out sideways: no element reaches past the page's width
    wider = browser.execute_script(
        "const w = document.documentElement.clientWidth;"
        "return [...document.querySelectorAll('body *')]"
        ".filter(e => e.getBoundingClientRect().right > w + 1)"
        ".map(e => e.tagName + '.' + e.className);"
    )
    assert wider == []
