"""Given answers of each kind, when the fuzzers' checks judge them, then only a 5xx and a
masked INTERNAL error fail the lenient check, and the strict one also wants GraphQL JSON:
a check that passed everything would make every fuzz test pass for nothing."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.fuzz.checks import assert_answered, assert_no_server_error
from tests.support.live_api import Sent

SENT = Sent(b'{"query": "{ me { id } }"}', {"X-Credential": "member"})
INTERNAL = {"message": "Unexpected error.", "extensions": {"code": "INTERNAL", "requestId": "x"}}
FORBIDDEN = {"message": "No.", "extensions": {"code": "FORBIDDEN"}}


def answer(status: int, body: Any = None, text: str | None = None) -> httpx.Response:
    if text is not None:
        return httpx.Response(status, text=text)
    return httpx.Response(status, json=body)


@pytest.mark.parametrize(
    "response",
    [
        answer(200, {"data": {"me": {"id": "1"}}}),
        answer(200, {"data": None, "errors": [FORBIDDEN]}),
        answer(200, {"data": {"x": {"errors": [{"code": "INVALID", "message": "m"}]}}}),
        answer(400, {"errors": [{"message": "Syntax Error"}]}),
        answer(401, {"errors": [{"message": "Token refused."}]}),
        answer(429, {"errors": [{"message": "Slow down."}]}),
    ],
)
def test_refusals_and_data_pass(response: httpx.Response) -> None:
    assert_no_server_error(response, SENT)
    assert_answered(response, SENT)


@pytest.mark.parametrize(
    "response",
    [
        answer(500, text="Internal Server Error"),
        answer(503, {"errors": [{"message": "down"}]}),
        answer(200, {"data": None, "errors": [INTERNAL]}),
        answer(200, {"data": {"a": 1}, "errors": [FORBIDDEN, INTERNAL]}),
    ],
)
def test_server_errors_and_internal_fail(response: httpx.Response) -> None:
    with pytest.raises(AssertionError, match=r"HTTP 5|INTERNAL"):
        assert_no_server_error(response, SENT)


@pytest.mark.parametrize(
    "response",
    [
        answer(400, text="Unable to parse request body as JSON"),
        answer(200, {"data": None}),
        answer(200, [1, 2]),
        answer(200, {"errors": [{"no": "message"}]}),
    ],
)
def test_the_strict_check_wants_graphql_json(response: httpx.Response) -> None:
    assert_no_server_error(response, SENT)
    with pytest.raises(AssertionError):
        assert_answered(response, SENT)
