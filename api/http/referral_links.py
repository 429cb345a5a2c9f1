"""GET /r/<tenant>/<code>: the platform's own referral link (Member.referralUrl when the
program sets no urlTemplate).

A visit is counted (Member.referralStats.clicks) and redirected (302) to the program's
landingUrl with the code as `?ref=`, else to its urlTemplate. A program that names neither
gets a page showing the code to use at sign-up. An unknown tenant, an unknown code, a
suspended tenant or member, and a switched-off program all get the same 404 page: the link
tells nobody which tenants or codes exist.
"""

from __future__ import annotations

from html import escape

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from domain.errors import DomainError
from domain.referral_visits import visit_referral_link
from persistence.uow import PgUnitOfWorkFactory
from tenants.naming import validate_slug

_NO_STORE = {"cache-control": "no-store"}  # each visit reaches the server to be counted
_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;
color:#222}}code{{font-size:1.4rem;background:#f3f3f3;padding:.2rem .5rem}}</style>
</head><body><h1>{title}</h1><p>{body}</p></body></html>
"""


def _page(title: str, body: str, status: int) -> HTMLResponse:
    return HTMLResponse(_PAGE.format(title=title, body=body), status, headers=_NO_STORE)


def _not_found() -> HTMLResponse:
    return _page(
        "This referral link does not work",
        "It may have been mistyped, or the program it belonged to has ended. "
        "Ask your friend for their link again.",
        404,
    )


async def referral_link(request: Request) -> Response:
    services = request.app.state.services
    try:
        slug = validate_slug(request.path_params["tenant"])
    except DomainError:
        return _not_found()
    tenant = await services.registry.by_slug(slug)
    if tenant is None or not tenant.active:
        return _not_found()
    uow = PgUnitOfWorkFactory(services.clusters.of(tenant), tenant.schema_name, services.programs)
    landing = await visit_referral_link(
        uow, services.clock, tenant.slug, request.path_params["code"]
    )
    if landing is None:
        return _not_found()
    if landing.url is not None:
        return RedirectResponse(landing.url, 302, headers=_NO_STORE)
    return _page(
        "You were invited",
        f"Use the referral code <code>{escape(landing.code)}</code> when you sign up.",
        200,
    )
