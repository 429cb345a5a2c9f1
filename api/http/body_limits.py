"""Bounds on what a request may make the server read, checked before anything is parsed.

A body is read in chunks and the reading stops at the limit, so a 50 MB upload costs no more
than the limit; a Content-Length above it is refused before a byte is read. A GET carries
its document in the query string, held to the same limit. The document's text is bounded on
its own (`max_query_length`), before the parser sees it: parsing is linear in the text,
and what the parser keeps (the source, its tokens) lives as long as the cached document.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.types import Receive, Scope

from api.http.errors import PAYLOAD_TOO_LARGE, QUERY_TOO_LARGE, RequestRefused


def _too_large(limit: int) -> RequestRefused:
    return RequestRefused(
        413, PAYLOAD_TOO_LARGE, f"The request body is larger than the limit of {limit} bytes."
    )


def check_declared_length(scope: Scope, limit: int) -> None:
    """Refuses at once a body whose Content-Length is over `limit` (or not a number)."""
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            if not value.strip().isdigit():
                raise RequestRefused(400, "BAD_REQUEST", "Content-Length must be a number.")
            if int(value) > limit:
                raise _too_large(limit)


def check_query_string(scope: Scope, limit: int) -> None:
    """Refuses a URL whose query string (a GET's document and variables) is over `limit`."""
    if len(scope.get("query_string", b"")) > limit:
        raise RequestRefused(
            414, PAYLOAD_TOO_LARGE, f"The query string is longer than the limit of {limit} bytes."
        )


async def read_body(receive: Receive, limit: int) -> bytes | None:
    """The whole body, read chunk by chunk; None when the client went away. Refuses once
    more than `limit` bytes arrived, whatever the headers said."""
    chunks: list[bytes] = []
    return b"".join(chunks) if await write_body(receive, limit, chunks.append) else None


async def write_body(receive: Receive, limit: int, write: Callable[[bytes], object]) -> bool:
    """The body handed to `write` chunk by chunk as it arrives (an upload streamed to a
    file is never held whole); False when the client went away. Refuses once more than
    `limit` bytes arrived, whatever the headers said."""
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return False
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        write(chunk)
        if not message.get("more_body", False):
            return True


def check_query_length(query: str | None, limit: int) -> None:
    """Refuses a document longer than `limit` characters, before it is parsed."""
    if query is not None and len(query) > limit:
        raise RequestRefused(
            413,
            QUERY_TOO_LARGE,
            f"The GraphQL document is longer than the limit of {limit} characters.",
        )
