"""The rules of webhooks: URLs, event types, the retry schedule, disabling, secrets."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from domain.errors import DomainError
from domain.records.webhooks import (
    DeliveryStatus,
    EndpointSecrets,
    WebhookDelivery,
    WebhookEndpoint,
)
from domain.webhook_rules import (
    RetryPolicy,
    endpoint_url,
    event_types,
    new_secret,
    rollover,
)

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def _delivery(attempts: int, created_at: datetime = NOW) -> WebhookDelivery:
    return WebhookDelivery(
        1, 1, uuid4(), "points.changed", uuid4(), uuid4(), DeliveryStatus.PENDING, attempts,
        None, None, None, None, created_at, None, created_at, {},
    )  # fmt: skip


def _endpoint(failing_since: datetime | None, enabled: bool = True) -> WebhookEndpoint:
    return WebhookEndpoint(
        uuid4(), 1, "https://x.example", None, ("points.changed",), enabled, None, None,
        failing_since, 3, None, NOW, NOW,
    )  # fmt: skip


def test_retries_back_off_exponentially_with_jitter_up_to_the_cap():
    policy = RetryPolicy(base=timedelta(seconds=30), cap=timedelta(hours=6))
    # no jitter (0.0) takes half the delay, full jitter (1.0) the whole of it
    waits = [policy.next_attempt(_delivery(n), NOW, lambda: 1.0) for n in range(1, 6)]
    assert [w - NOW for w in waits if w] == [timedelta(seconds=30 * 2**k) for k in range(5)]
    half = policy.next_attempt(_delivery(3), NOW, lambda: 0.0)
    assert half is not None and half - NOW == timedelta(seconds=60)
    capped = policy.next_attempt(_delivery(30), NOW, lambda: 1.0)
    assert capped is not None and capped - NOW == timedelta(hours=6)
    assert policy.next_attempt(_delivery(10_000), NOW, lambda: 1.0) == NOW + timedelta(hours=6)


def test_a_delivery_is_retried_for_three_days_then_fails():
    policy = RetryPolicy()
    made = NOW - timedelta(days=3) + timedelta(minutes=1)
    assert policy.next_attempt(_delivery(2, made), NOW, lambda: 0.0) is not None
    assert policy.next_attempt(_delivery(20, made), NOW, lambda: 1.0) is None


def test_the_default_schedule_spans_the_window_in_a_bounded_number_of_attempts():
    policy = RetryPolicy()
    at, attempts = NOW, 1
    while (next_at := policy.next_attempt(_delivery(attempts), at, lambda: 1.0)) is not None:
        at, attempts = next_at, attempts + 1
    assert timedelta(days=2) < at - NOW <= timedelta(days=3)
    assert 15 <= attempts <= 25


def test_an_endpoint_failing_for_five_days_is_disabled():
    policy = RetryPolicy()
    assert not policy.should_disable(_endpoint(None), NOW)
    assert not policy.should_disable(_endpoint(NOW - timedelta(days=4)), NOW)
    assert policy.should_disable(_endpoint(NOW - timedelta(days=5)), NOW)
    assert not policy.should_disable(_endpoint(NOW - timedelta(days=9), enabled=False), NOW)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/x",
        "http://localhost:8080/x",
        "http://api.localhost/x",
        "http://[::1]/x",
        "http://[::ffff:10.0.0.1]/x",
        "http://192.168.1.1/x",
        "http://172.16.0.1/x",
        "http://169.254.169.254/x",
        "http://0.0.0.0/x",
        "http://224.0.0.1/x",
    ],
)
def test_private_addresses_are_refused_unless_allowed(url):
    with pytest.raises(DomainError) as refused:
        endpoint_url(url, allow_private=False)
    assert refused.value.field == ("url",)
    assert endpoint_url(url, allow_private=True) == url


@pytest.mark.parametrize(
    "url",
    ["ftp://x.example/", "https://", "x.example/in", "https://a:b@x.example/", "http://x:99999/"],
)
def test_malformed_urls_are_refused_even_when_private_ones_are_allowed(url):
    with pytest.raises(DomainError):
        endpoint_url(url, allow_private=True)


def test_public_urls_are_kept():
    assert endpoint_url(" https://hooks.example.com/in?x=1 ", allow_private=False) == (
        "https://hooks.example.com/in?x=1"
    )


def test_event_types_are_known_and_deduplicated():
    assert event_types(["points.changed", "member.enrolled", "points.changed"]) == (
        "member.enrolled",
        "points.changed",
    )
    with pytest.raises(DomainError):
        event_types(["points.moved"])
    with pytest.raises(DomainError):
        event_types([])


def test_secrets_and_the_rollover():
    first, second = new_secret(), new_secret()
    assert first.startswith("whsec_") and first != second
    secrets = EndpointSecrets(second, first, NOW + timedelta(hours=1))
    assert secrets.signing(NOW) == (second, first)
    assert secrets.signing(NOW + timedelta(hours=1)) == (second,)
    assert replace(secrets, previous=None).signing(NOW) == (second,)
    assert rollover(None) == timedelta(hours=24)
    with pytest.raises(DomainError):
        rollover(169)
