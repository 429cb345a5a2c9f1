"""The API as a real uvicorn process on a free port of 127.0.0.1, for the fuzz suites.

A real process answers as production does: an exception nothing caught becomes uvicorn's
plain-text 500 rather than an exception inside the test, and a request that pins the event
loop shows as a request that gets no answer. The process runs on the test database and
Redis, so tenants the fixtures create in-process are the ones it serves.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

import httpx

from tests.support.api_server import ApiServer

# Long enough for any honest request on a loaded 2-core machine; a request still unanswered
# then has pinned the server.
ANSWER_SECONDS = float(os.environ.get("LOYALTY_FUZZ_ANSWER_SECONDS", "20"))


class ServerStuck(AssertionError):
    """The server stopped answering; what it was last asked is in the message."""


@dataclass
class Sent:
    """One request as it went out, printable as a reproducer."""

    body: bytes
    headers: dict[str, str]

    def reproducer(self) -> str:
        shown = {k: v for k, v in self.headers.items() if k.lower() != "authorization"}
        kind = self.headers.get("X-Credential", "anonymous")
        return f"credential={kind} headers={shown} body={self.body.decode('utf-8', 'replace')}"


@dataclass
class LiveApi:
    """`start()` serves the app (tests/support/api_server.py); `post()` sends one GraphQL
    body; `restart()` after a hang."""

    env: dict[str, str]
    server: ApiServer | None = None
    stuck_on: Sent | None = None
    _http: httpx.Client | None = None

    @property
    def url(self) -> str:
        assert self.server is not None, "start() the server first"
        return self.server.url

    def start(self) -> None:
        self.server = ApiServer(self.env)
        self.server.start()
        self._http = httpx.Client(base_url=self.url, timeout=ANSWER_SECONDS)
        self.stuck_on = None

    def stop(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None
        if self.server is not None:
            self.server.kill()
            self.server.stop()

    def restart(self) -> None:
        self.stop()
        self.start()

    @property
    def needs_restart(self) -> bool:
        return self.stuck_on is not None or self.server is None or not self.server.running()

    def post(self, payload: object, headers: dict[str, str]) -> tuple[httpx.Response, Sent]:
        """Sends `payload` as JSON text with every non-ASCII character escaped, so values no
        UTF-8 encoder accepts (lone surrogates) still reach the server as valid JSON."""
        body = json.dumps(payload, ensure_ascii=True).encode()
        return self.post_raw(body, headers), Sent(body, headers)

    def post_raw(self, body: bytes, headers: dict[str, str]) -> httpx.Response:
        sent = Sent(body, headers)
        if self.stuck_on is not None:
            raise ServerStuck(
                "the server stopped answering earlier in this test, on: "
                + self.stuck_on.reproducer()
            )
        assert self._http is not None, "start() the server first"
        try:
            return self._http.post(
                "/graphql", content=body, headers={"Content-Type": "application/json", **headers}
            )
        except httpx.TimeoutException:
            self.stuck_on = sent
            raise ServerStuck(f"no answer within {ANSWER_SECONDS} s: {sent.reproducer()}") from None
        except httpx.TransportError as exc:
            self.stuck_on = sent
            raise ServerStuck(f"connection dropped ({exc!r}): {sent.reproducer()}") from None


def bearer(token: str, tenant: str | None = None, kind: str = "") -> dict[str, Any]:
    """Headers of a credential; X-Credential only labels reproducers (the server ignores it)."""
    headers = {"Authorization": f"Bearer {token}", "X-Credential": kind}
    if tenant:
        headers["X-Tenant"] = tenant
    return headers
