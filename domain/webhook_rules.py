"""The rules of webhooks: which URLs and event types an endpoint may have, its secrets, the
retry schedule and when a failing endpoint is disabled."""

from __future__ import annotations

import base64
import ipaddress
import json
import random
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from domain.errors import DomainError
from domain.events import TEST_EVENT, EventType, iso
from domain.records.webhooks import WebhookDelivery, WebhookEndpoint

SECRET_PREFIX = "whsec_"
MAX_URL_LENGTH = 2000
MAX_DESCRIPTION_LENGTH = 500
MAX_ENDPOINTS = 20
MAX_ROLLOVER = timedelta(days=7)
DEFAULT_ROLLOVER = timedelta(hours=24)
_PRIVATE_NAMES = ("localhost", "localhost.localdomain")


def new_secret() -> str:
    """`whsec_` and 32 random bytes in base64, as Standard Webhooks libraries read it."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def endpoint_url(url: str, *, allow_private: bool) -> str:
    """The URL as stored, or a refusal: http or https, a host, no credentials in it; unless
    `allow_private`, no loopback, private, link-local or reserved address (literal, or the
    names of this machine)."""
    url = url.strip()
    if not url or len(url) > MAX_URL_LENGTH:
        raise DomainError(f"A URL of at most {MAX_URL_LENGTH} characters.", field=("url",))
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - raises on a port that is not a number in range
    except ValueError:
        raise DomainError("Not a valid URL.", field=("url",)) from None
    if parts.scheme not in ("http", "https") or not host:
        raise DomainError("An http or https URL with a host.", field=("url",))
    if parts.username is not None or parts.password is not None:
        raise DomainError("Put no credentials in the URL.", field=("url",))
    if not allow_private and _private_host(host):
        raise DomainError(
            "The URL points at a private, loopback or reserved address.", field=("url",)
        )
    return url


def _private_host(host: str) -> bool:
    name = host.rstrip(".").lower()
    if name in _PRIVATE_NAMES or name.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False  # a name: checked again against what it resolves to when sending
    return private_address(address)


def private_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return not address.is_global or address.is_multicast


def event_types(types: Sequence[str]) -> tuple[str, ...]:
    known = {t.value for t in EventType}
    unknown = sorted({t for t in types if t not in known})
    if unknown:
        raise DomainError(f"Unknown event types: {', '.join(unknown)}.", field=("eventTypes",))
    if not types:
        raise DomainError("Name at least one event type.", field=("eventTypes",))
    return tuple(sorted(set(types)))


def description(text: str | None) -> str | None:
    if text is None:
        return None
    text = text.strip()
    if len(text) > MAX_DESCRIPTION_LENGTH:
        raise DomainError(
            f"A description of at most {MAX_DESCRIPTION_LENGTH} characters.",
            field=("description",),
        )
    return text or None


def rollover(hours: int | None) -> timedelta:
    if hours is None:
        return DEFAULT_ROLLOVER
    window = timedelta(hours=hours)
    if window < timedelta(0) or window > MAX_ROLLOVER:
        raise DomainError("rolloverHours must be between 0 and 168.", field=("rolloverHours",))
    return window


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff with jitter: the n-th retry waits base·2^(n-1), capped, and then a
    random half of that again at most (so retries of many deliveries spread out), until the
    window since the delivery was made has passed: then it has failed."""

    base: timedelta = timedelta(seconds=30)
    cap: timedelta = timedelta(hours=6)
    window: timedelta = timedelta(days=3)
    # An endpoint is disabled once every attempt for this long has failed.
    disable_after: timedelta = timedelta(days=5)
    lease: timedelta = timedelta(seconds=60)

    def next_attempt(
        self,
        delivery: WebhookDelivery,
        now: datetime,
        jitter: Callable[[], float] = random.random,
    ) -> datetime | None:
        """When to try again after the failed attempt number `delivery.attempts`; None when
        the window is over."""
        steps = max(delivery.attempts - 1, 0)
        delay = self.cap if steps >= 40 else min(self.base * (2**steps), self.cap)
        at = now + delay * (0.5 + 0.5 * jitter())
        if at > delivery.created_at + self.window:
            return None
        return at

    def should_disable(self, endpoint: WebhookEndpoint, now: datetime) -> bool:
        return (
            endpoint.enabled
            and endpoint.failing_since is not None
            and now - endpoint.failing_since >= self.disable_after
        )


def disable_notice(endpoint: WebhookEndpoint, policy: RetryPolicy) -> str:
    return (
        f"Every delivery attempt failed for {policy.disable_after} "
        f"({endpoint.consecutive_failures} attempts in a row) since {iso(endpoint.failing_since)}."
    )


def message_body(delivery: WebhookDelivery, tenant: str) -> bytes:
    """The JSON body of a delivery: the same bytes on every attempt."""
    body = {
        "type": delivery.event_type,
        "timestamp": iso(delivery.occurred_at),
        "tenant": tenant,
        "data": delivery.data,
    }
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def message_id(delivery: WebhookDelivery) -> str:
    """The webhook-id header: the event's, the same on every attempt and redelivery, so a
    receiver can drop what it has already handled."""
    return f"msg_{delivery.msg_id.hex}"


def test_event_data(endpoint: WebhookEndpoint) -> dict[str, object]:
    return {"endpointId": str(endpoint.id), "test": True, "type": TEST_EVENT}
