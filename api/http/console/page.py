"""GET /console: the console's page; GET /console/assets/<file>: its scripts and styles.

The page is a shell: a header, a banner for errors and a main element the modules in
assets/ fill. Every script is an ES module file of the platform (no inline script, no other
host, no build step), so the page's policy allows 'self' and nothing else
(`CONSOLE_POLICY`). Assets are revalidated on every load by their digest (ETag): the modules
import each other by plain relative URLs, so a stale one must never be kept.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from starlette.datastructures import Headers
from starlette.responses import HTMLResponse, Response
from starlette.types import Receive, Scope, Send

ASSETS = Path(__file__).parent / "assets"
PREFIX = "/console/assets/"
_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}

CONSOLE_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Console · Loyalty platform</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="{stylesheet}">
<script type="module" src="{script}"></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top" id="top"></header>
<div id="banner" role="alert" aria-live="assertive"></div>
<main id="main" tabindex="-1"><p class="loading">Loading the console…</p>
<noscript><p>The console needs JavaScript.</p></noscript></main>
</body>
</html>
"""


@cache
def _served() -> dict[str, bytes]:
    return {
        file.name: file.read_bytes()
        for file in sorted(ASSETS.iterdir())
        if file.is_file() and file.suffix in _TYPES
    }


def _digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()[:16]


def asset_url(name: str) -> str:
    return f"{PREFIX}{name}?v={_digest(_served()[name])}"


@cache
def console_html() -> str:
    return _PAGE.format(stylesheet=asset_url("console.css"), script=asset_url("app.js"))


async def console_page(scope: Scope, receive: Receive, send: Send) -> None:
    response = HTMLResponse(console_html(), headers={"cache-control": "no-cache"})
    await response(scope, receive, send)


class ConsolePage:
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await console_page(scope, receive, send)


class ConsoleAssets:
    """GET /console/assets/<file>: only the files of assets/ with a known type."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        name = scope["path_params"]["name"]
        body = _served().get(name)
        if body is None:
            await Response(status_code=404)(scope, receive, send)
            return
        etag = f'"{_digest(body)}"'
        headers = {"cache-control": "no-cache", "etag": etag}
        if Headers(scope=scope).get("if-none-match") == etag:
            await Response(status_code=304, headers=headers)(scope, receive, send)
            return
        media = _TYPES[Path(name).suffix]
        await Response(body, media_type=media, headers=headers)(scope, receive, send)
