"""The agency documents the console sends (graphql/operations/agency/), served by name at
/console/operations/<Name>.graphql so the page loads them rather than keeping copies, and run
in-process through the /graphql endpoint itself for the session routes."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import orjson
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send

from api.http.errors import REQUEST_ID_KEY, request_id
from api.http.persisted_queries import OPERATIONS_DIR

AGENCY = OPERATIONS_DIR / "agency"
_NAME = re.compile(r"[A-Z][A-Za-z0-9]{0,80}")


@cache
def _agency_documents() -> dict[str, str]:
    """Every agency document by its file's name, read once (so a request for a name that is
    not one costs a dictionary look-up and is never cached)."""
    return {
        path.stem: path.read_text("utf-8")
        for path in sorted(AGENCY.glob("*.graphql"))
        if _NAME.fullmatch(path.stem)
    }


def agency_document(name: str) -> str | None:
    return _agency_documents().get(name)


class ConsoleDocuments:
    """GET /console/operations/<Name>.graphql: one agency document, as stored."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        file = scope["path_params"]["name"]
        name, dot, suffix = file.partition(".")
        text = agency_document(name) if dot and suffix == "graphql" else None
        if text is None:
            await Response(status_code=404)(scope, receive, send)
            return
        response = Response(
            text,
            media_type="application/graphql; charset=utf-8",
            headers={"cache-control": "no-cache"},
        )
        await response(scope, receive, send)


async def run_agency_document(
    scope: Scope, name: str, variables: dict[str, Any], authorization: str | None = None
) -> tuple[int, dict[str, Any]]:
    """Sends the agency document `name` to the app's /graphql endpoint as a POST from the same
    client (its address, so logins are throttled as any other), and returns the status and
    JSON it answered: the public API, not a path of its own."""
    text = agency_document(name)
    assert text is not None, name
    body = orjson.dumps({"query": text, "operationName": name, "variables": variables})
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
    ]
    if authorization:
        headers.append((b"authorization", authorization.encode("latin-1")))
    inner: dict[str, Any] = {
        "type": "http",
        "asgi": scope.get("asgi", {"version": "3.0"}),
        "http_version": scope.get("http_version", "1.1"),
        "method": "POST",
        "scheme": scope.get("scheme", "http"),
        "server": scope.get("server"),
        "client": scope.get("client"),
        "path": "/graphql",
        "raw_path": b"/graphql",
        "root_path": scope.get("root_path", ""),
        "query_string": b"",
        "headers": headers,
        "app": scope["app"],
        "state": dict(scope.get("state") or {}),
        REQUEST_ID_KEY: request_id(scope),
    }
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    status = 500
    chunks: list[bytes] = []

    async def send(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await scope["app"].state.graphql(inner, receive, send)
    answer = orjson.loads(b"".join(chunks) or b"{}")
    return status, answer if isinstance(answer, dict) else {}
