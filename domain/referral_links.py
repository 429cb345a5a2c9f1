"""A member's referral link: the program's template when it has one, else the platform's
own link."""

from __future__ import annotations

from domain.referral_settings import ReferralSettings, default_url, render_url


def referral_link(settings: ReferralSettings, public_url: str, tenant_slug: str, code: str) -> str:
    if settings.url_template:
        return render_url(settings.url_template, tenant_slug, code)
    return default_url(public_url, tenant_slug, code)
