"""A visit of a member's referral link on the platform (/r/<tenant>/<code>): counted, then
sent on to the shop."""

from __future__ import annotations

from dataclasses import dataclass

from domain.clock import Clock
from domain.errors import NotFound
from domain.ports import UnitOfWorkFactory
from domain.records.members import MemberStatus
from domain.referral_settings import landing_with_code, render_url
from domain.referrals import clean_code


@dataclass(frozen=True, slots=True)
class Landing:
    code: str
    # Where to send the visitor; None when the program names no page to land on.
    url: str | None


async def visit_referral_link(
    uow_factory: UnitOfWorkFactory, clock: Clock, tenant_slug: str, code: str
) -> Landing | None:
    """Counts a visit of the link of `code` and says where it leads; None for a code that
    is no active member's, or a referral program that is switched off (nothing counted)."""
    try:
        cleaned = clean_code(code)
    except NotFound:
        return None
    async with uow_factory() as uow:
        member = await uow.members.get_by_referral_code(cleaned)
        if member is None or member.status is not MemberStatus.ACTIVE:
            return None
        settings = await uow.referrals.settings()
        if not settings.active:
            return None
        await uow.referrals.count_click(member.id, clock.now())
    if settings.landing_url:
        return Landing(cleaned, landing_with_code(settings.landing_url, cleaned))
    if settings.url_template:  # the program's own links lead to the shop already
        return Landing(cleaned, render_url(settings.url_template, tenant_slug, cleaned))
    return Landing(cleaned, None)
