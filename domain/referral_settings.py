"""The referral program's settings: what a referral earns each side, when, and how often.

Settings are versioned like the program configuration; a referral is rewarded under the
settings current when it qualifies.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit
from uuid import UUID

from domain.errors import DomainError
from domain.program import LimitPeriod

MAX_REWARD_POINTS = 1_000_000
MAX_TEMPLATE = 500
# Only these placeholders; anything else in braces is a typo the merchant should see now.
_HTTP_URL = re.compile(r"^https?://[^\s/?#]+[^\s]*$")
_PLACEHOLDER = re.compile(r"\{(?:code|tenant)\}")


class ReferralTrigger(StrEnum):
    SIGNUP = "SIGNUP"
    FIRST_ORDER = "FIRST_ORDER"


@dataclass(frozen=True, slots=True)
class ReferralReward:
    """Points, or one reward from the catalog (issued as a redemption, free to the member)."""

    points: int | None = None
    reward_id: UUID | None = None


@dataclass(frozen=True, slots=True)
class ReferralSettings:
    version: int = 0
    active: bool = True
    url_template: str | None = None
    # Where the platform's own link (/r/<tenant>/<code>) sends a visitor, with the code added
    # as the `ref` query parameter: the storefront's sign-up or home page.
    landing_url: str | None = None
    referrer_reward: ReferralReward | None = None
    referee_reward: ReferralReward | None = None
    trigger: ReferralTrigger = ReferralTrigger.FIRST_ORDER
    min_order_minor: int = 0
    cap: int | None = None
    cap_period: LimitPeriod | None = None

    @property
    def rewards_anything(self) -> bool:
        return self.active and (self.referrer_reward is not None or self.referee_reward is not None)


DEFAULT_SETTINGS = ReferralSettings()


def default_url(public_url: str, tenant_slug: str, code: str) -> str:
    return f"{public_url.rstrip('/')}/r/{tenant_slug}/{code}"


def render_url(template: str, tenant_slug: str, code: str) -> str:
    # str.replace, never str.format: a template is merchant input.
    return template.replace("{code}", code).replace("{tenant}", tenant_slug)


def landing_with_code(landing_url: str, code: str) -> str:
    """The landing URL with `ref=<code>` among its query parameters (any `ref` it had is
    replaced; the rest of the query and the fragment stay)."""
    parts = urlsplit(landing_url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "ref"]
    return urlunsplit(parts._replace(query=urlencode([*query, ("ref", code)])))


def _http_url(url: str, field: str) -> str:
    cleaned = url.strip()
    if not 1 <= len(cleaned) <= MAX_TEMPLATE or not re.match(
        r"^https?://[^\s/?#]+[^\s]*$", cleaned
    ):
        raise DomainError(
            f"{field} must be an http(s) URL of at most {MAX_TEMPLATE} characters.",
            field=(field,),
        )
    return cleaned


def _validate_landing(url: str) -> str:
    cleaned = _http_url(url, "landingUrl")
    if re.search(r"[{}]", cleaned):
        raise DomainError(
            "landingUrl takes no placeholders: the code is added as ?ref=.", field=("landingUrl",)
        )
    return cleaned


def _validate_template(template: str) -> str:
    cleaned = _http_url(template, "urlTemplate")
    field = ("urlTemplate",)
    if "{code}" not in cleaned:
        raise DomainError("urlTemplate must contain {code}.", field=field)
    if re.search(r"[{}]", _PLACEHOLDER.sub("", cleaned)):
        raise DomainError("urlTemplate may only use {code} and {tenant}.", field=field)
    return cleaned


def _validate_reward(reward: ReferralReward, name: str) -> None:
    if (reward.points is None) == (reward.reward_id is None):
        raise DomainError("Give exactly one of points and rewardId.", field=(name, "points"))
    if reward.points is not None and not 1 <= reward.points <= MAX_REWARD_POINTS:
        raise DomainError(f"points must be 1 to {MAX_REWARD_POINTS:,}.", field=(name, "points"))


def validate(settings: ReferralSettings) -> ReferralSettings:
    """Checks the fields that need no database; catalog rewards are checked by the caller."""
    if settings.url_template is not None:
        settings = replace(settings, url_template=_validate_template(settings.url_template))
    if settings.landing_url is not None:
        settings = replace(settings, landing_url=_validate_landing(settings.landing_url))
    if settings.referrer_reward is not None:
        _validate_reward(settings.referrer_reward, "referrerReward")
    if settings.referee_reward is not None:
        _validate_reward(settings.referee_reward, "refereeReward")
    if not 0 <= settings.min_order_minor <= 10**12:
        raise DomainError("minOrderValue must be 0 to 10^12.", field=("minOrderValue",))
    if settings.cap is not None and not 1 <= settings.cap <= 100_000:
        raise DomainError("cap must be 1 to 100,000.", field=("cap",))
    if settings.cap is None and settings.cap_period is not None:
        raise DomainError("capPeriod needs a cap.", field=("capPeriod",))
    return settings


# --- storage form -------------------------------------------------------------------------


def _reward_json(reward: ReferralReward | None) -> dict[str, Any] | None:
    if reward is None:
        return None
    return {
        "points": reward.points,
        "reward_id": str(reward.reward_id) if reward.reward_id else None,
    }


def _reward_of(data: dict[str, Any] | None) -> ReferralReward | None:
    if not data:
        return None
    return ReferralReward(
        points=data.get("points"),
        reward_id=UUID(data["reward_id"]) if data.get("reward_id") else None,
    )


def to_json(s: ReferralSettings) -> dict[str, Any]:
    return {
        "active": s.active,
        "url_template": s.url_template,
        "landing_url": s.landing_url,
        "referrer_reward": _reward_json(s.referrer_reward),
        "referee_reward": _reward_json(s.referee_reward),
        "trigger": s.trigger.value,
        "min_order_minor": s.min_order_minor,
        "cap": s.cap,
        "cap_period": s.cap_period.value if s.cap_period else None,
    }


def from_json(version: int, data: dict[str, Any]) -> ReferralSettings:
    return ReferralSettings(
        version=version,
        active=data.get("active", True),
        url_template=data.get("url_template"),
        landing_url=data.get("landing_url"),
        referrer_reward=_reward_of(data.get("referrer_reward")),
        referee_reward=_reward_of(data.get("referee_reward")),
        trigger=ReferralTrigger(data.get("trigger", ReferralTrigger.FIRST_ORDER.value)),
        min_order_minor=data.get("min_order_minor", 0),
        cap=data.get("cap"),
        cap_period=LimitPeriod(data["cap_period"]) if data.get("cap_period") else None,
    )
