"""graphql-transport-ws messages in text frames, as the protocol has them.

strawberry's adapter sends whatever the view's `encode_json` returns, and the platform's
returns bytes (orjson), which would go out as binary frames: graphql-ws, the reference
client, reads one as a message with no `type` and closes the socket with 4400, and a browser
hands it over as a Blob. So sockets get the same encoding, as text."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.websockets import WebSocketDisconnect
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.http.exceptions import WebSocketDisconnected


class TextFrameAdapter(ASGIWebSocketAdapter):
    async def send_json(self, message: Mapping[str, object]) -> None:
        encoded = self.view.encode_json(message)
        text = encoded.decode() if isinstance(encoded, bytes) else encoded
        try:
            await self.ws.send_text(text)
        except WebSocketDisconnect as exc:
            raise WebSocketDisconnected from exc
