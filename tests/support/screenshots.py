"""Regenerates the console's screenshots in docs/console/ (scripts/screenshots): a fresh
database on the configured PostgreSQL, the console's world with a few weeks of orders, the
platform as a real server, and Debian's headless Chromium taking each page."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from api.http.app import create_app
from api.services import Services
from api.settings import Settings
from tests.support.api_server import ROOT, ApiServer
from tests.support.browser import chromium
from tests.support.console_page import ConsolePage
from tests.support.console_world import ConsoleWorld, make_console_world
from tests.support.earning import earn, enroll, order
from tests.support.gql import GraphQLClient
from tests.support.provision import provision_tenant
from tests.support.servers import (
    create_test_database,
    drop_test_database,
    postgres_admin_url,
    redis_url,
)

SECRET = "screenshots-secret-not-for-production"
OUT = ROOT / "docs" / "console"
SHOPPERS = ("Grace Hopper", "Alan Turing", "Edsger Dijkstra", "Barbara Liskov", "Ken Thompson")


NEW_SURVEY = """
mutation($input: CreateSurveyInput!) {
  createSurvey(input: $input) { survey { id } errors { code } }
}
"""
ANSWER = """
mutation($input: SubmitSurveyResponseInput!) {
  submitSurveyResponse(input: $input) { errors { code } }
}
"""


async def _orders(gql: GraphQLClient, world: ConsoleWorld) -> None:
    """A few weeks of orders by a handful of members and of guests, and today's NPS answers
    of the members, so the charts have a shape."""
    now = datetime.now(UTC)
    kit = world.kit
    survey = {"kind": "NPS", "question": "How likely are you to recommend us?"}
    made = await gql(NEW_SURVEY, {"input": survey}, token=kit.secret_key)
    assert made["createSurvey"]["errors"] == [], made
    survey_id = made["createSurvey"]["survey"]["id"]
    for n, name in enumerate(SHOPPERS):
        member = await enroll(gql, kit, name=name, email=f"shopper{n}@shop.example")
        for week in range(n % 3 + 1):
            placed = now - timedelta(days=3 + 7 * week + n)
            body = order(
                f"o-{uuid.uuid4().hex[:10]}", member, ("SKU-1", 1 + n, 2500), placed_at=placed
            )
            await earn(gql, kit, body)
            guest = order(f"g-{uuid.uuid4().hex[:10]}", None, ("SKU-2", 1, 1500 + 500 * n),
                          placed_at=placed - timedelta(days=1), guestId=f"guest-{n}")  # fmt: skip
            await earn(gql, kit, guest)
        answer = {"surveyId": survey_id, "memberId": member, "score": (10, 9, 6, 8, 10)[n]}
        answered = await gql(ANSWER, {"input": answer}, token=kit.secret_key)
        assert answered["submitSurveyResponse"]["errors"] == [], answered


async def _world(settings: Settings) -> ConsoleWorld:
    services = await Services.start(settings)
    try:
        transport = httpx.ASGITransport(app=create_app(services=services))
        async with httpx.AsyncClient(transport=transport, base_url="http://shots") as http:
            gql = GraphQLClient(http)
            kit = await provision_tenant(services, SECRET)
            world = await make_console_world(services, gql, kit)
            await _orders(gql, world)
            return world
    finally:
        await services.close()


def _shoot(server: ApiServer, world: ConsoleWorld, out: Path) -> list[Path]:
    slug = world.kit.slug
    taken = []
    driver = chromium(1280, 860)
    try:
        page = ConsolePage(driver, server.url)

        def shot(name: str) -> None:
            path = out / f"{name}.png"
            driver.save_screenshot(str(path))
            taken.append(path)

        page.open()
        page.find("form.login")
        shot("sign-in")
        page.sign_in(world.owner.email, world.password)
        page.find(f'#overview tr[data-tenant="{slug}"]')
        shot("overview")
        page.go(f"#/t/{slug}/dashboard")
        page.find(".charts figure")
        shot("dashboard")
        page.go(f"#/t/{slug}/members/{world.member_id}")
        page.find("#balance")
        shot("member")
        page.go(f"#/t/{slug}/program")
        gold = page.find('form.tier[data-tier="Gold"]')
        threshold = gold.find_element("name", "threshold")
        threshold.clear()
        threshold.send_keys("250")
        gold.find_element("css selector", "button.preview-button").click()
        page.text_appears('form.tier[data-tier="Gold"] .preview', "would move")
        shot("program")
        page.go(f"#/t/{slug}/team")
        page.find("main table")
        shot("team")
        driver.set_window_size(390, 860)
        page.go(f"#/t/{slug}/members")
        page.find("#member-results td")
        shot("phone-members")
    finally:
        driver.quit()
    return taken


async def main() -> None:
    admin = await postgres_admin_url()
    name, url = await create_test_database(admin)
    server = None
    try:
        settings = Settings(
            environment="production", database_url=url, redis_url=redis_url(), secret_key=SECRET
        )
        world = await _world(settings)
        server = ApiServer({})
        server.env = {
            "LOYALTY_ENVIRONMENT": "production",
            "LOYALTY_DATABASE_URL": url,
            "LOYALTY_REDIS_URL": redis_url(),
            "LOYALTY_SECRET_KEY": SECRET,
            "LOYALTY_PUBLIC_URL": f"http://127.0.0.1:{server.port}",
        }
        server.start()
        OUT.mkdir(parents=True, exist_ok=True)
        for path in _shoot(server, world, OUT):
            print(path.relative_to(ROOT))
    finally:
        if server is not None:
            server.stop()
        await drop_test_database(admin, name)


if __name__ == "__main__":
    asyncio.run(main())
