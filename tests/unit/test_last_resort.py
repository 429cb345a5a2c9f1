"""Given an ASGI application that raises, when it is wrapped by the last resort, then a
request gets a JSON 500 with the request id if nothing was sent yet, and the exception is
not raised on to the server either way."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.types import Message, Receive, Scope, Send

from api.http.last_resort import LastResort


async def _never(*args: Any) -> None:
    raise AssertionError("the body is not read")


async def _call(app: Any) -> list[Message]:
    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/graphql", "headers": []}
    await LastResort(app)(scope, _never, send)
    return sent


async def test_an_exception_before_the_response_is_a_json_500():
    # given an application that raises at once
    async def raising(scope: Scope, receive: Receive, send: Send) -> None:
        raise RuntimeError("secret internals")

    # when a request reaches it through the last resort
    start, body = await _call(raising)

    # then the answer is the contract's INTERNAL error with the request id
    assert start["status"] == 500
    headers = dict(start["headers"])
    request_id = headers[b"x-request-id"].decode()
    assert headers[b"content-type"] == b"application/json"
    assert orjson.loads(body["body"]) == {
        "errors": [
            {
                "message": "Unexpected error.",
                "extensions": {"code": "INTERNAL", "requestId": request_id},
            }
        ]
    }


async def test_an_exception_after_the_response_started_is_not_answered_twice():
    # given an application that raises once its answer is under way
    async def half(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        raise RuntimeError("too late")

    # when a request reaches it
    sent = await _call(half)

    # then nothing more is sent, and nothing raised
    assert [m["type"] for m in sent] == ["http.response.start"]
