"""What every fuzzed request must get: an answer below 500 without a masked INTERNAL error.

Refusals of every kind (4xx, validation errors, typed user errors, UNAUTHENTICATED,
FORBIDDEN, RATE_LIMITED) are answers; a 5xx or an INTERNAL error is a bug."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.live_api import Sent

INTERNAL = "INTERNAL"


def _errors_of(body: Any) -> list[Any]:
    if isinstance(body, dict) and isinstance(body.get("errors"), list):
        return body["errors"]
    return []


def internal_errors(body: Any) -> list[Any]:
    return [
        e
        for e in _errors_of(body)
        if isinstance(e, dict) and (e.get("extensions") or {}).get("code") == INTERNAL
    ]


def assert_no_server_error(response: httpx.Response, sent: Sent) -> Any:
    """No 5xx and no INTERNAL; the body is returned when it is JSON, else None."""
    assert response.status_code < 500, (
        f"HTTP {response.status_code}: {response.text[:500]!r}\nrequest: {sent.reproducer()}"
    )
    try:
        body = response.json()
    except ValueError:
        return None
    found = internal_errors(body)
    assert not found, f"masked INTERNAL error {found}\nrequest: {sent.reproducer()}"
    return body


def assert_answered(response: httpx.Response, sent: Sent) -> None:
    """assert_no_server_error, and the answer is GraphQL JSON: data, or typed errors."""
    body = assert_no_server_error(response, sent)
    where = f"\nrequest: {sent.reproducer()}"
    assert isinstance(body, dict), (
        f"not a GraphQL JSON answer (HTTP {response.status_code}): {response.text[:300]!r}" + where
    )
    errors = _errors_of(body)
    assert body.get("data") is not None or errors, f"neither data nor errors: {body}" + where
    for error in errors:
        assert isinstance(error, dict) and isinstance(error.get("message"), str), (
            f"an error without a message: {error}" + where
        )
