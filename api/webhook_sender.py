"""POSTs one webhook message, signed by the Standard Webhooks specification."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from datetime import datetime
from urllib.parse import urlsplit

import httpx
from standardwebhooks.webhooks import Webhook

from domain.records.webhooks import AttemptResult, DueDelivery
from domain.webhook_rules import message_id, private_address

USER_AGENT = "loyalty-webhooks/1"


def signed_headers(due: DueDelivery, body: bytes, now: datetime) -> dict[str, str]:
    """webhook-id, webhook-timestamp and webhook-signature: one `v1,…` signature per secret
    in force (two during a rotation's rollover), space-separated, as the specification has
    it; a receiver that knows either secret verifies."""
    msg_id = message_id(due.delivery)
    signatures = " ".join(
        Webhook(secret).sign(msg_id, now, body) for secret in due.secrets.signing(now)
    )
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signatures,
        "content-type": "application/json",
        "user-agent": USER_AGENT,
    }


class HttpWebhookSender:
    """Redirects are not followed (a 3xx is a failure); the answer's body is never read."""

    def __init__(self, client: httpx.AsyncClient, *, allow_private: bool) -> None:
        self._client = client
        self._allow_private = allow_private

    async def send(self, due: DueDelivery, body: bytes, now: datetime) -> AttemptResult:
        try:
            if not self._allow_private:
                await _refuse_private(due.url)
            async with self._client.stream(
                "POST", due.url, content=body, headers=signed_headers(due, body, now)
            ) as answer:
                status = answer.status_code
        except (httpx.HTTPError, OSError, PrivateAddress) as exc:
            return AttemptResult(None, f"{type(exc).__name__}: {exc}"[:500])
        return AttemptResult(status, None if 200 <= status < 300 else f"HTTP {status}")


class PrivateAddress(Exception):
    pass


async def _refuse_private(url: str) -> None:
    """The URL's host, as it resolves now, must be a public address (a name that was public
    when the endpoint was registered may point elsewhere since)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if private_address(address):
            raise PrivateAddress(f"{host} resolves to a private address")
