"""A graphql-transport-ws client on the `websockets` library, speaking the protocol as
graphql-ws (the reference client) does: connection_init with a payload, subscribe, then
next/error/complete messages, each a JSON text frame."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import websockets

PROTOCOL = "graphql-transport-ws"
WAIT = 15.0  # seconds: generous on a loaded 2-core machine


class Closed(AssertionError):
    def __init__(self, code: int | None, reason: str) -> None:
        super().__init__(f"socket closed: {code} {reason}")
        self.code = code
        self.reason = reason


class Socket:
    def __init__(self, ws: websockets.ClientConnection) -> None:
        self._ws = ws
        self._ids = 0

    async def subscribe(self, query: str, variables: dict[str, Any] | None = None) -> str:
        self._ids += 1
        sid = str(self._ids)
        payload = {"query": query, "variables": variables or {}}
        await self._ws.send(json.dumps({"id": sid, "type": "subscribe", "payload": payload}))
        return sid

    async def message(self, within: float = WAIT) -> dict[str, Any]:
        """The next message other than ping/pong; Closed when the server closed."""
        while True:
            try:
                raw = await asyncio.wait_for(self._ws.recv(), within)
            except websockets.ConnectionClosed as closed:
                raise Closed(
                    closed.rcvd.code if closed.rcvd else None,
                    closed.rcvd.reason if closed.rcvd else "",
                ) from None
            # The protocol's messages are text frames: graphql-ws and browsers read a
            # binary one as no message at all.
            assert isinstance(raw, str), f"a binary frame: {raw!r}"
            found: dict[str, Any] = json.loads(raw)
            if found["type"] == "ping":
                await self._ws.send(json.dumps({"type": "pong"}))
            elif found["type"] != "pong":
                return found

    async def next_data(self, within: float = WAIT) -> dict[str, Any]:
        found = await self.message(within)
        assert found["type"] == "next", found
        assert "errors" not in found["payload"], found
        data: dict[str, Any] = found["payload"]["data"]
        return data

    async def quiet_for(self, seconds: float) -> bool:
        """Whether nothing arrived for `seconds`."""
        try:
            await self.message(seconds)
        except TimeoutError:
            return True
        return False

    async def closed(self, within: float = WAIT) -> Closed:
        try:
            found = await self.message(within)
        except Closed as closed:
            return closed
        raise AssertionError(f"expected the socket to close, got {found}")


@asynccontextmanager
async def connected(
    url: str, payload: dict[str, Any] | None, headers: dict[str, str] | None = None
) -> AsyncIterator[Socket]:
    """A socket to `url` (http://… is turned into ws://…/graphql) after connection_init;
    Closed when the server refuses it."""
    ws_url = url.replace("http://", "ws://").rstrip("/") + "/graphql"
    async with websockets.connect(
        ws_url, subprotocols=[PROTOCOL], additional_headers=headers or {}
    ) as ws:
        socket = Socket(ws)
        init: dict[str, Any] = {"type": "connection_init"}
        if payload is not None:
            init["payload"] = payload
        await ws.send(json.dumps(init))
        ack = await socket.message()
        assert ack["type"] == "connection_ack", ack
        yield socket
